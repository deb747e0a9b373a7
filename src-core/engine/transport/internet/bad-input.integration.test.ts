/**
 * What a user sees when the two ends of a stream disagree: one log line naming the peer and the
 * cause, from Porthole as a client (against the real v2ray 4.34 or a plain HTTP server; a plain
 * VMess client at a TLS or WebSocket server, or with a wrong user id) and as a server (against
 * v2ray's client).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { startPeer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startHttp, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable, type V2RayProcess } from '../../../../test/support/v2ray.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from './testdata/certs.js';

const UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';

function tlsServer(cert: TestCertificate): Record<string, unknown> {
  return { security: 'tls', tlsSettings: { certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] } };
}

function trusting(cert: TestCertificate, serverName = 'porthole.test'): Record<string, unknown> {
  return { security: 'tls', tlsSettings: { serverName, certificates: [{ usage: 'verify', certificateFile: cert.certFile }] } };
}

function clientConfig(entryPort: number, serverPort: number, stream: Record<string, unknown> | undefined, echoPort: number): Record<string, unknown> {
  return {
    log: { loglevel: 'info' },
    inbounds: [{ listen: '127.0.0.1', port: entryPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: echoPort, network: 'tcp' } }],
    outbounds: [{ protocol: 'vmess', settings: { vnext: [{ address: '127.0.0.1', port: serverPort, users: [{ id: UUID }] }] }, ...(stream ? { streamSettings: stream } : {}) }],
  };
}

function serverConfig(serverPort: number, stream: Record<string, unknown> | undefined, id = UUID): Record<string, unknown> {
  return {
    log: { loglevel: 'info' },
    inbounds: [{ listen: '127.0.0.1', port: serverPort, protocol: 'vmess', settings: { clients: [{ id }] }, ...(stream ? { streamSettings: stream } : {}) }],
    outbounds: [{ protocol: 'freedom' }],
  };
}

async function porthole(json: Record<string, unknown>): Promise<RunningPeer> {
  return startPeer('porthole', loadConfig([{ name: 'test.json', text: JSON.stringify(json) }], { env: {} }));
}

async function v2ray(json: Record<string, unknown>, port: number): Promise<V2RayProcess> {
  const process = startV2Ray(json);
  await waitForPort(port);
  return process;
}

/**
 * A v2ray client in front of a Porthole server, ready once it says so: probing its entry port
 * would make it dial the server and hang up without a byte, a rejection the test did not make.
 */
async function v2rayClient(json: Record<string, unknown>): Promise<V2RayProcess> {
  const process = startV2Ray(json);
  await waitUntil(() => /V2Ray [\d.]+ started/.test(process.output()), 10_000, `v2ray to start: ${process.output()}`);
  return process;
}

/** Sends a probe through the entry port (it fails) and returns Porthole's first log line matching `pattern`. */
async function lineAfterProbe(entryPort: number, peer: RunningPeer, pattern: RegExp): Promise<string> {
  await echoThrough(entryPort, Buffer.from('probe'), { closeAfterEcho: true, timeoutMs: 10_000 }).catch(() => Buffer.alloc(0));
  await waitUntil(() => peer.logLines.some((line) => pattern.test(line)), 10_000, `a log line matching ${pattern}: ${peer.logLines.join('\n')}`);
  return peer.logLines.find((line) => pattern.test(line)) ?? '';
}

