/**
 * The public edge on real sockets: an EdgeServer on 127.0.0.1 (HTTP and HTTPS), routes whose
 * `open` dials loopback HTTP services that echo what they saw (method, path, headers, peer), and
 * visitors made of Node's clients, `ws`, `http2.connect`, raw sockets and the `curl` CLI.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { ComponentLogger } from '../../features/log.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from '../../transport/internet/testdata/certs.js';
import type { CertificateSource } from './certificate-source.js';
import { EdgeServer } from './edge-server.js';
import type { EdgeAccess, EdgeRoute, EdgeRouteTable } from './routes.js';

const run = promisify(execFile);
const BIG_BYTES = 64 * 1024 * 1024;
const PATTERN = createHash('sha512').update('porthole edge').digest();
const BIG_CHUNK = Buffer.alloc(64 * 1024, PATTERN);

/** What an echo service saw, as it answers. */
interface Seen {
  service: string;
  method: string;
  url: string;
  httpVersion: string;
  headers: http.IncomingHttpHeaders;
  remoteAddress: string;
}

interface Service {
  name: string;
  port: number;
  server: http.Server;
  /** Lets a held server-sent-events response send its last event and end. */
  releaseEvents(): void;
  connections: number;
}

async function startService(name: string): Promise<Service> {
  let release: () => void = () => undefined;
  const service: Service = { name, port: 0, server: http.createServer(), releaseEvents: () => release(), connections: 0 };
  const { server } = service;
  server.on('connection', () => { service.connections += 1; });
  server.on('request', (req, res) => {
    const url = req.url ?? '/';
    if (url === '/big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(BIG_BYTES) });
      let sent = 0;
      const more = () => {
        while (sent < BIG_BYTES) {
          sent += BIG_CHUNK.length;
          if (!res.write(BIG_CHUNK)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
      return;
    }
    if (url === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write('data: first\n\n');
      release = () => res.end('data: last\n\n');
      return;
    }
    if (url === '/cut') {
      // Promises a megabyte, sends 64 KiB, then resets: a truncated response.
      res.writeHead(200, { 'Content-Length': String(1024 * 1024) });
      res.write(Buffer.alloc(64 * 1024, 1), () => req.socket.resetAndDestroy());
      return;
    }
    if (url === '/hold') return; // never answers (the 504 test)
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen: Seen & { body: string } = {
        service: name, method: req.method ?? '', url, httpVersion: req.httpVersion, headers: req.headers,
        remoteAddress: req.socket.remoteAddress ?? '', body: Buffer.concat(chunks).toString(),
      };
      const body = JSON.stringify(seen);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': ['a=1', 'b=2'], 'X-Service': name });
      res.end(body);
    });
  });
  // WebSocket: answer each message upper-cased and reversed (a short-circuit cannot pass), and
  // first say which forwarded address this service saw.
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    socket.send(`hello from ${name}, you are ${String(req.headers['x-forwarded-for'])}`);
    socket.on('message', (data) => socket.send([...data.toString().toUpperCase()].reverse().join('')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.port = (server.address() as net.AddressInfo).port;
  return service;
}

function route(hostname: string, port: number, access: EdgeAccess = {}, ownerKey = 'owner-1'): EdgeRoute {
  return { hostname, ownerKey, access, open: () => net.connect(port, '127.0.0.1') };
}

const silentLog: ComponentLogger = { debug() {}, info() {}, warning() {}, error() {}, summarised() {}, enabled: () => false, access() {} };

let certs: CertificateFolder;
const certificates = new Map<string, TestCertificate>();
let serviceA: Service;
let serviceB: Service;
let edge: EdgeServer;
let deadPort: number;

/** Certificates exist for these names: on the HTTP port they redirect to HTTPS. */
const TLS_NAMES = ['a.test', 'b.test', 'auth.test', 'deny.test', 'allow.test', 'default.invalid'];

beforeAll(async () => {
  if (!openSslAvailable()) throw new Error('openssl CLI is needed for the edge tests');
  certs = createCertificateFolder();
  for (const name of TLS_NAMES) certificates.set(name, certs.make(name.replace(/\W/g, '-'), name));
  serviceA = await startService('service-A');
  serviceB = await startService('service-B');
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  deadPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  const routes = new Map<string, EdgeRoute>([
    ['a.test', route('a.test', serviceA.port)],
    ['b.test', route('b.test', serviceB.port, {}, 'owner-2')],
    ['c.test', route('c.test', serviceA.port)],
    ['d.test', route('d.test', serviceB.port, {}, 'owner-2')],
    ['auth.test', route('auth.test', serviceA.port, { basicAuth: { user: 'ann', password: 's3cret' } })],
    ['deny.test', route('deny.test', serviceA.port, { allow: ['10.0.0.0/8'] })],
    ['allow.test', route('allow.test', serviceA.port, { allow: ['10.0.0.0/8', '127.0.0.0/8'] })],
    ['dead.test', route('dead.test', deadPort)],
  ]);
  const table: EdgeRouteTable = { resolve: (name) => routes.get(name) };
  const contexts = new Map([...certificates].map(([name, cert]) => [name, tls.createSecureContext({ cert: cert.certPem, key: cert.keyPem })]));
  const source: CertificateSource = {
    contextFor: (name) => (name === 'default.invalid' ? undefined : contexts.get(name)),
    defaultContext: () => contexts.get('default.invalid'),
  };
  edge = new EdgeServer({
    http: { host: '127.0.0.1', port: 0 },
    https: { host: '127.0.0.1', port: 0 },
    routes: table,
    certificates: source,
    challenges: { keyAuthorization: (token) => (token === 'tok-123' ? 'tok-123.thumbprint' : undefined) },
    limits: { headersTimeoutMs: 2_000, upstreamHeadersTimeoutMs: 1_500 },
    log: silentLog,
  });
  await edge.start();
});

afterAll(async () => {
  await edge?.close();
  for (const service of [serviceA, serviceB]) {
    service?.server.closeAllConnections();
    await new Promise<void>((resolve) => service?.server.close(() => resolve()) ?? resolve());
  }
  certs?.remove();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function caFor(name: string): string {
  return certificates.get(name)?.certPem ?? '';
}

/** One request through the edge: HTTPS when `tlsName` is given (SNI = tlsName, its certificate trusted). */
function request(host: string, options: { tlsName?: string; path?: string; headers?: http.OutgoingHttpHeaders; method?: string; body?: string; agent?: http.Agent } = {}): Promise<Answer> {
  const secure = options.tlsName !== undefined;
  const port = secure ? edge.httpsPort : edge.httpPort;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({
      host: '127.0.0.1', port, path: options.path ?? '/', method: options.method ?? 'GET',
      headers: { Host: `${host}:${port}`, ...options.headers },
      servername: options.tlsName, ca: options.tlsName ? caFor(options.tlsName) : undefined,
      agent: options.agent ?? false, timeout: 10_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.end(options.body);
  });
}

function seen(answer: Answer): Seen {
  return JSON.parse(answer.body) as Seen;
}

describe('routing by name', () => {
  it('two names on one HTTP port reach their own services; an unknown name gets a 404 naming nothing else', async () => {
    const [c, d, unknown] = await Promise.all([request('c.test'), request('d.test'), request('nobody.test')]);
    expect([c.status, seen(c).service, d.status, seen(d).service]).toEqual([200, 'service-A', 200, 'service-B']);
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(unknown.body).toContain('nobody.test');
    expect(unknown.body).not.toMatch(/[a-d]\.test|service-|auth|allow|deny/);
  });

  it('two names on one HTTPS port, by SNI and Host, each with its own certificate', async () => {
    const [a, b] = await Promise.all([request('a.test', { tlsName: 'a.test' }), request('b.test', { tlsName: 'b.test' })]);
    expect([a.status, seen(a).service, b.status, seen(b).service]).toEqual([200, 'service-A', 200, 'service-B']);
  });

  it('curl --resolve reaches both names over HTTPS, verifying each certificate; an unknown name gets 404', async () => {
    const port = String(edge.httpsPort);
    const curl = async (name: string, ca: string, extra: string[] = []) => {
      const { stdout } = await run('curl', ['-sS', '--max-time', '10', '--resolve', `${name}:${port}:127.0.0.1`, '--cacert', ca,
        '-w', '\n%{http_code} %{http_version}', ...extra, `https://${name}:${port}/via-curl`]);
      return stdout;
    };
    const a = await curl('a.test', certificates.get('a.test')?.certFile ?? '');
    const b = await curl('b.test', certificates.get('b.test')?.certFile ?? '', ['--http1.1']);
    expect(a).toMatch(/"service":"service-A".*"url":"\/via-curl"[\s\S]*\n200 2$/);
    expect(b).toMatch(/"service":"service-B"[\s\S]*\n200 1\.1$/);
    const unknown = await curl('nobody.test', certificates.get('default.invalid')?.certFile ?? '', ['-k']);
    expect(unknown).toMatch(/404 Unknown site[\s\S]*\n404 2$/);
  });

  it('a Host that disagrees with the TLS name gets 421, on HTTP/1.1 and HTTP/2', async () => {
    const misdirected = await request('b.test', { tlsName: 'a.test' });
    expect(misdirected.status).toBe(421);
    expect(misdirected.body).not.toContain('service-');
  });

  it('plain HTTP to a name with a certificate is redirected to HTTPS (308); the ACME challenge path is answered for any name first', async () => {
    const redirect = await request('a.test', { path: '/x?y=1' });
    expect([redirect.status, redirect.headers.location]).toEqual([308, `https://a.test:${edge.httpsPort}/x?y=1`]);
    const challenge = await request('a.test', { path: '/.well-known/acme-challenge/tok-123' });
    expect([challenge.status, challenge.body]).toEqual([200, 'tok-123.thumbprint']);
    const elsewhere = await request('not-routed.test', { path: '/.well-known/acme-challenge/tok-123' });
    expect([elsewhere.status, elsewhere.body]).toEqual([200, 'tok-123.thumbprint']);
    const unknownToken = await request('a.test', { path: '/.well-known/acme-challenge/other' });
    expect(unknownToken.status).toBe(404);
  });
});

describe('access at the edge', () => {
  it('basic auth: 401 with a challenge, then 200 with the right credentials (and 401 with wrong ones)', async () => {
    const none = await request('auth.test', { tlsName: 'auth.test' });
    expect([none.status, none.headers['www-authenticate']]).toEqual([401, 'Basic realm="auth.test", charset="UTF-8"']);
    const wrong = await request('auth.test', { tlsName: 'auth.test', headers: { Authorization: `Basic ${Buffer.from('ann:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const right = await request('auth.test', { tlsName: 'auth.test', headers: { Authorization: `Basic ${Buffer.from('ann:s3cret').toString('base64')}` } });
    expect([right.status, seen(right).service]).toEqual([200, 'service-A']);
    expect(serviceA.connections).toBeGreaterThan(0);
  });

  it('allowlist: 403 for 127.0.0.1 when only 10.0.0.0/8 may come, 200 when 127.0.0.0/8 may', async () => {
    const before = serviceA.connections;
    const denied = await request('deny.test', { tlsName: 'deny.test' });
    expect(denied.status).toBe(403);
    expect(serviceA.connections).toBe(before); // nothing reached the service
    const allowed = await request('allow.test', { tlsName: 'allow.test' });
    expect([allowed.status, seen(allowed).service]).toEqual([200, 'service-A']);
  });
});

describe('forwarding', () => {
  it('the service sees the visitor (X-Forwarded-*, Forwarded), the Host asked for, never the visitor\'s own claims', async () => {
    const answer = await request('a.test', {
      tlsName: 'a.test', path: '/who?x=1',
      headers: { 'X-Forwarded-For': '6.6.6.6', 'X_Forwarded_For': '6.6.6.6', Forwarded: 'for=6.6.6.6', 'X-Real-IP': '6.6.6.6', 'X-Forwarded-Proto': 'gopher' },
    });
    const { headers, url, httpVersion } = seen(answer);
    const port = String(edge.httpsPort);
    expect({
      url, httpVersion, host: headers.host, xff: headers['x-forwarded-for'], proto: headers['x-forwarded-proto'], xfh: headers['x-forwarded-host'],
      realIp: headers['x-real-ip'], forwarded: headers.forwarded, underscored: Object.keys(headers).filter((name) => name.includes('_')),
    }).toEqual({
      url: '/who?x=1', httpVersion: '1.1', host: `a.test:${port}`, xff: '127.0.0.1', proto: 'https', xfh: `a.test:${port}`,
      realIp: '127.0.0.1', forwarded: `for=127.0.0.1;host="a.test:${port}";proto=https`, underscored: [],
    });
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('a request body reaches the service whole (chunked and with a length)', async () => {
    const chunked = await new Promise<Answer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: edge.httpPort, method: 'POST', path: '/upload', headers: { Host: 'c.test' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.write('part one, ');
      setImmediate(() => req.end('part two'));
    });
    expect(JSON.parse(chunked.body)).toMatchObject({ method: 'POST', body: 'part one, part two', headers: { 'transfer-encoding': 'chunked' } });
    const sized = await request('c.test', { method: 'PUT', body: 'exact', headers: { 'Content-Length': '5' } });
    expect(JSON.parse(sized.body)).toMatchObject({ method: 'PUT', body: 'exact', headers: { 'content-length': '5' } });
  });

  it('keep-alive: requests for two names on one visitor connection (as a CDN\'s pool sends them)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports: number[] = [];
    agent.on('free', (socket: net.Socket) => ports.push(socket.localPort ?? 0));
    try {
      const first = await request('c.test', { agent });
      const second = await request('d.test', { agent });
      expect([first.status, second.status, seen(first).service, seen(second).service]).toEqual([200, 200, 'service-A', 'service-B']);
      expect(ports).toHaveLength(2);
      expect(ports[0]).toBe(ports[1]);
    } finally {
      agent.destroy();
    }
  });
});

describe('streams and upgrades', () => {
  it('a WebSocket echoes through a name on HTTPS (wss), and the service saw the visitor\'s address', async () => {
    const port = edge.httpsPort ?? 0;
    const socket = new WebSocket(`wss://127.0.0.1:${port}/socket`, { servername: 'a.test', ca: caFor('a.test'), headers: { Host: `a.test:${port}` } } as WebSocket.ClientOptions);
    const messages: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        messages.push(data.toString());
        if (messages.length === 1) socket.send('ping through the edge');
        else socket.close();
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await done;
    expect(messages).toEqual(['hello from service-A, you are 127.0.0.1', 'EGDE EHT HGUORHT GNIP']);
  });

  it('a WebSocket to a name the visitor may not reach is refused before the service sees it', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${edge.httpPort}/`, { headers: { Host: 'nobody.test' } });
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); socket.terminate(); });
      socket.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });

  it('server-sent events: the first event arrives before the response ends', async () => {
    const answer = await new Promise<{ first: string; last: string }>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port: edge.httpsPort, path: '/events', servername: 'a.test', ca: caFor('a.test'), headers: { Host: 'a.test' }, agent: false }, (res) => {
        let text = '';
        let first = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (!first && text.includes('\n\n')) {
            first = text;
            serviceA.releaseEvents(); // only now may the service finish
          }
        });
        res.on('end', () => resolve({ first, last: text.slice(first.length) }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    expect(answer).toEqual({ first: 'data: first\n\n', last: 'data: last\n\n' });
  });

  it('a 64 MiB download arrives byte-exact (HTTPS, HTTP/1.1)', async () => {
    const expected = createHash('sha256');
    for (let sent = 0; sent < BIG_BYTES; sent += BIG_CHUNK.length) expected.update(BIG_CHUNK);
    const started = process.hrtime.bigint();
    const got = await new Promise<{ bytes: number; digest: string }>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port: edge.httpsPort, path: '/big', servername: 'b.test', ca: caFor('b.test'), headers: { Host: 'b.test' }, agent: false }, (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (chunk: Buffer) => { bytes += chunk.length; hash.update(chunk); });
        res.on('end', () => resolve({ bytes, digest: hash.digest('hex') }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.info(`edge: 64 MiB over HTTPS in ${seconds.toFixed(2)} s (${(64 / seconds).toFixed(0)} MiB/s), information only`);
    expect(got).toEqual({ bytes: BIG_BYTES, digest: expected.digest('hex') });
  });

  it('a response the service cuts short reaches the visitor cut short (aborted), not complete', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: edge.httpPort, path: '/cut', headers: { Host: 'c.test' }, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
        res.on('end', () => resolve(`complete after ${bytes}`));
        res.on('error', (error) => resolve(`aborted: ${error.message}`));
      });
      req.on('error', (error) => resolve(`aborted: ${error.message}`));
    });
    expect(outcome).toMatch(/^aborted/);
  });

  it('HTTP/2 to visitors: two streams on one session, relayed to the service as HTTP/1.1; another name on it gets 421', async () => {
    const session = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { servername: 'a.test', ca: caFor('a.test') });
    session.on('error', () => undefined);
    const get = (authority: string, path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ':path': path, ':authority': authority, 'x-forwarded-for': '6.6.6.6' });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => { status = Number(headers[':status']); });
      stream.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
      stream.end();
    });
    try {
      const [one, two, other] = await Promise.all([get('a.test', '/h2-one'), get('a.test', '/h2-two'), get('b.test', '/')]);
      expect([one.status, two.status, other.status]).toEqual([200, 200, 421]);
      expect(JSON.parse(one.body)).toMatchObject({ service: 'service-A', url: '/h2-one', httpVersion: '1.1', headers: { host: 'a.test', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https' } });
      expect(JSON.parse(two.body)).toMatchObject({ url: '/h2-two' });
    } finally {
      session.close();
    }
  });

  it('HTTP/2: a response the service cuts short resets the stream', async () => {
    const session = http2.connect(`https://127.0.0.1:${edge.httpsPort}`, { servername: 'a.test', ca: caFor('a.test') });
    session.on('error', () => undefined);
    try {
      const outcome = await new Promise<string>((resolve) => {
        const stream = session.request({ ':path': '/cut', ':authority': 'a.test' });
        stream.on('data', () => undefined);
        stream.on('end', () => resolve('complete'));
        stream.on('error', (error: Error & { code?: string }) => resolve(`reset: ${error.code ?? error.message}`));
        stream.on('close', () => resolve(`closed with code ${stream.rstCode}`));
        stream.end();
      });
      expect(outcome).not.toBe('complete');
      expect(outcome).not.toBe('closed with code 0');
    } finally {
      session.close();
    }
  });
});

describe('failures and limits', () => {
  it('a service that is down: 502; one that does not answer: 504; neither names anything else', async () => {
    const dead = await request('dead.test');
    expect(dead.status).toBe(502);
    const held = await request('c.test', { path: '/hold' });
    expect(held.status).toBe(504);
    for (const body of [dead.body, held.body]) expect(body).not.toMatch(/service-|127\.0\.0\.1|ECONNREFUSED/);
  });

  it('request headers over 16 KiB: 431', async () => {
    const answer = await request('c.test', { headers: { 'X-Big': 'x'.repeat(20 * 1024) } });
    expect(answer.status).toBe(431);
  });

  it('slowloris on both ports (headers at 1 byte a second) does not stop another name from being served, and the slow sockets are closed', async () => {
    const slow: net.Socket[] = [];
    const closed: Array<Promise<string>> = [];
    const head = 'GET / HTTP/1.1\r\nHost: a.test\r\nX-Slow: ' + 'z'.repeat(200);
    const drip = (socket: net.Socket) => {
      let index = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || index >= head.length) return;
        socket.write(head[index] ?? '');
        index += 1;
      }, 1_000);
      closed.push(new Promise((resolve) => {
        let answer = '';
        socket.on('data', (chunk: Buffer) => { answer += chunk.toString(); });
        socket.on('error', () => undefined);
        socket.on('close', () => { clearInterval(timer); resolve(answer.split('\r\n')[0] ?? ''); });
      }));
    };
    for (let i = 0; i < 40; i += 1) {
      const plain = net.connect(edge.httpPort ?? 0, '127.0.0.1');
      slow.push(plain);
      drip(plain);
      const secure = tls.connect({ host: '127.0.0.1', port: edge.httpsPort, servername: 'a.test', ca: caFor('a.test'), ALPNProtocols: ['http/1.1'] });
      slow.push(secure);
      secure.once('secureConnect', () => drip(secure));
    }
    try {
      // While they drip, other names are served over both ports.
      for (let round = 0; round < 3; round += 1) {
        const [b, d] = await Promise.all([request('b.test', { tlsName: 'b.test' }), request('d.test')]);
        expect([seen(b).service, seen(d).service]).toEqual(['service-B', 'service-B']);
      }
      // headersTimeout is 2 s here: every slow socket is answered 408 (or cut) and closed.
      const firstLines = await Promise.all(closed);
      expect(firstLines.every((line) => line === '' || line === 'HTTP/1.1 408 Request Timeout')).toBe(true);
      expect(firstLines.filter((line) => line.includes('408')).length).toBeGreaterThan(0);
    } finally {
      for (const socket of slow) socket.destroy();
    }
  });

  it('a name at its cap of exchanges in progress gets 503 (with Retry-After); another name is still served', async () => {
    const capped = new EdgeServer({
      http: { host: '127.0.0.1', port: 0 },
      routes: { resolve: (name) => (name === 'c.test' ? route('c.test', serviceA.port) : name === 'd.test' ? route('d.test', serviceB.port) : undefined) },
      limits: { maxActivePerName: 1 },
      log: silentLog,
    });
    await capped.start();
    const held = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: capped.httpPort, path: '/events', headers: { Host: 'c.test' }, agent: false }, resolve).on('error', reject);
    });
    try {
      const ask = (host: string) => new Promise<Answer>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: capped.httpPort, path: '/', headers: { Host: host }, agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        }).on('error', reject);
      });
      const [busy, other] = await Promise.all([ask('c.test'), ask('d.test')]);
      expect([busy.status, busy.headers['retry-after'], other.status]).toEqual([503, '1', 200]);
      expect(capped.active().perName).toEqual({ 'c.test': 1 });
    } finally {
      serviceA.releaseEvents();
      held.resume();
      await new Promise((resolve) => held.on('end', resolve));
      await capped.close();
    }
  });

  it('close() ends every socket and stream the edge holds', async () => {
    const other = new EdgeServer({ http: { host: '127.0.0.1', port: 0 }, routes: { resolve: (name) => (name === 'c.test' ? route('c.test', serviceA.port) : undefined) }, log: silentLog });
    await other.start();
    const agent = new http.Agent({ keepAlive: true });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: other.httpPort, path: '/events', headers: { Host: 'c.test' }, agent }, resolve).on('error', reject);
    });
    const cut = new Promise<boolean>((resolve) => {
      res.on('error', () => resolve(true));
      res.on('end', () => resolve(false));
      res.resume();
    });
    await other.close();
    expect(await cut).toBe(true);
    expect(other.httpPort).toBeUndefined();
    agent.destroy();
    serviceA.releaseEvents();
  });
});
