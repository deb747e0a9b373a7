/**
 * The deployment most guides describe: a real nginx terminates TLS and proxies the WebSocket path
 * to the portal on loopback (the portal speaks plain WebSocket, no TLS). The bridge dials
 * `wss://` through nginx, as Porthole and as the real v2ray 4.34, with the link as VMess and as
 * VLESS; every byte goes both ways through an XOR echo behind the bridge.
 *
 * The bridge's real address reaches the portal from `X-Forwarded-For`, as 4.34's WebSocket inbound
 * takes it (the first entry, when it is an IP, with port 0): nginx connects to the portal from
 * 127.0.0.3 (`proxy_bind`) while the bridge is at 127.0.0.1, so the portal's access line tells
 * which one it used; a v2ray portal behind the same nginx is the reference.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { exportV2RayConfig, loadConfig, type InboundConfig, type OutboundConfig, type PortholeConfig } from '../../config/index.js';
import type { StreamSettings } from '../../config/types.js';
import { Instance } from '../../instance.js';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type Peer } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable } from '../../../../test/support/v2ray.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from './testdata/certs.js';
import { nginxAvailable, startWebSocketProxy } from './testdata/nginx.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const PATH = '/link';
const SERVER_NAME = 'portal.test';
/** Where nginx connects to the portal from; the bridge is at 127.0.0.1. */
const NGINX_SIDE = '127.0.0.3';

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };
type LinkProtocol = 'vmess' | 'vless';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function inboundStream(json: Record<string, unknown>): StreamSettings {
  const config = loadConfig([{ name: 's.json', text: JSON.stringify({ inbounds: [{ port: 1, protocol: 'vmess', settings: { clients: [{ id: UUID }] }, streamSettings: json }] }) }], { env: {} });
  return config.inbounds[0]!.streamSettings!;
}

function outboundStream(json: Record<string, unknown>): StreamSettings {
  const config = loadConfig([{ name: 's.json', text: JSON.stringify({ outbounds: [{ protocol: 'vmess', settings: { vnext: [{ address: 'a', port: 1, users: [{ id: UUID }] }] }, streamSettings: json }] }) }], { env: {} });
  return config.outbounds[0]!.streamSettings!;
}

/** The doc's portal, its link inbound (VMess or VLESS) speaking plain WebSocket on `PATH`. */
function portalBehindNginx(ports: { publicPort: number; linkPort: number; upstreamPort: number }, protocol: LinkProtocol): PortholeConfig {
  const config = portalConfig(ports);
  const streamSettings = inboundStream({ network: 'ws', wsSettings: { path: PATH } });
  const inbounds = config.inbounds.map((inbound): InboundConfig => {
    if (inbound.protocol !== 'vmess') return inbound;
    if (protocol === 'vmess') return { ...inbound, streamSettings };
    return {
      ...(inbound.tag ? { tag: inbound.tag } : {}), listen: inbound.listen, port: inbound.port,
      protocol: 'vless', settings: { clients: [{ id: UUID, level: 0 }], fallbacks: [] }, streamSettings,
    };
  });
  return { ...config, inbounds };
}

/** The doc's bridge, its link outbound dialling wss://portal.test:nginxPort/link. */
function bridgeThroughNginx(ports: { publicPort: number; upstreamPort: number }, nginxPort: number, cert: TestCertificate, protocol: LinkProtocol): PortholeConfig {
  const config = bridgeConfig({ ...ports, linkPort: nginxPort }) as Mutable<PortholeConfig>;
  const streamSettings = outboundStream({
    network: 'ws', security: 'tls', wsSettings: { path: PATH },
    tlsSettings: { serverName: SERVER_NAME, certificates: [{ usage: 'verify', certificateFile: cert.certFile }] },
  });
  const outbounds = config.outbounds.map((outbound): OutboundConfig => {
    if (outbound.protocol !== 'vmess') return outbound as OutboundConfig;
    if (protocol === 'vmess') return { ...outbound, streamSettings } as OutboundConfig;
    return {
      ...(outbound.tag ? { tag: outbound.tag } : {}),
      protocol: 'vless', settings: { vnext: [{ address: '127.0.0.1', port: nginxPort, users: [{ id: UUID, level: 0 }] }] }, streamSettings,
    };
  });
  return { ...config, outbounds } as PortholeConfig;
}

interface Portal {
  /** Access and error log lines so far (v2ray: its whole output). */
  lines(): string[];
}

/** The portal with its access log kept: Porthole in this process, or the real v2ray. */
async function startPortal(kind: Peer, config: PortholeConfig): Promise<Portal> {
  if (kind === 'v2ray') {
    const json = exportV2RayConfig(config) as Record<string, unknown>;
    // Access log on stdout, as the reference for the source address.
    const v2ray = startV2Ray({ ...json, log: { loglevel: 'warning' } });
    cleanups.push(() => v2ray.stop());
    return { lines: () => v2ray.output().split('\n') };
  }
  const lines: string[] = [];
  const sink = { write: (line: string) => { lines.push(line); } };
  const instance = new Instance(config, { logSinks: { error: sink, access: sink } });
  await instance.start();
  cleanups.push(() => instance.close());
  return { lines: () => lines };
}

