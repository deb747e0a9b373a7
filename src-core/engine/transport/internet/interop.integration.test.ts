/**
 * VMess over TLS, WebSocket and WebSocket + TLS against the real v2ray 4.34, both ways, byte-exact
 * through an XOR echo (so a short-circuit cannot pass): Porthole's client → v2ray's server, and
 * v2ray's client → Porthole's server; then the reverse bridge/portal over WebSocket + TLS in both
 * mixed pairings. Certificates are throwaway self-signed ones (openssl CLI).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, type PortholeConfig } from '../../config/index.js';
import type { StreamSettings } from '../../config/types.js';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable, type V2RayProcess } from '../../../../test/support/v2ray.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from './testdata/certs.js';

const UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';
const SERVER_NAME = 'porthole.test';

type Kind = 'tls' | 'ws' | 'ws+tls';

function serverStream(kind: Kind, cert: TestCertificate): Record<string, unknown> {
  return {
    network: kind === 'tls' ? 'tcp' : 'ws',
    security: kind === 'ws' ? 'none' : 'tls',
    ...(kind !== 'ws' ? { tlsSettings: { certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] } } : {}),
    ...(kind !== 'tls' ? { wsSettings: { path: '/tunnel' } } : {}),
  };
}

function clientStream(kind: Kind, cert: TestCertificate, overrides: { path?: string; serverName?: string; trust?: boolean } = {}): Record<string, unknown> {
  return {
    network: kind === 'tls' ? 'tcp' : 'ws',
    security: kind === 'ws' ? 'none' : 'tls',
    ...(kind !== 'ws' ? {
      tlsSettings: {
        serverName: overrides.serverName ?? SERVER_NAME,
        ...(overrides.trust === false ? {} : { certificates: [{ usage: 'verify', certificate: cert.certPem.trim().split('\n') }] }),
      },
    } : {}),
    ...(kind !== 'tls' ? { wsSettings: { path: overrides.path ?? '/tunnel', headers: { Host: SERVER_NAME } } } : {}),
  };
}

/** dokodemo on `entryPort` → VMess client (stream) → `serverPort`. */
function clientConfig(entryPort: number, serverPort: number, stream: Record<string, unknown> | undefined, echoPort: number): Record<string, unknown> {
  return {
    log: { loglevel: 'warning' },
    inbounds: [{ listen: '127.0.0.1', port: entryPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: echoPort, network: 'tcp' } }],
    outbounds: [{
      protocol: 'vmess',
      settings: { vnext: [{ address: '127.0.0.1', port: serverPort, users: [{ id: UUID, security: 'aes-128-gcm' }] }] },
      ...(stream ? { streamSettings: stream } : {}),
    }],
  };
}

/** VMess server (stream) on `serverPort` → freedom. */
function serverConfig(serverPort: number, stream: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    log: { loglevel: process.env.PORTHOLE_TEST_LOG === '1' ? 'debug' : 'warning' },
    inbounds: [{ listen: '127.0.0.1', port: serverPort, protocol: 'vmess', settings: { clients: [{ id: UUID }] }, ...(stream ? { streamSettings: stream } : {}) }],
    outbounds: [{ protocol: 'freedom' }],
  };
}

function asPorthole(json: Record<string, unknown>): PortholeConfig {
  return loadConfig([{ name: 'test.json', text: JSON.stringify(json) }], { env: {} });
}

async function porthole(json: Record<string, unknown>): Promise<RunningPeer> {
  return startPeer('porthole', asPorthole(json));
}

async function v2ray(json: Record<string, unknown>, port: number): Promise<V2RayProcess> {
  const process = startV2Ray(json);
  await waitForPort(port).catch((error: unknown) => {
    throw new Error(`v2ray did not start: ${process.output()}`, { cause: error });
  });
  return process;
}

