/**
 * The configs `npm run bench` writes for each link transport (`--transport`, bench/lib/configs.js):
 * the real v2ray 4.34 accepts them (`v2ray -test -config FILE`), Porthole's loader reads the link
 * as that transport (v2ray -test alone would pass a misspelt `security`: 4.34 reads it as none),
 * and the certificate made for the TLS transports fits the name the bridge asks for.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript without type declarations.
import { SERVER_NAME, TRANSPORTS, WS_PATH, bridgeConfig, linkStreamSettings, makeLinkCertificate, portalConfig, usesTls } from '../bench/lib/configs.js';
import { loadConfigFiles } from '../src-core/engine/config/index.js';
import { openSslAvailable } from '../src-core/engine/transport/internet/testdata/certs.js';
import { V2RAY_BINARY, v2rayAvailable } from './support/v2ray.js';

type Transport = 'tcp' | 'tls' | 'ws' | 'ws+tls';
const ports = { publicPort: 20_001, linkPort: 20_002, upstreamPort: 20_003 };

describe.skipIf(!v2rayAvailable() || !openSslAvailable())('bench configs per link transport', () => {
  let folder: string;
  let cert: { certFile: string; keyFile: string };
  const files = (transport: Transport) => ({ portal: join(folder, `${transport}-portal.json`), bridge: join(folder, `${transport}-bridge.json`) });

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'bench-configs-'));
    cert = makeLinkCertificate(folder);
    for (const transport of TRANSPORTS as Transport[]) {
      const stream = linkStreamSettings(transport, cert);
      writeFileSync(files(transport).portal, JSON.stringify(portalConfig(ports, stream?.server), null, 2));
      writeFileSync(files(transport).bridge, JSON.stringify(bridgeConfig(ports, 'aes-128-gcm', stream?.client), null, 2));
    }
  });
  afterAll(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('offers the four transports of the issue', () => {
    expect(TRANSPORTS).toEqual(['tcp', 'tls', 'ws', 'ws+tls']);
  });

  it.each(TRANSPORTS as Transport[])('v2ray -test accepts the portal and bridge configs for %s', (transport) => {
    for (const file of Object.values(files(transport))) {
      const result = spawnSync(V2RAY_BINARY, ['-test', '-config', file], { encoding: 'utf8', timeout: 15_000 });
      expect({ file, status: result.status, output: `${result.stdout}${result.stderr}`.trim().split('\n').at(-1) }).toEqual({ file, status: 0, output: 'Configuration OK.' });
    }
  });

  it.each(TRANSPORTS as Transport[])('Porthole reads the link of the %s configs as that transport', (transport) => {
    const portal = loadConfigFiles([files(transport).portal], { env: {} });
    const bridge = loadConfigFiles([files(transport).bridge], { env: {} });
    const inbound = portal.inbounds.find((i) => i.tag === 'interconn');
    const outbound = bridge.outbounds.find((o) => o.tag === 'interconn');
    expect(inbound && outbound).toBeTruthy();
    // The public port and the freedom outbound never get streamSettings.
    expect(portal.inbounds.find((i) => i.tag === 'external')?.streamSettings).toBeUndefined();
    expect(bridge.outbounds.find((o) => o.tag === 'out')?.streamSettings).toBeUndefined();
    if (transport === 'tcp') {
      // The documentation's configs, unchanged: no streamSettings at all in the JSON.
      expect(readFileSync(files(transport).portal, 'utf8')).not.toContain('streamSettings');
      expect(readFileSync(files(transport).bridge, 'utf8')).not.toContain('streamSettings');
      expect(inbound?.streamSettings).toBeUndefined();
      expect(outbound?.streamSettings).toBeUndefined();
      return;
    }
    const network = transport.startsWith('ws') ? 'websocket' : 'tcp';
    const security = usesTls(transport) ? 'tls' : 'none';
    for (const stream of [inbound?.streamSettings, outbound?.streamSettings]) {
      expect(stream).toMatchObject({ network, security });
      if (network === 'websocket') expect(stream?.ws?.path).toBe(WS_PATH);
      else expect(stream?.ws).toBeUndefined();
    }
    if (security === 'tls') {
      expect(inbound?.streamSettings?.tls?.certificates).toEqual([{ usage: 'encipherment', certificateFile: cert.certFile, keyFile: cert.keyFile }]);
      // The bridge verifies the portal's certificate: its name, the certificate trusted, never allowInsecure.
      expect(outbound?.streamSettings?.tls).toMatchObject({ serverName: SERVER_NAME, allowInsecure: false, certificates: [{ usage: 'verify', certificateFile: cert.certFile }] });
    } else {
      expect(inbound?.streamSettings?.tls).toBeUndefined();
      expect(outbound?.streamSettings?.tls).toBeUndefined();
    }
  });

  it('makes a certificate for the name the bridge asks for, with its key', () => {
    const x509 = new X509Certificate(readFileSync(cert.certFile));
    expect(x509.checkHost(SERVER_NAME)).toBe(SERVER_NAME);
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkPrivateKey(createPrivateKey(readFileSync(cert.keyFile)))).toBe(true);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(Date.now() + 24 * 3600_000);
  });

  it('refuses an unknown transport, and a TLS transport without a certificate', () => {
    expect(() => linkStreamSettings('quic', cert)).toThrow(/unknown transport "quic"/);
    expect(() => linkStreamSettings('ws+tls')).toThrow(/needs a certificate/);
  });
});
