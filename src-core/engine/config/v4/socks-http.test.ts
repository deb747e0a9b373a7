/**
 * `socks` and `http` inbound settings as V2Ray 4.34 builds them (`infra/conf/socks.go`,
 * `infra/conf/http.go`): JSON in → typed config or one error line out; a typical V2Ray client
 * config (socks on 1080, http on 8080, vmess out) loads unchanged; the export passes `v2ray -test`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../../common/errors.js';
import { exportV2RayConfig, loadConfig, loadConfigFiles, warningsOf } from '../index.js';
import { v2rayAvailable, v2rayTest } from '../../../../test/support/v2ray.js';

const load = (json: unknown) => loadConfig([{ name: 'c.json', text: JSON.stringify(json) }], { env: {} });
const inbound = (protocol: string, settings: unknown) => ({ inbounds: [{ port: 1080, protocol, settings }] });
function errorOf(json: unknown): string {
  try {
    load(json);
    return 'no error';
  } catch (error) {
    return `${(error as { code: string }).code} ${formatErrorLine(error).replace(/^c\.json:\d+:\d+: /, '')}`;
  }
}
const CLIENT = new URL('../fixtures/v2ray-client.json', import.meta.url).pathname;

describe('socks and http config', () => {
  it('reads socks settings as 4.34 does (accounts a map: the last password of a name wins)', () => {
    const config = load(inbound('SOCKS', { auth: 'password', accounts: [{ user: 'a', pass: '1' }, { user: 'b', pass: '2' }, { user: 'a', pass: '3' }], udp: true, ip: '::FFFF:127.0.0.1', userLevel: 2 }));
    expect(config.inbounds[0]).toEqual({
      listen: '0.0.0.0', port: { from: 1080, to: 1080 }, protocol: 'socks',
      settings: { auth: 'password', accounts: [{ user: 'b', pass: '2' }, { user: 'a', pass: '3' }], udp: true, ip: '127.0.0.1', timeout: 0, userLevel: 2 },
    });
    expect(warningsOf(config).map((w) => w.message)).toEqual(['socks accounts: user "a" is listed again: this password replaces the earlier one']);
  });

  it('reads an unknown auth as noauth (with a warning) and http settings with defaults', () => {
    const socks = load(inbound('socks', { auth: 'weird' }));
    expect(socks.inbounds[0]?.settings).toEqual({ auth: 'noauth', accounts: [], udp: false, timeout: 0, userLevel: 0 });
    expect(warningsOf(socks).map((w) => w.message)).toEqual(['unknown socks auth method "weird": read as "noauth", as V2Ray does (use "noauth" or "password")']);
    expect(load(inbound('http', null)).inbounds[0]?.settings).toEqual({ timeout: 0, accounts: [], allowTransparent: false, userLevel: 0 });
  });

  it('reads socks "timeout": deprecated at userLevel 0, and said to do nothing at any other level (as in 4.34)', () => {
    const atZero = load(inbound('socks', { timeout: 30 }));
    expect(atZero.inbounds[0]?.settings).toMatchObject({ timeout: 30, userLevel: 0 });
    expect(warningsOf(atZero).map((w) => w.message)).toEqual(['socks "timeout" is deprecated (V2Ray 4.34 says so too): set policy levels\' "connIdle" instead']);
    const atTwo = load(inbound('socks', { timeout: 30, userLevel: 2 }));
    expect(atTwo.inbounds[0]?.settings).toMatchObject({ timeout: 30, userLevel: 2 });
    expect(warningsOf(atTwo).map((w) => w.message)).toEqual(['socks "timeout" has no effect with "userLevel" 2 (V2Ray 4.34 applies it only at level 0): set level 2\'s "connIdle" instead']);
  });

  it.each<[unknown, string]>([
    [inbound('socks', { ip: 5 }), 'PH_CONFIG_TYPE inbounds[0].settings.ip: invalid address: expected an IP address or domain string, got 5'],
    [inbound('socks', { udp: 'true' }), 'PH_CONFIG_TYPE inbounds[0].settings.udp: expected true or false, got "true"'],
    [inbound('socks', { accounts: {} }), 'PH_CONFIG_TYPE inbounds[0].settings.accounts: expected a list, got an object'],
    [inbound('socks', { accounts: [{ user: 1 }] }), 'PH_CONFIG_TYPE inbounds[0].settings.accounts[0].user: expected a string, got 1'],
    [inbound('socks', { accounts: [null] }), 'PH_CONFIG_VALUE inbounds[0].settings.accounts[0]: socks accounts: an account must be an object with "user" and "pass" (V2Ray 4.34 crashes on null)'],
    [inbound('http', { timeout: -1 }), 'PH_CONFIG_TYPE inbounds[0].settings.timeout: expected an integer from 0 to 4294967295, got -1'],
    [inbound('http', { allowTransparent: 1 }), 'PH_CONFIG_TYPE inbounds[0].settings.allowTransparent: expected true or false, got 1'],
  ])('refuses %j', (json, expected) => {
    expect(errorOf(json)).toBe(expected);
  });

  it('loads a typical V2Ray client config unchanged (socks 1080 + http 8080 + vmess out)', () => {
    const config = loadConfigFiles([CLIENT]);
    expect(config.inbounds.map((ib) => [ib.tag, ib.protocol, ib.port.from])).toEqual([['socks', 'socks', 1080], ['http', 'http', 8080]]);
  });

  it.skipIf(!v2rayAvailable())('the client config and the export pass v2ray -test, and the export loads back equal', () => {
    expect(v2rayTest(readFileSync(CLIENT, 'utf8')).output).toContain('Configuration OK');
    const config = load({
      inbounds: [
        { port: 1080, listen: '127.0.0.1', protocol: 'socks', settings: { auth: 'password', accounts: [{ user: 'u', pass: 'p' }], udp: true, ip: '127.0.0.1', timeout: 5, userLevel: 1 } },
        { port: 8080, protocol: 'http', settings: { timeout: 30, accounts: [{ user: 'u', pass: 'p' }], allowTransparent: true } },
      ],
    });
    const exported = JSON.stringify(exportV2RayConfig(config));
    expect(v2rayTest(exported).output).toContain('Configuration OK');
    expect(loadConfig([{ name: 'x.json', text: exported }], { env: {} })).toEqual(config);
  });
});
