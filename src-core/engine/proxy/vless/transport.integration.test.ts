/**
 * VLESS through `transport/internet` against the real v2ray 4.34, byte-exact through an XOR echo
 * (so a short-circuit cannot pass):
 * - over TLS, WebSocket and WebSocket + TLS, Porthole's client → v2ray's server and v2ray's
 *   client → Porthole's server (and Mux.Cool over WebSocket + TLS);
 * - a server that closes before answering (a plain client at a TLS server, a wrong user id) is
 *   named in one warning;
 * - fallbacks by ALPN over TLS, on Porthole and on v2ray alike: a real HTTP/2 client (ALPN h2)
 *   reaches the h2c fallback, an HTTP/1.1 client (ALPN http/1.1) the default one.
 * Certificates are throwaway self-signed ones (openssl CLI).
 */
import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { startPeer, type Peer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startHttp, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';
import { v2rayAvailable } from '../../../../test/support/v2ray.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from '../../transport/internet/testdata/certs.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const SERVER_NAME = 'porthole.test';

type Kind = 'tls' | 'ws' | 'ws+tls';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function serverStream(kind: Kind, cert: TestCertificate, alpn?: string[]): Record<string, unknown> {
  return {
    network: kind === 'tls' ? 'tcp' : 'ws',
    security: kind === 'ws' ? 'none' : 'tls',
    ...(kind !== 'ws' ? { tlsSettings: { ...(alpn ? { alpn } : {}), certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] } } : {}),
    ...(kind !== 'tls' ? { wsSettings: { path: '/vless' } } : {}),
  };
}

function clientStream(kind: Kind, cert: TestCertificate): Record<string, unknown> {
  return {
    network: kind === 'tls' ? 'tcp' : 'ws',
    security: kind === 'ws' ? 'none' : 'tls',
    ...(kind !== 'ws' ? { tlsSettings: { serverName: SERVER_NAME, certificates: [{ usage: 'verify', certificate: cert.certPem.trim().split('\n') }] } } : {}),
    ...(kind !== 'tls' ? { wsSettings: { path: '/vless', headers: { Host: SERVER_NAME } } } : {}),
  };
}

function serverConfig(serverPort: number, stream: Record<string, unknown> | undefined, fallbacks: object[] = []): Record<string, unknown> {
  return {
    log: { loglevel: 'warning', access: 'none' },
    inbounds: [{ listen: '127.0.0.1', port: serverPort, protocol: 'vless', settings: { clients: [{ id: UUID }], decryption: 'none', fallbacks }, ...(stream ? { streamSettings: stream } : {}) }],
    outbounds: [{ protocol: 'freedom' }],
  };
}

function clientConfig(entryPort: number, serverPort: number, stream: Record<string, unknown> | undefined, echoPort: number, mux = false): Record<string, unknown> {
  return {
    log: { loglevel: 'warning', access: 'none' },
    inbounds: [{ listen: '127.0.0.1', port: entryPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: echoPort, network: 'tcp' } }],
    outbounds: [{
      protocol: 'vless',
      settings: { vnext: [{ address: '127.0.0.1', port: serverPort, users: [{ id: UUID, encryption: 'none' }] }] },
      ...(stream ? { streamSettings: stream } : {}),
      ...(mux ? { mux: { enabled: true, concurrency: 8 } } : {}),
    }],
  };
}

/** Starts one side from V2Ray JSON (Porthole in this process, or the real v2ray) and waits for `port`. */
async function start(kind: Peer, json: Record<string, unknown>, port: number): Promise<RunningPeer> {
  const peer = await startPeer(kind, loadConfig([{ name: 'test.json', text: JSON.stringify(json) }], { env: {} }));
  cleanups.push(() => peer.stop());
  await waitForPort(port).catch((error: unknown) => {
    throw new Error(`${kind} did not start: ${peer.process?.output() ?? peer.logLines.join('\n')}`, { cause: error });
  });
  return peer;
}

