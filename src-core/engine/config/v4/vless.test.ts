/**
 * `vless` settings as V2Ray 4.34 builds them (`infra/conf/vless.go`): JSON in → typed config or
 * one error line out, and the export read back by `v2ray -test`.
 */
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../../common/errors.js';
import { exportV2RayConfig, loadConfig } from '../index.js';
import { v2rayAvailable, v2rayTest } from '../../../../test/support/v2ray.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const load = (json: unknown) => loadConfig([{ name: 'c.json', text: JSON.stringify(json) }], { env: {} });
const inbound = (settings: unknown) => ({ inbounds: [{ port: 1234, protocol: 'VLESS', settings }] });
const outbound = (settings: unknown, extra: object = {}) => ({ outbounds: [{ protocol: 'vless', settings, ...extra }] });
function errorOf(json: unknown): string {
  try {
    load(json);
    return 'no error';
  } catch (error) {
    return `${(error as { code: string }).code} ${formatErrorLine(error).replace(/^c\.json:\d+:\d+: /, '')}`;
  }
}

describe('vless config', () => {
  it('reads an inbound as 4.34 normalises it (fallback dests included)', () => {
    const config = load(inbound({
      clients: [{ id: UUID.toUpperCase(), level: 1, email: 'love@v2fly.org' }],
      decryption: 'none',
      fallbacks: [{ dest: 80 }, { path: '/ws', dest: '8080' }, { alpn: 'h2', dest: '/run/h2.sock' }, { dest: 'example.com:443' }, { dest: '@abstract' }],
    }));
    expect(config.inbounds[0]).toEqual({
      listen: '0.0.0.0', port: { from: 1234, to: 1234 }, protocol: 'vless',
      settings: {
        clients: [{ id: UUID, level: 1, email: 'love@v2fly.org' }],
        fallbacks: [
          { alpn: '', path: '', type: 'tcp', dest: '127.0.0.1:80', xver: 0 },
          { alpn: '', path: '/ws', type: 'tcp', dest: '127.0.0.1:8080', xver: 0 },
          { alpn: 'h2', path: '', type: 'unix', dest: '/run/h2.sock', xver: 0 },
          { alpn: '', path: '', type: 'tcp', dest: 'example.com:443', xver: 0 },
          { alpn: '', path: '', type: 'unix', dest: '@abstract', xver: 0 },
        ],
      },
    });
  });

  it('reads an outbound (with mux)', () => {
    const config = load(outbound({ vnext: [{ address: 'example.com', port: 443, users: [{ id: UUID, encryption: 'none', level: 0 }] }] }, { mux: { enabled: true } }));
    expect(config.outbounds[0]).toEqual({
      protocol: 'vless', mux: { enabled: true, concurrency: 8 },
      settings: { vnext: [{ address: 'example.com', port: 443, users: [{ id: UUID, level: 0 }] }] },
    });
  });

  it.each<[unknown, string]>([
    [inbound({ clients: [{ id: UUID }] }), 'PH_CONFIG_VALUE inbounds[0].settings.decryption: VLESS settings: please add/set "decryption": "none" to every settings'],
    [inbound({ clients: [{ id: UUID }], decryption: 'None' }), 'PH_CONFIG_VALUE inbounds[0].settings.decryption: VLESS settings: please add/set "decryption": "none" to every settings'],
    [inbound({ clients: [{ id: UUID, encryption: 'none' }], decryption: 'none' }), 'PH_CONFIG_VALUE inbounds[0].settings.clients[0].encryption: VLESS clients: "encryption" should not be in inbound settings (use "decryption": "none" in settings)'],
    [inbound({ clients: [{ id: UUID, flow: 'xtls-rprx-direct' }], decryption: 'none' }), 'PH_CONFIG_UNSUPPORTED inbounds[0].settings.clients[0].flow: VLESS flow "xtls-rprx-direct" is not supported: V2Ray 4.34 has no XTLS (leave "flow" empty)'],
    [inbound({ clients: [{ id: 'bad' }], decryption: 'none' }), 'PH_CONFIG_VALUE inbounds[0].settings.clients[0].id: invalid UUID "bad": expected 32 hex digits, optionally as 8-4-4-4-12 groups separated by "-"'],
    [inbound({ clients: [{ id: UUID, email: 'a' }, { id: UUID, email: 'A' }], decryption: 'none' }), 'PH_CONFIG_VALUE inbounds[0].settings.clients[1]: user "A" already exists (clients[0]): emails must be unique, ignoring case'],
    [inbound({ decryption: 'none', fallback: { dest: 80 } }), 'PH_CONFIG_VALUE inbounds[0].settings.fallback: VLESS settings: please use "fallbacks": [{}] instead of "fallback": {}'],
    [inbound({ decryption: 'none', fallbacks: [{ dest: 'abc' }] }), 'PH_CONFIG_VALUE inbounds[0].settings.fallbacks[0].dest: VLESS fallbacks: please fill in a valid value for every "dest" (a port, "host:port" or a Unix socket path)'],
    [inbound({ decryption: 'none', fallbacks: [{ dest: 80, path: 'x' }] }), 'PH_CONFIG_VALUE inbounds[0].settings.fallbacks[0].path: VLESS fallbacks: "path" must be empty or start with "/"'],
    [inbound({ decryption: 'none', fallbacks: [{ dest: 80, xver: 3 }] }), 'PH_CONFIG_VALUE inbounds[0].settings.fallbacks[0].xver: VLESS fallbacks: invalid PROXY protocol version, "xver" only accepts 0, 1, 2'],
    [inbound({ decryption: 'none', fallbacks: [{ dest: 80, xver: 1 }] }), 'PH_CONFIG_UNSUPPORTED inbounds[0].settings.fallbacks[0].xver: VLESS fallback "xver": 1 (PROXY protocol) is not supported yet (use 0)'],
    [inbound({ decryption: 'none', fallbacks: [{ dest: 'serve-ws-none' }] }), 'PH_CONFIG_UNSUPPORTED inbounds[0].settings.fallbacks[0].dest: VLESS fallback "serve-ws-none" is not supported by Porthole yet'],
    [inbound({ decryption: 'none', fallbacks: [{ dest: 80, type: 'udp' }] }), 'PH_CONFIG_UNSUPPORTED inbounds[0].settings.fallbacks[0].type: VLESS fallback type "udp" is not supported by Porthole yet (use "tcp" or "unix")'],
    [outbound({ vnext: [] }), 'PH_CONFIG_VALUE outbounds[0].settings.vnext: VLESS settings: "vnext" is empty'],
    [outbound({ vnext: [{ address: '1.2.3.4', port: 1, users: [] }] }), 'PH_CONFIG_VALUE outbounds[0].settings.vnext[0].users: VLESS vnext: "users" is empty'],
    [outbound({ vnext: [{ port: 1, users: [{ id: UUID, encryption: 'none' }] }] }), 'PH_CONFIG_VALUE outbounds[0].settings.vnext[0].address: VLESS vnext: "address" is not set'],
    [outbound({ vnext: [{ address: '1.2.3.4', port: 1, users: [{ id: UUID }] }] }), 'PH_CONFIG_VALUE outbounds[0].settings.vnext[0].users[0].encryption: VLESS users: please add/set "encryption": "none" for every user'],
    [outbound({ vnext: [{ address: '1.2.3.4', port: 1, users: [{ id: UUID, encryption: 'none', flow: 'xtls-rprx-origin' }] }] }), 'PH_CONFIG_UNSUPPORTED outbounds[0].settings.vnext[0].users[0].flow: VLESS flow "xtls-rprx-origin" is not supported: V2Ray 4.34 has no XTLS (leave "flow" empty)'],
  ])('refuses %j', (json, expected) => {
    expect(errorOf(json)).toBe(expected);
  });

  it.skipIf(!v2rayAvailable())('exports what v2ray -test accepts and loads back equal', () => {
    const config = load({
      ...inbound({ clients: [{ id: UUID, email: 'a@b' }], decryption: 'none', fallbacks: [{ dest: 80 }, { path: '/ws', alpn: 'h2', dest: '/run/x.sock' }] }),
      ...outbound({ vnext: [{ address: '127.0.0.1', port: 1, users: [{ id: UUID, encryption: 'none', level: 2 }] }] }, { mux: { enabled: true, concurrency: 4 } }),
    });
    const exported = exportV2RayConfig(config);
    const result = v2rayTest(JSON.stringify(exported));
    expect({ status: result.status, ok: result.output.includes('Configuration OK.') }).toEqual({ status: 0, ok: true });
    const again = load(exported);
    expect({ inbounds: again.inbounds, outbounds: again.outbounds }).toEqual({ inbounds: config.inbounds, outbounds: config.outbounds });
  });
});