describe.skipIf(!v2rayAvailable() || !openSslAvailable())('mismatched streams say why, naming the peer', () => {
  let certs: CertificateFolder;
  let cert: TestCertificate;
  let echo: RunningServer;

  beforeAll(async () => {
    certs = createCertificateFolder();
    cert = certs.make('server', 'porthole.test');
    echo = await startXorEcho();
  });
  afterAll(async () => {
    await echo?.close();
    certs?.remove();
  });

  /** Porthole client with `clientStream` → v2ray server with `serverStream`: the client's line about it. */
  async function clientLine(clientStream: Record<string, unknown> | undefined, serverStream: Record<string, unknown> | undefined, pattern = /failed to reach|ended:/): Promise<{ line: string; serverPort: number }> {
    const [entryPort = 0, serverPort = 0] = await freePorts(2);
    const server = await v2ray(serverConfig(serverPort, serverStream), serverPort);
    const client = await porthole(clientConfig(entryPort, serverPort, clientStream, echo.port));
    try {
      return { line: await lineAfterProbe(entryPort, client, pattern), serverPort };
    } finally {
      await client.stop();
      await server.stop();
    }
  }

  test('an untrusted certificate', async () => {
    const { line, serverPort } = await clientLine({ security: 'tls', tlsSettings: { serverName: 'porthole.test' } }, tlsServer(cert));
    expect(line).toContain(`tls to 127.0.0.1:${serverPort}: the server's certificate is not trusted (self-signed certificate): add it or its CA to tlsSettings.certificates, or set allowInsecure`);
  });

  test('a certificate for another name', async () => {
    const { line, serverPort } = await clientLine(trusting(cert, 'other.test'), tlsServer(cert));
    expect(line).toContain(`tls to 127.0.0.1:${serverPort}: the server's certificate is not valid for "other.test"`);
  });

  test('the wrong WebSocket path', async () => {
    const { line, serverPort } = await clientLine({ network: 'ws', wsSettings: { path: '/wrong' } }, { network: 'ws', wsSettings: { path: '/tunnel' } });
    expect(line).toContain(`websocket ws://127.0.0.1:${serverPort}/wrong: the server answered 404 Not Found instead of switching to WebSocket: check wsSettings.path and whether it expects TLS`);
  });

  test('a WebSocket client at a WebSocket + TLS server', async () => {
    const { line, serverPort } = await clientLine({ network: 'ws', wsSettings: { path: '/tunnel' } }, { network: 'ws', wsSettings: { path: '/tunnel' }, ...tlsServer(cert) });
    expect(line).toContain(`websocket ws://127.0.0.1:${serverPort}/tunnel: the server answered 400 Bad Request instead of switching to WebSocket (Client sent an HTTP request to an HTTPS server.)`);
  });

  test('a TLS client at a plain server', async () => {
    const { line, serverPort } = await clientLine(trusting(cert), undefined);
    // 4.34 reads (drains) what does not authenticate, without answering: the handshake times out.
    expect(line).toContain(`tls to 127.0.0.1:${serverPort}: the server did not answer the TLS handshake (no answer in 10000 ms): does it speak TLS?`);
  });

  test('a plain HTTP server where a WebSocket server was expected', async () => {
    const http = await startHttp('hello');
    const [entryPort = 0] = await freePorts(1);
    const client = await porthole(clientConfig(entryPort, http.port, { network: 'ws', wsSettings: { path: '/tunnel' } }, echo.port));
    try {
      const line = await lineAfterProbe(entryPort, client, /failed to reach/);
      expect(line).toContain(`websocket ws://127.0.0.1:${http.port}/tunnel: the server answered 200 OK instead of switching to WebSocket (hello)`);
    } finally {
      await client.stop();
      await http.close();
    }
  });

  test('a plain client at a TLS server: closed before answering, said in one line', async () => {
    const { line, serverPort } = await clientLine(undefined, tlsServer(cert), /closed the connection before answering/);
    // 4.34's TLS server closes at once, without a byte, on a first record that is not TLS.
    expect(line).toContain(`vmess: the server 127.0.0.1:${serverPort} closed the connection before answering (wrong user id, or does it expect TLS or WebSocket? or its target closed at once)`);
  });

  test('a plain client at a WebSocket server: the HTTP answer is named', async () => {
    const { line, serverPort } = await clientLine(undefined, { network: 'ws', wsSettings: { path: '/tunnel' } }, /answered with/);
    // 4.34's HTTP server answers 400 once its 4 s for the request head are over.
    expect(line).toContain(`vmess: the server 127.0.0.1:${serverPort} answered with HTTP ("HTTP/1.1 400 Bad Request"), not VMess: does it expect WebSocket ("network": "ws"), or TLS?`);
  });

  test('a wrong user id: 4.34 drains and closes without answering, said in one line', async () => {
    const [entryPort = 0, serverPort = 0] = await freePorts(2);
    const server = await v2ray(serverConfig(serverPort, undefined, '27848739-7e62-4138-9fd3-098a63964b6b'), serverPort);
    const client = await porthole(clientConfig(entryPort, serverPort, undefined, echo.port));
    try {
      // 4.34 reads what does not authenticate until the client ends its side (or for a minute), then closes.
      await echoThrough(entryPort, Buffer.from('probe'), { closeAfterEcho: false, timeoutMs: 10_000 }).catch(() => Buffer.alloc(0));
      const pattern = /closed the connection before answering/;
      await waitUntil(() => client.logLines.some((line) => pattern.test(line)), 10_000, `a log line matching ${pattern}: ${client.logLines.join('\n')}`);
      const line = client.logLines.find((entry) => pattern.test(entry)) ?? '';
      expect(line).toContain(`vmess: the server 127.0.0.1:${serverPort} closed the connection before answering (wrong user id`);
    } finally {
      await client.stop();
      await server.stop();
    }
  });

  test('Porthole as a TLS server: a plain client is named in one line', async () => {
    const [entryPort = 0, serverPort = 0] = await freePorts(2);
    const server = await porthole(serverConfig(serverPort, tlsServer(cert)));
    const client = await v2rayClient(clientConfig(entryPort, serverPort, undefined, echo.port));
    try {
      const line = await lineAfterProbe(entryPort, server, /rejected a connection/);
      // The reason in brackets is OpenSSL's and depends on the random first bytes of the VMess header.
      expect(line).toMatch(/rejected a connection from 127\.0\.0\.1:\d+: the client did not speak TLS \([^)]+\): is its "security" "none"\?$/);
    } finally {
      await client.stop();
      await server.stop();
    }
  });

  test('Porthole as a TLS server: an opening that fakes a record header is named at once', async () => {
    const [serverPort = 0] = await freePorts(1);
    const server = await porthole(serverConfig(serverPort, tlsServer(cert)));
    const socket = net.connect(serverPort, '127.0.0.1');
    try {
      // OpenSSL alone would take these for an SSLv2 hello's header and wait for 32 KiB more.
      socket.write(Buffer.from('80ff01deadbeef', 'hex'));
      const pattern = /rejected a connection/;
      await waitUntil(() => server.logLines.some((line) => pattern.test(line)), 5_000, `a log line matching ${pattern}: ${server.logLines.join('\n')}`);
      expect(server.logLines.find((line) => pattern.test(line))).toMatch(/: the client did not speak TLS \(its first bytes 80ff01 are not a TLS handshake record\): is its "security" "none"\?$/);
    } finally {
      socket.destroy();
      await server.stop();
    }
  });

  test('Porthole as a WebSocket server: a wrong path is answered 404 and named', async () => {
    const [entryPort = 0, serverPort = 0] = await freePorts(2);
    const server = await porthole(serverConfig(serverPort, { network: 'ws', wsSettings: { path: '/tunnel' } }));
    const client = await v2rayClient(clientConfig(entryPort, serverPort, { network: 'ws', wsSettings: { path: '/other' } }, echo.port));
    try {
      const line = await lineAfterProbe(entryPort, server, /rejected a connection/);
      expect(line).toMatch(/rejected a connection from 127\.0\.0\.1:\d+: path "\/other" is not "\/tunnel"/);
      await waitUntil(() => client.output().includes('404 Not Found'), 10_000, `v2ray to log the 404: ${client.output()}`);
    } finally {
      await client.stop();
      await server.stop();
    }
  });
});