describe.skipIf(!v2rayAvailable() || !openSslAvailable())('VMess over TLS and WebSocket against v2ray 4.34', () => {
  let certs: CertificateFolder;
  let cert: TestCertificate;
  let echo: RunningServer;
  const payload = deterministicBytes(7, 300_000);

  beforeAll(async () => {
    certs = createCertificateFolder();
    cert = certs.make('server', SERVER_NAME);
    echo = await startXorEcho();
  });
  afterAll(async () => {
    await echo?.close();
    certs?.remove();
  });

  const kinds: Kind[] = ['tls', 'ws', 'ws+tls'];

  test.each(kinds)('Porthole client → v2ray server over %s', async (kind) => {
    const [entryPort = 0, serverPort = 0] = await freePorts(2);
    const server = await v2ray(serverConfig(serverPort, serverStream(kind, cert)), serverPort);
    const client = await porthole(clientConfig(entryPort, serverPort, clientStream(kind, cert), echo.port));
    try {
      const received = await echoThrough(entryPort, payload, { closeAfterEcho: true, timeoutMs: 20_000 });
      expect(received.equals(xor5a(payload))).toBe(true);
    } finally {
      await client.stop();
      await server.stop();
    }
  });

  test.each(kinds)('v2ray client → Porthole server over %s', async (kind) => {
    const [entryPort = 0, serverPort = 0] = await freePorts(2);
    const server = await porthole(serverConfig(serverPort, serverStream(kind, cert)));
    const client = await v2ray(clientConfig(entryPort, serverPort, clientStream(kind, cert), echo.port), entryPort);
    try {
      const received = await echoThrough(entryPort, payload, { closeAfterEcho: true, timeoutMs: 20_000 });
      expect({ same: received.equals(xor5a(payload)), log: server.logLines.filter((line) => /rejected|error/i.test(line)) }).toEqual({ same: true, log: [] });
    } finally {
      await client.stop();
      await server.stop();
    }
  });

  describe('reverse bridge and portal over WebSocket + TLS', () => {
    type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };
    const pairings = [['porthole', 'v2ray'], ['v2ray', 'porthole'], ['porthole', 'porthole']] as const;
    test.each(pairings)('portal %s, bridge %s', async (portalKind, bridgeKind) => {
      const [publicPort = 0, linkPort = 0] = await freePorts(2);
      const ports = { publicPort, linkPort, upstreamPort: echo.port };
      const portal = portalConfig(ports) as Mutable<PortholeConfig>;
      const linkStream = asPorthole(serverConfig(1, serverStream('ws+tls', cert))).inbounds[0]!.streamSettings as Mutable<StreamSettings>;
      for (const inbound of portal.inbounds) if (inbound.port.from === linkPort) inbound.streamSettings = linkStream;
      const bridge = bridgeConfig(ports) as Mutable<PortholeConfig>;
      const bridgeStream = asPorthole(clientConfig(1, 2, clientStream('ws+tls', cert), 3)).outbounds[0]!.streamSettings as Mutable<StreamSettings>;
      for (const outbound of bridge.outbounds) if (outbound.protocol === 'vmess') outbound.streamSettings = bridgeStream;
      const portalPeer = await startPeer(portalKind, portal);
      await waitForPort(linkPort);
      const bridgePeer = await startPeer(bridgeKind, bridge);
      try {
        await waitForPort(publicPort);
        // A v2ray portal listens before the bridge's link is up: probe until the tunnel carries.
        const probe = Buffer.from('probe');
        await waitUntil(async () => (await echoThrough(publicPort, probe, { closeAfterEcho: true, timeoutMs: 3000 }).catch(() => Buffer.alloc(0))).equals(xor5a(probe)), 20_000, 'the tunnel to carry a probe');
        const received = await echoThrough(publicPort, payload, { closeAfterEcho: true, timeoutMs: 20_000 });
        expect({ length: received.length, same: received.equals(xor5a(payload)), log: [...portalPeer.logLines, ...bridgePeer.logLines, portalPeer.process?.output() ?? '', bridgePeer.process?.output() ?? ''].join('\n').slice(0, 1500) })
          .toMatchObject({ length: payload.length, same: true });
      } finally {
        await bridgePeer.stop();
        await portalPeer.stop();
      }
    });
  });
});