function problems(peer: RunningPeer): string[] {
  return peer.logLines.filter((line) => /rejected|error|warning/i.test(line));
}

describe.skipIf(!v2rayAvailable() || !openSslAvailable())('VLESS over TLS and WebSocket against v2ray 4.34', () => {
  let certs: CertificateFolder;
  let cert: TestCertificate;
  let echo: RunningServer;
  const payloads = [1, 5000, 300_000].map((size) => deterministicBytes(size + 11, size));

  beforeAll(async () => {
    certs = createCertificateFolder();
    cert = certs.make('server', SERVER_NAME);
    echo = await startXorEcho();
  });
  afterAll(async () => {
    await echo?.close();
    certs?.remove();
  });

  const cases: Array<{ kind: Kind; client: Peer; server: Peer }> = [];
  for (const kind of ['tls', 'ws', 'ws+tls'] as const) {
    cases.push({ kind, client: 'porthole', server: 'v2ray' }, { kind, client: 'v2ray', server: 'porthole' });
  }
  cases.push({ kind: 'ws+tls', client: 'porthole', server: 'porthole' });

  test.each(cases)('$client client → $server server over $kind', async ({ kind, client, server }) => {
    const [entryPort = 0, serverPort = 0] = await freePorts(2);
    const serverPeer = await start(server, serverConfig(serverPort, serverStream(kind, cert)), serverPort);
    const clientPeer = await start(client, clientConfig(entryPort, serverPort, clientStream(kind, cert), echo.port), entryPort);
    const echoed = await Promise.all(payloads.map((payload) => echoThrough(entryPort, payload, { closeAfterEcho: false, timeoutMs: 20_000 })));
    expect({ same: echoed.map((bytes, index) => bytes.equals(xor5a(payloads[index]!))), log: [...problems(serverPeer), ...problems(clientPeer)] })
      .toEqual({ same: [true, true, true], log: [] });
  });

  test.each(['v2ray', 'porthole'] as const)('Mux.Cool over VLESS + WebSocket + TLS: Porthole client → %s server', async (server) => {
    const [entryPort = 0, serverPort = 0] = await freePorts(2);
    const serverPeer = await start(server, serverConfig(serverPort, serverStream('ws+tls', cert)), serverPort);
    const clientPeer = await start('porthole', clientConfig(entryPort, serverPort, clientStream('ws+tls', cert), echo.port, true), entryPort);
    // 4.34's mux client drops a session whose input ends early: close after the echo.
    const echoed = await Promise.all(payloads.map((payload) => echoThrough(entryPort, payload, { closeAfterEcho: true, timeoutMs: 20_000 })));
    expect({ same: echoed.map((bytes, index) => bytes.equals(xor5a(payloads[index]!))), log: [...problems(serverPeer), ...problems(clientPeer)] })
      .toEqual({ same: [true, true, true], log: [] });
  });

  describe('a Porthole client the server does not answer says so in one line, naming the server', () => {
    async function lineFor(serverJson: Record<string, unknown>, clientStreamJson: Record<string, unknown> | undefined): Promise<{ line: string; serverPort: number }> {
      const [entryPort = 0, serverPort = 0] = await freePorts(2);
      await start('v2ray', { ...serverJson, inbounds: (serverJson.inbounds as Array<Record<string, unknown>>).map((inbound) => ({ ...inbound, port: serverPort })) }, serverPort);
      const client = await start('porthole', clientConfig(entryPort, serverPort, clientStreamJson, echo.port), entryPort);
      await echoThrough(entryPort, Buffer.from('probe'), { closeAfterEcho: false, timeoutMs: 10_000 }).catch(() => Buffer.alloc(0));
      const pattern = /before answering/;
      await waitUntil(() => client.logLines.some((line) => pattern.test(line)), 10_000, `a line matching ${pattern}: ${client.logLines.join('\n')}`);
      return { line: client.logLines.find((line) => pattern.test(line)) ?? '', serverPort };
    }

    test('a plain client at a TLS server', async () => {
      const { line, serverPort } = await lineFor(serverConfig(0, serverStream('tls', cert)), undefined);
      expect(line).toMatch(new RegExp(`\\[Warning\\].*connection to 127\\.0\\.0\\.1:${serverPort} failed: vless: the server closed the connection before answering \\(wrong user id, or does it expect TLS or WebSocket\\?\\)$`));
    });

    test('a wrong user id', async () => {
      const json = serverConfig(0, undefined);
      (json.inbounds as Array<{ settings: { clients: Array<{ id: string }> } }>)[0]!.settings.clients = [{ id: 'b831381d-6324-4d53-ad4f-8cda48b30811' }];
      const { line, serverPort } = await lineFor(json, undefined);
      expect(line).toContain(`connection to 127.0.0.1:${serverPort} failed: vless: the server closed the connection before answering (wrong user id`);
    });
  });

  describe.each(['porthole', 'v2ray'] as const)('fallbacks by ALPN over TLS on %s', (side) => {
    /** An h2c server (HTTP/2 without TLS): what a fallback for ALPN "h2" is. */
    async function startH2c(body: string): Promise<number> {
      const server = http2.createServer();
      server.on('stream', (stream) => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end(body);
      });
      const sessions = new Set<http2.ServerHttp2Session>();
      server.on('session', (session) => {
        sessions.add(session);
        session.once('close', () => sessions.delete(session));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }));
      return (server.address() as { port: number }).port;
    }

    function h2Get(port: number): Promise<{ alpn: string | false | null; status: number; body: string }> {
      return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: SERVER_NAME, ca: cert.certPem, ALPNProtocols: ['h2'] });
        const session = http2.connect(`https://${SERVER_NAME}:${port}`, { createConnection: () => socket });
        session.once('error', reject);
        const request = session.request({ ':path': '/' });
        let body = '';
        let status = 0;
        request.setEncoding('utf8');
        request.on('response', (headers) => { status = Number(headers[':status']); });
        request.on('data', (text: string) => { body += text; });
        request.once('end', () => {
          session.close();
          resolve({ alpn: socket.alpnProtocol, status, body });
        });
        request.once('error', reject);
      });
    }

    function http1Get(port: number): Promise<{ alpn: string | false | null; status: number; body: string }> {
      return new Promise((resolve, reject) => {
        // https passes the TLS options through (its types do not list ALPNProtocols).
        const options: https.RequestOptions & tls.ConnectionOptions = { host: '127.0.0.1', port, path: '/', servername: SERVER_NAME, ca: cert.certPem, ALPNProtocols: ['http/1.1'], agent: false, headers: { Host: SERVER_NAME } };
        const request = https.get(options, (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (text: string) => { body += text; });
          response.once('end', () => resolve({ alpn: (response.socket as tls.TLSSocket).alpnProtocol, status: response.statusCode ?? 0, body }));
        });
        request.once('error', reject);
      });
    }

    test('a TLS client offering h2 reaches the "h2" fallback; one offering http/1.1 the default', async () => {
      const site = await startHttp('the HTTP/1.1 site');
      cleanups.push(() => site.close());
      const h2Port = await startH2c('the h2 site');
      const [serverPort = 0] = await freePorts(1);
      await start(side, serverConfig(serverPort, serverStream('tls', cert, ['h2', 'http/1.1']), [{ dest: site.port }, { alpn: 'h2', dest: h2Port }]), serverPort);
      expect({ h2: await h2Get(serverPort), http1: await http1Get(serverPort) }).toEqual({
        h2: { alpn: 'h2', status: 200, body: 'the h2 site' },
        http1: { alpn: 'http/1.1', status: 200, body: 'the HTTP/1.1 site' },
      });
    });
  });
});