/** The source address of the link as the portal's access log has it ("address:port"). */
function linkSources(lines: string[]): string[] {
  return lines.flatMap((line) => {
    const match = /(\d+\.\d+\.\d+\.\d+:\d+) accepted tcp:test\.v2ray\.com:0/.exec(line);
    return match ? [match[1]!] : [];
  });
}

describe('behind a real nginx (TLS and the WebSocket path at nginx, plain WebSocket to the portal)', () => {
  let certs: CertificateFolder;
  let cert: TestCertificate;
  let echo: RunningServer;
  const payloads = [1, 70_000, 1024 * 1024].map((size) => deterministicBytes(size + 3, size));

  beforeAll(async () => {
    certs = createCertificateFolder();
    if (openSslAvailable()) cert = certs.make('portal', SERVER_NAME);
    echo = await startXorEcho();
  });
  afterAll(async () => {
    await echo?.close();
    certs?.remove();
  });

  const cases: Array<{ portal: Peer; bridge: Peer; link: LinkProtocol; forwardedFor: boolean; source: RegExp }> = [
    { portal: 'porthole', bridge: 'porthole', link: 'vmess', forwardedFor: true, source: /^127\.0\.0\.1:0$/ },
    { portal: 'porthole', bridge: 'v2ray', link: 'vmess', forwardedFor: true, source: /^127\.0\.0\.1:0$/ },
    { portal: 'porthole', bridge: 'porthole', link: 'vless', forwardedFor: true, source: /^127\.0\.0\.1:0$/ },
    { portal: 'porthole', bridge: 'v2ray', link: 'vless', forwardedFor: true, source: /^127\.0\.0\.1:0$/ },
    // The reference: what 4.34 reports behind the same nginx.
    { portal: 'v2ray', bridge: 'porthole', link: 'vmess', forwardedFor: true, source: /^127\.0\.0\.1:0$/ },
    // Without the header, the portal sees nginx.
    { portal: 'porthole', bridge: 'porthole', link: 'vmess', forwardedFor: false, source: /^127\.0\.0\.3:[1-9]\d*$/ },
  ];

  test.for(cases)('$bridge bridge → nginx → $portal portal, $link link, X-Forwarded-For $forwardedFor', async ({ portal, bridge, link, forwardedFor, source }, { skip }) => {
    skip(!nginxAvailable(), 'nginx is not installed (apt-get install nginx; .ci/run installs it)');
    skip(!openSslAvailable(), 'openssl is not installed (the test certificates need it)');
    skip((portal === 'v2ray' || bridge === 'v2ray') && !v2rayAvailable(), 'v2ray is not installed');
    const [publicPort = 0, linkPort = 0, nginxPort = 0] = await freePorts(3);
    const ports = { publicPort, linkPort, upstreamPort: echo.port };
    const portalPeer = await startPortal(portal, portalBehindNginx(ports, link));
    await waitForPort(linkPort);
    const nginx = startWebSocketProxy({ listenPort: nginxPort, certFile: cert.certFile, keyFile: cert.keyFile, path: PATH, upstreamPort: linkPort, forwardedFor, bindAddress: NGINX_SIDE });
    cleanups.push(() => nginx.stop());
    await waitForPort(nginxPort).catch((error: unknown) => {
      throw new Error(`nginx did not start: ${nginx.output()}`, { cause: error });
    });
    const bridgePeer = await startPeer(bridge, bridgeThroughNginx(ports, nginxPort, cert, link));
    cleanups.push(() => bridgePeer.stop());
    await waitForPort(publicPort);
    // A v2ray portal listens before the bridge's link is up: probe until the tunnel carries.
    const probe = Buffer.from('probe');
    await waitUntil(async () => (await echoThrough(publicPort, probe, { closeAfterEcho: true, timeoutMs: 3000 }).catch(() => Buffer.alloc(0))).equals(xor5a(probe)), 20_000, `the tunnel to carry a probe: ${nginx.output()}`);
    const echoed = await Promise.all(payloads.map((payload) => echoThrough(publicPort, payload, { closeAfterEcho: true, timeoutMs: 30_000 })));
    await waitUntil(() => linkSources(portalPeer.lines()).length > 0, 5000, `the portal's access line for the link: ${portalPeer.lines().join('\n')}`);
    const sources = linkSources(portalPeer.lines());
    expect({
      same: echoed.map((bytes, index) => bytes.equals(xor5a(payloads[index]!))),
      sources: sources.every((address) => source.test(address)) ? 'as expected' : sources,
      bridgeProblems: bridgePeer.logLines.filter((line) => /warning|error/i.test(line)),
    }).toEqual({ same: [true, true, true], sources: 'as expected', bridgeProblems: [] });
  });
});
