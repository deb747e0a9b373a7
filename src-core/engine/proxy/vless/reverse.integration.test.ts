/**
 * V2Ray's reverse-proxy pair with the bridge → portal link carried by VLESS instead of VMess (a
 * plain TCP request to `<domain>:0`, Mux.Cool inside): Porthole on both sides, and each side
 * against the real v2ray 4.34; then the link over WebSocket + TLS, in both mixed pairings. An XOR
 * echo behind the bridge checks every byte.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type InboundConfig, type OutboundConfig, type PortholeConfig } from '../../config/index.js';
import type { StreamSettings } from '../../config/types.js';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { freePorts, waitForPort } from '../../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type Peer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho } from '../../../../test/support/upstream.js';
import { v2rayAvailable } from '../../../../test/support/v2ray.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from '../../transport/internet/testdata/certs.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The doc's portal with its VMess link inbound swapped for a VLESS one (same tag and port). */
function vlessPortal(ports: { publicPort: number; linkPort: number; upstreamPort: number }, stream?: StreamSettings): PortholeConfig {
  const config = portalConfig(ports);
  const inbounds = config.inbounds.map((inbound): InboundConfig => (inbound.protocol !== 'vmess' ? inbound : {
    ...(inbound.tag ? { tag: inbound.tag } : {}), listen: inbound.listen, port: inbound.port,
    protocol: 'vless', settings: { clients: [{ id: UUID, level: 0 }], fallbacks: [] }, ...(stream ? { streamSettings: stream } : {}),
  }));
  return { ...config, inbounds };
}

/** The doc's bridge with its VMess link outbound swapped for a VLESS one. */
function vlessBridge(ports: { publicPort: number; linkPort: number; upstreamPort: number }, stream?: StreamSettings): PortholeConfig {
  const config = bridgeConfig(ports);
  const outbounds = config.outbounds.map((outbound): OutboundConfig => (outbound.protocol !== 'vmess' ? outbound : {
    ...(outbound.tag ? { tag: outbound.tag } : {}),
    protocol: 'vless', settings: { vnext: [{ address: '127.0.0.1', port: ports.linkPort, users: [{ id: UUID, level: 0 }] }] },
    ...(stream ? { streamSettings: stream } : {}),
  }));
  return { ...config, outbounds };
}

const pairings: Array<{ portal: Peer; bridge: Peer }> = [
  { portal: 'porthole', bridge: 'porthole' },
  { portal: 'v2ray', bridge: 'porthole' },
  { portal: 'porthole', bridge: 'v2ray' },
  { portal: 'v2ray', bridge: 'v2ray' },
];

/** Portal and bridge with the link carried as `streams` say; checks every byte of three payloads through the tunnel. */
async function checkTunnel(portal: Peer, bridge: Peer, streams: { portal?: StreamSettings; bridge?: StreamSettings } = {}): Promise<void> {
  const echo = await startXorEcho();
  cleanups.push(() => echo.close());
  const [publicPort = 0, linkPort = 0] = await freePorts(2);
  const ports = { publicPort, linkPort, upstreamPort: echo.port };
  const started: RunningPeer[] = [];
  cleanups.push(async () => { for (const peer of started.reverse()) await peer.stop(); });
  started.push(await startPeer(portal, vlessPortal(ports, streams.portal)));
  await waitForPort(linkPort);
  started.push(await startPeer(bridge, vlessBridge(ports, streams.bridge)));
  await waitForPort(publicPort);
  const payloads = [1, 70_000, 1024 * 1024].map((size) => deterministicBytes(size, size));
  // The first connections may race the link's setup: a portal without a link closes them.
  let echoed: Buffer[] = [];
  for (let attempt = 0; attempt < 20; attempt += 1) {
    echoed = await Promise.all(payloads.map((payload) => echoThrough(publicPort, payload, { closeAfterEcho: true, timeoutMs: 20_000 }).catch(() => Buffer.alloc(0))));
    if (echoed.every((bytes, index) => bytes.length === payloads[index]!.length)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(echoed.map((bytes, index) => bytes.equals(xor5a(payloads[index]!)))).toEqual([true, true, true]);
  const porthole = started.find((peer) => peer.kind === 'porthole');
  expect(porthole?.logLines.filter((line) => /\[(Warning|Error)\]|warning|error/.test(line)) ?? []).toEqual([]);
}

describe.skipIf(!v2rayAvailable())('reverse proxy over a VLESS link', () => {
  it.each(pairings)('$portal portal ↔ $bridge bridge', async ({ portal, bridge }) => {
    await checkTunnel(portal, bridge);
  });
});

describe.skipIf(!v2rayAvailable() || !openSslAvailable())('reverse proxy over a VLESS + WebSocket + TLS link', () => {
  let certs: CertificateFolder;
  let cert: TestCertificate;
  beforeAll(() => {
    certs = createCertificateFolder();
    cert = certs.make('portal', 'portal.test');
  });
  afterAll(() => certs?.remove());

  /** `streamSettings` as the config loader builds them from V2Ray JSON. */
  function streamOf(role: 'inbound' | 'outbound', stream: Record<string, unknown>): StreamSettings {
    const config = role === 'inbound'
      ? loadConfig([{ name: 's.json', text: JSON.stringify({ inbounds: [{ port: 1, protocol: 'vless', settings: { clients: [{ id: UUID }], decryption: 'none' }, streamSettings: stream }] }) }], { env: {} })
      : loadConfig([{ name: 's.json', text: JSON.stringify({ outbounds: [{ protocol: 'vless', settings: { vnext: [{ address: 'a', port: 1, users: [{ id: UUID, encryption: 'none' }] }] }, streamSettings: stream }] }) }], { env: {} });
    return (role === 'inbound' ? config.inbounds[0]!.streamSettings : config.outbounds[0]!.streamSettings)!;
  }

  it.each(pairings.filter(({ portal, bridge }) => portal !== bridge || portal === 'porthole'))('$portal portal ↔ $bridge bridge', async ({ portal, bridge }) => {
    await checkTunnel(portal, bridge, {
      portal: streamOf('inbound', { network: 'ws', security: 'tls', tlsSettings: { certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] }, wsSettings: { path: '/link' } }),
      bridge: streamOf('outbound', { network: 'ws', security: 'tls', tlsSettings: { serverName: 'portal.test', certificates: [{ usage: 'verify', certificateFile: cert.certFile }] }, wsSettings: { path: '/link' } }),
    });
  });
});
