/**
 * The `http` inbound against the real v2ray 4.34 on 127.0.0.1: the same clients (raw bytes over
 * net.Socket) go through Porthole's inbound and v2ray's, and must get the same answers byte for
 * byte: an absolute-form GET (whose upstream answers with the request it received, so the
 * forwarded bytes are compared too: hop-by-hop headers removed, names canonical, sorted), two
 * requests on one keep-alive connection, a CONNECT tunnel to an XOR echo, 407 without or with a
 * wrong password, 400 for a request that is not for a proxy, and a close for garbage; on
 * Porthole each refusal is one log line naming the peer.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { Instance } from '../../instance.js';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { startXorEcho } from '../../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable } from '../../../../test/support/v2ray.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Side = 'porthole' | 'v2ray';

/** Answers every request head with itself as the body (Content-Length), keeping the connection. */
async function startMirror(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let seen = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      let end: number;
      while ((end = seen.indexOf('\r\n\r\n')) >= 0) {
        const head = seen.subarray(0, end + 4);
        seen = seen.subarray(end + 4);
        socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${head.length}\r\nx-mirror: yes\r\nConnection: keep-alive\r\n\r\n`), head]));
      }
    });
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => { sockets.add(socket); socket.once('close', () => sockets.delete(socket)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => { for (const socket of sockets) socket.destroy(); server.close(() => resolve()); }));
  return (server.address() as net.AddressInfo).port;
}

async function start(side: Side, lines: string[]): Promise<{ open: number; locked: number }> {
  const [open = 0, locked = 0] = await freePorts(2);
  const config = {
    log: { loglevel: 'warning' },
    inbounds: [
      { listen: '127.0.0.1', port: open, protocol: 'http', settings: {} },
      { listen: '127.0.0.1', port: locked, protocol: 'http', settings: { accounts: [{ user: 'alice', pass: 'secret' }] } },
    ],
    outbounds: [{ protocol: 'freedom' }],
  };
  if (side === 'v2ray') {
    const process = startV2Ray(config);
    cleanups.push(() => process.stop());
    await waitForPort(open);
    await waitForPort(locked);
  } else {
    const sink = { write: (line: string) => { lines.push(line); } };
    const instance = new Instance(loadConfig([{ name: 'porthole.json', text: JSON.stringify(config) }]), { logSinks: { error: sink, access: { write: () => {} } } });
    await instance.start();
    cleanups.push(() => instance.close());
  }
  return { open, locked };
}

/** Writes `request` and collects everything until the server closes, or until `until` bytes arrived. */
function exchange(port: number, request: Buffer, options: { until?: number; end?: boolean; timeoutMs?: number } = {}): Promise<{ answer: string; closedBy: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => (options.end ? socket.end(request) : socket.write(request)));
    let received = Buffer.alloc(0);
    const finish = (closedBy: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer: received.toString('latin1'), closedBy });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 5000);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (options.until !== undefined && received.length >= options.until) finish('enough');
    });
    socket.on('end', () => finish('end'));
    socket.on('error', () => finish('end'));
  });
}

const auth = (user: string, pass: string) => `Proxy-Authorization: Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}\r\n`;

async function runAll(side: Side, lines: string[]): Promise<Record<string, unknown>> {
  const mirror = await startMirror();
  const echo = await startXorEcho();
  cleanups.push(() => echo.close());
  const { open, locked } = await start(side, lines);
  const get = (path: string, extra = '') => `GET http://127.0.0.1:${mirror}${path} HTTP/1.1\r\nHost: 127.0.0.1:${mirror}\r\nuser-agent: test/1\r\naccept: */*\r\nProxy-Connection: keep-alive\r\nConnection: x-hop, keep-alive\r\nx-hop: 1\r\nTE: trailers\r\nzeta: z\r\nX-Two: a\r\nx-two: b\r\n${extra}\r\n`;
  const plain = await exchange(open, Buffer.from(get('/a/b?c=1')), { timeoutMs: 1500 });
  const twice = await exchange(open, Buffer.from(get('/one') + get('/two')), { timeoutMs: 1500 });
  const withAuth = await exchange(locked, Buffer.from(get('/auth', auth('alice', 'secret'))), { timeoutMs: 1500 });
  const payload = deterministicBytes(5, 100_000);
  const tunnel = await new Promise<{ head: string; echoed: boolean }>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: open, allowHalfOpen: true }, () => socket.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: 127.0.0.1:${echo.port}\r\n\r\n`));
    let received = Buffer.alloc(0);
    let sent = false;
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (!sent && end >= 0) { sent = true; socket.end(payload); }
    });
    socket.on('end', () => {
      const end = received.indexOf('\r\n\r\n') + 4;
      resolve({ head: received.subarray(0, end).toString(), echoed: received.subarray(end).equals(xor5a(payload)) });
      socket.destroy();
    });
  });
  const noAuth = await exchange(locked, Buffer.from(get('/x')));
  const wrongAuth = await exchange(locked, Buffer.from(get('/x', auth('alice', 'wrong'))));
  const notProxy = await exchange(open, Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n'));
  const garbage = await exchange(open, Buffer.from('garbage\r\n\r\n'));
  const normalise = (text: string) => text.replaceAll(String(mirror), 'MIRROR');
  return {
    plain: normalise(plain.answer), twice: normalise(twice.answer), withAuth: normalise(withAuth.answer), tunnel,
    noAuth, wrongAuth, notProxy, garbage,
  };
}

describe.skipIf(!v2rayAvailable())('http inbound: Porthole answers as v2ray 4.34 does', () => {
  it('GET (forwarded bytes included), keep-alive, auth, CONNECT, 407, 400, garbage: same bytes as v2ray', async () => {
    const lines: string[] = [];
    const porthole = await runAll('porthole', lines);
    const v2ray = await runAll('v2ray', []);
    expect(porthole).toEqual(v2ray);
    const forwarded = 'GET /a/b?c=1 HTTP/1.1\r\nHost: 127.0.0.1:MIRROR\r\nUser-Agent: test/1\r\nAccept: */*\r\nConnection: close\r\nX-Two: a\r\nX-Two: b\r\nZeta: z\r\n\r\n';
    // The length counts the mirror's real port digits, written as MIRROR here.
    expect((porthole.plain as string).replace(/Content-Length: \d+/, 'Content-Length: N')).toBe(`HTTP/1.1 200 OK\r\nContent-Length: N\r\nConnection: keep-alive\r\nKeep-Alive: timeout=4\r\nProxy-Connection: keep-alive\r\nX-Mirror: yes\r\n\r\n${forwarded}`);
    expect(porthole.tunnel).toEqual({ head: 'HTTP/1.1 200 Connection established\r\n\r\n', echoed: true });
    expect(porthole.notProxy).toEqual({ answer: 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n', closedBy: 'end' });
    expect(porthole.garbage).toEqual({ answer: '', closedBy: 'end' });
    await waitUntil(() => lines.filter((line) => line.includes('rejected a connection from 127.0.0.1:')).length >= 4, 2000, 'four log lines');
    expect(lines.filter((line) => line.includes('rejected')).map((line) => line.replace(/^.*?(rejected)/, '$1').replace(/:\d+:/, ':PORT:'))).toEqual([
      'rejected a connection from 127.0.0.1:PORT: http: proxy authentication failed: no Basic Proxy-Authorization',
      'rejected a connection from 127.0.0.1:PORT: http: proxy authentication failed: wrong password for user "alice"',
      'rejected a connection from 127.0.0.1:PORT: http: not a proxy request (no absolute URI): GET /',
      'rejected a connection from 127.0.0.1:PORT: http: malformed HTTP request "garbage"',
    ]);
  }, 60_000);
});
