/**
 * `streamSettings` as 4.34 reads them: JSON in → typed `StreamSettings` out (or one error line at
 * the field), and back through the export.
 */
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../../common/errors.js';
import { exportV2RayConfig, loadConfig, warningsOf } from '../index.js';
import type { StreamSettings } from '../types.js';

const PEM = ['-----BEGIN CERTIFICATE-----', 'MIIB', '-----END CERTIFICATE-----'];

function inbound(stream: unknown, protocol = 'vmess'): string {
  return JSON.stringify({ inbounds: [{ port: 1, protocol, streamSettings: stream }] });
}

function outbound(stream: unknown, protocol = 'vmess'): string {
  const settings = protocol === 'vmess' ? { vnext: [{ address: 'a.example', port: 443, users: [{ id: 'b831381d-6324-4d53-ad4f-8cda48b30811' }] }] } : {};
  return JSON.stringify({ outbounds: [{ protocol, settings, streamSettings: stream }] });
}

function streamOf(text: string): StreamSettings | undefined {
  const config = loadConfig([{ name: 'c.json', text }], { env: {} });
  return config.inbounds[0]?.streamSettings ?? config.outbounds[0]?.streamSettings;
}

/** The error line, with the column checked to be where `token` starts. */
function errorOf(text: string): string {
  try {
    loadConfig([{ name: 'c.json', text }], { env: {} });
  } catch (error) {
    return `${(error as { code: string }).code} ${formatErrorLine(error)}`;
  }
  return 'accepted';
}

function at(text: string, token: string): string {
  return `c.json:1:${text.indexOf(token) + 1}`;
}

const KEYED = { certificateFile: '/etc/porthole/cert.pem', keyFile: '/etc/porthole/key.pem' };

describe('streamSettings build', () => {
  it.each<[string, string, StreamSettings | undefined]>([
    ['plain TCP is no streamSettings at all', inbound({ network: 'tcp', security: 'none' }), undefined],
    ['ws with its defaults', inbound({ network: 'ws' }), { network: 'websocket', security: 'none', ws: { path: '/', headers: {} } }],
    ['"websocket", a path without "/", headers', outbound({ network: 'WebSocket', wsSettings: { path: 'tunnel', headers: { Host: 'cdn.example', 'X-A': null } } }),
      { network: 'websocket', security: 'none', ws: { path: '/tunnel', headers: { Host: 'cdn.example', 'X-A': '' } } }],
    ['the old "Path" when "path" is empty', outbound({ network: 'ws', wsSettings: { path: '', Path: '/old' } }), { network: 'websocket', security: 'none', ws: { path: '/old', headers: {} } }],
    ['TLS without tlsSettings on an outbound', outbound({ security: 'TLS' }),
      { network: 'tcp', security: 'tls', tls: { allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [] } }],
    ['TLS with everything on an outbound', outbound({ security: 'tls', tlsSettings: { serverName: 'a.example', alpn: 'h2,http/1.1', allowInsecure: true, disableSystemRoot: true, certificates: [{ usage: 'Verify', certificate: PEM }] } }),
      { network: 'tcp', security: 'tls', tls: { serverName: 'a.example', alpn: ['h2', 'http/1.1'], allowInsecure: true, disableSystemRoot: true, enableSessionResumption: false, certificates: [{ usage: 'verify', certificate: PEM.join('\n') }] } }],
    ['WebSocket + TLS on an inbound; an unknown usage means encipherment', inbound({ network: 'ws', security: 'tls', tlsSettings: { certificates: [{ ...KEYED, usage: 'whatever' }] }, wsSettings: { path: '/t' } }),
      { network: 'websocket', security: 'tls', tls: { allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [{ usage: 'encipherment', ...KEYED }] }, ws: { path: '/t', headers: {} } }],
    ['a file wins over inline lines (4.34 readFileOrString)', inbound({ security: 'tls', tlsSettings: { certificates: [{ certificateFile: '/c.pem', certificate: PEM, key: ['k'] }] } }),
      { network: 'tcp', security: 'tls', tls: { allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [{ usage: 'encipherment', certificateFile: '/c.pem', key: 'k' }] } }],
  ])('%s', (_name, text, expected) => {
    expect(streamOf(text)).toEqual(expected);
  });

  it('an inbound\'s certificate through ACME (Porthole only): defaults, no certificate files needed, left out of the export', () => {
    const text = inbound({ network: 'ws', security: 'tls', tlsSettings: { serverName: 'vps.example.com', acme: { email: 'ops@example.com' } } });
    const config = loadConfig([{ name: 'c.json', text }], { env: {} });
    expect(config.inbounds[0]?.streamSettings?.tls).toEqual({
      serverName: 'vps.example.com', allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [],
      acme: { directory: 'https://acme-v02.api.letsencrypt.org/directory', storage: 'porthole-acme', email: 'ops@example.com', httpPort: 80 },
    });
    const exported = exportV2RayConfig(config) as { inbounds: Array<{ streamSettings: { tlsSettings: Record<string, unknown> } }> };
    expect(Object.keys(exported.inbounds[0]?.streamSettings.tlsSettings ?? {})).not.toContain('acme');
  });

  it('round-trips through the export', () => {
    const text = JSON.stringify({
      inbounds: [{ port: 1, protocol: 'vmess', streamSettings: { network: 'ws', security: 'tls', tlsSettings: { alpn: ['http/1.1'], certificates: [{ certificate: PEM, key: ['k1', 'k2'] }] }, wsSettings: { path: '/t', headers: { Host: 'h' } } } }],
      outbounds: [{ protocol: 'vmess', settings: { vnext: [{ address: 'a.example', port: 443, users: [{ id: 'b831381d-6324-4d53-ad4f-8cda48b30811' }] }] }, streamSettings: { security: 'tls', tlsSettings: { serverName: 's', certificates: [{ usage: 'verify', certificateFile: '/ca.pem' }] } } }],
    });
    const config = loadConfig([{ name: 'c.json', text }], { env: {} });
    const again = loadConfig([{ name: 'e.json', text: JSON.stringify(exportV2RayConfig(config)) }], { env: {} });
    expect(again).toEqual(config);
  });

  it('VLESS takes TLS and WebSocket too, inbound and outbound', () => {
    const id = 'b831381d-6324-4d53-ad4f-8cda48b30811';
    const text = JSON.stringify({
      inbounds: [{ port: 1, protocol: 'vless', settings: { clients: [{ id }], decryption: 'none' }, streamSettings: { network: 'ws', security: 'tls', tlsSettings: { certificates: [KEYED] }, wsSettings: { path: '/v' } } }],
      outbounds: [{ protocol: 'vless', settings: { vnext: [{ address: 'a.example', port: 443, users: [{ id, encryption: 'none' }] }] }, streamSettings: { security: 'tls' } }],
    });
    const config = loadConfig([{ name: 'c.json', text }], { env: {} });
    expect([config.inbounds[0]?.streamSettings, config.outbounds[0]?.streamSettings]).toEqual([
      { network: 'websocket', security: 'tls', tls: { allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [{ usage: 'encipherment', ...KEYED }] }, ws: { path: '/v', headers: {} } },
      { network: 'tcp', security: 'tls', tls: { allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [] } },
    ]);
  });

  it('warns about settings of a transport the stream does not use', () => {
    const config = loadConfig([{ name: 'c.json', text: inbound({ network: 'ws', security: 'none', tlsSettings: {}, kcpSettings: {} }) }], { env: {} });
    expect(warningsOf(config).map((warning) => warning.message).filter((message) => message.includes('ignored'))).toEqual(['tlsSettings is ignored: TLS is off', 'kcpSettings is ignored: this stream does not use that transport']);
  });
});

describe('streamSettings errors: one line at the field', () => {
  const cases: Array<[string, string, string]> = [];
  const add = (text: string, token: string, rest: string) => cases.push([text, token, rest]);
  add(inbound({ network: 'quic' }), '"quic"', 'PH_CONFIG_UNSUPPORTED # inbounds[0].streamSettings.network: transport "quic" is not supported by Porthole yet (only "tcp" and "ws")');
  add(inbound({ network: 'h2' }), '"h2"', 'PH_CONFIG_UNSUPPORTED # inbounds[0].streamSettings.network: transport "http" is not supported by Porthole yet (only "tcp" and "ws")');
  add(inbound({ network: 'domainsocket' }), '"domainsocket"', 'PH_CONFIG_UNSUPPORTED # inbounds[0].streamSettings.network: transport "domainsocket" is not supported by Porthole yet (only "tcp" and "ws")');
  add(inbound({ network: 'pigeon' }), '"pigeon"', 'PH_CONFIG_VALUE # inbounds[0].streamSettings.network: unknown transport protocol "pigeon" (use "tcp" or "ws")');
  add(inbound({ security: 'tls' }), '"tls"', 'PH_CONFIG_VALUE # inbounds[0].streamSettings.security: a TLS inbound needs a certificate with usage "encipherment" and its key (e.g. {"certificateFile": "cert.pem", "keyFile": "key.pem"}), or Porthole\'s "acme": {} beside "serverName"');
  add(inbound({ security: 'tls', tlsSettings: { certificates: [{ usage: 'verify', certificate: PEM }] } }), '[{"usage"', 'PH_CONFIG_VALUE # inbounds[0].streamSettings.tlsSettings.certificates: a TLS inbound needs a certificate with usage "encipherment" and its key (e.g. {"certificateFile": "cert.pem", "keyFile": "key.pem"}), or Porthole\'s "acme": {} beside "serverName"');
  add(inbound({ security: 'tls', tlsSettings: { certificates: [{ certificateFile: '/c.pem' }] } }), '{"certificateFile"', 'PH_CONFIG_VALUE # inbounds[0].streamSettings.tlsSettings.certificates[0]: a certificate with usage "encipherment" needs its key ("keyFile" or "key")');
  add(outbound({ security: 'tls', tlsSettings: { certificates: [{ usage: 'verify' }] } }), '{"usage"', 'PH_CONFIG_VALUE # outbounds[0].streamSettings.tlsSettings.certificates[0]: failed to parse certificate: give "certificateFile" or "certificate" (both are empty)');
  add(outbound({ security: 'tls', tlsSettings: { certificates: [{ usage: 'issue', certificateFile: '/ca.pem' }] } }), '"issue"', 'PH_CONFIG_UNSUPPORTED # outbounds[0].streamSettings.tlsSettings.certificates[0].usage: certificate usage "issue" (issuing certificates on the fly) is not supported by Porthole yet');
  add(outbound({ security: 'tls', tlsSettings: { certificates: [{ certificate: 'x' }] } }), '"x"', 'PH_CONFIG_TYPE # outbounds[0].streamSettings.tlsSettings.certificates[0].certificate: expected a list, got "x"');
  add(outbound({ security: 'tls', tlsSettings: { alpn: 5 } }), '5}', 'PH_CONFIG_TYPE # outbounds[0].streamSettings.tlsSettings.alpn: expected a list of strings or a comma-separated string, got 5');
  add(outbound({ network: 'ws', wsSettings: { acceptProxyProtocol: true } }), 'true', 'PH_CONFIG_UNSUPPORTED # outbounds[0].streamSettings.wsSettings.acceptProxyProtocol: acceptProxyProtocol is not supported by Porthole yet');
  add(outbound({ network: 'ws', wsSettings: { path: 5 } }), '5}', 'PH_CONFIG_TYPE # outbounds[0].streamSettings.wsSettings.path: expected a string, got 5');
  add(outbound({ network: 'ws' }, 'freedom'), '"ws"', 'PH_CONFIG_UNSUPPORTED # outbounds[0].streamSettings.network: WebSocket on a "freedom" outbound is not supported by Porthole yet (only on "vmess" and "vless")');
  add(inbound({ security: 'tls', tlsSettings: { certificates: [KEYED] } }, 'dokodemo-door'), '"tls"', 'PH_CONFIG_UNSUPPORTED # inbounds[0].streamSettings.security: TLS on a "dokodemo-door" inbound is not supported by Porthole yet (only on "vmess" and "vless")');
  add(outbound({ security: 'tls', tlsSettings: { serverName: 'a.example', acme: {} } }), '{}}', 'PH_CONFIG_VALUE # outbounds[0].streamSettings.tlsSettings.acme: acme is for a TLS inbound (it gets the server\'s certificate); an outbound checks the certificate it is shown');
  add(inbound({ security: 'tls', tlsSettings: { acme: {} } }), '{}}', 'PH_CONFIG_VALUE # inbounds[0].streamSettings.tlsSettings.acme: acme needs "serverName" beside it: the DNS name to get the certificate for, e.g. "vps.example.com"');
  add(inbound({ security: 'tls', tlsSettings: { serverName: '203.0.113.7', acme: {} } }), '"203.0.113.7"', 'PH_CONFIG_VALUE # inbounds[0].streamSettings.tlsSettings.serverName: serverName "203.0.113.7" cannot get a certificate through ACME: it is an IP address, not a name');
  add(inbound({ security: 'tls', tlsSettings: { serverName: 'vps.example.com', acme: { httpPort: 0 } } }), '0}', 'PH_CONFIG_VALUE # inbounds[0].streamSettings.tlsSettings.acme.httpPort: httpPort 0: use the port HTTP-01 reaches, 80 unless port 80 is forwarded');
  add(inbound({ security: 'tls', tlsSettings: { serverName: 'vps.example.com', acme: { directory: 'http://ca.example/dir' } } }), '"http://ca.example/dir"', 'PH_CONFIG_VALUE # inbounds[0].streamSettings.tlsSettings.acme.directory: directory "http://ca.example/dir" is not an https:// URL');
  const transportDefault = JSON.stringify({ transport: { wsSettings: { path: '/t' } }, inbounds: [{ port: 1, protocol: 'vmess', streamSettings: { network: 'ws' } }] });
  add(transportDefault, '{"path"', 'PH_CONFIG_UNSUPPORTED # transport.wsSettings: transport.wsSettings as the default of WebSocket streams is not supported by Porthole yet: put "wsSettings" in each streamSettings');

  it.each(cases)('%s', (text, token, expected) => {
    const [code, , ...rest] = expected.split(' ');
    expect(errorOf(text)).toBe(`${code} ${at(text, token)}: ${rest.join(' ')}`);
  });
});
