/**
 * The HTTP/1.x relay on raw sockets (what browsers, curl and CDNs send, byte by byte): pipelined
 * requests answered in order, 100 Continue from the service, HEAD, a declined WebSocket upgrade,
 * HTTP/1.0 and `Connection: close`, and a pipelined request for another name, which must not be
 * mixed into the answer still due (421 after it, then the connection closes).
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentLogger } from '../../features/log.js';
import { EdgeServer } from './edge-server.js';
import type { EdgeRoute } from './routes.js';

const silentLog: ComponentLogger = { debug() {}, info() {}, warning() {}, error() {}, summarised() {}, enabled: () => false, access() {} };

/** Answers `<name> <method> <path> HTTP/<version> [body]`; /slow answers after 100 ms. */
function startService(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const text = `${name} ${req.method} ${req.url} HTTP/${req.httpVersion}${body ? ` ${body}` : ''}`;
      const send = () => res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(text)) }).end(req.method === 'HEAD' ? undefined : text);
      if (req.url === '/slow') setTimeout(send, 100);
      else send();
    });
  });
  // A WebSocket upgrade this service does not do: a plain 400, and the connection stays HTTP.
  server.on('upgrade', (_req, socket: net.Socket) => {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port })));
}

let services: Array<{ server: http.Server; port: number }>;
let edge: EdgeServer;

beforeAll(async () => {
  services = await Promise.all([startService('A'), startService('B')]);
  const route = (hostname: string, port: number): EdgeRoute => ({ hostname, ownerKey: hostname, access: {}, open: () => net.connect(port, '127.0.0.1') });
  const routes = new Map([['a.test', route('a.test', services[0]!.port)], ['b.test', route('b.test', services[1]!.port)]]);
  edge = new EdgeServer({ http: { host: '127.0.0.1', port: 0 }, routes: { resolve: (name) => routes.get(name) }, log: silentLog });
  await edge.start();
});

afterAll(async () => {
  await edge?.close();
  for (const service of services ?? []) service.server.close();
});

/** Sends `text` on one connection and reads until the edge closes it (bounded). */
function exchange(text: string | string[], { waitMs = 0 } = {}): Promise<{ received: string; ended: 'end' | 'reset' | 'timeout' }> {
  return new Promise((resolve) => {
    const socket = net.connect(edge.httpPort!, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => { socket.destroy(); resolve({ received, ended: 'timeout' }); }, 5_000);
    socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
    socket.on('end', () => { clearTimeout(timer); socket.destroy(); resolve({ received, ended: 'end' }); });
    socket.on('error', () => { clearTimeout(timer); resolve({ received, ended: 'reset' }); });
    const parts = Array.isArray(text) ? text : [text];
    void (async () => {
      for (const part of parts) {
        socket.write(part);
        if (waitMs) await new Promise((done) => setTimeout(done, waitMs));
      }
    })();
  });
}

/** The bodies of the answers in `received`, in order (Content-Length framed). */
function bodies(received: string): string[] {
  const found: string[] = [];
  let rest = received;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) break;
    const head = rest.slice(0, headEnd);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    const status = head.split(' ')[1];
    found.push(status === '200' ? rest.slice(headEnd + 4, headEnd + 4 + length) : `(${status})`);
    rest = rest.slice(headEnd + 4 + (head.startsWith('HTTP/1.1 1') ? 0 : length));
  }
  return found;
}

describe('the HTTP/1.x relay', () => {
  it('answers pipelined requests in order, on one stream to the service', async () => {
    const { received } = await exchange('GET /slow HTTP/1.1\r\nHost: a.test\r\n\r\nGET /two HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n');
    expect(bodies(received)).toEqual(['A GET /slow HTTP/1.1', 'A GET /two HTTP/1.1']);
  });

  it('passes the service\'s 100 Continue, then its answer', async () => {
    const { received } = await exchange([
      'POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
      'hello',
    ], { waitMs: 50 });
    expect(received.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
    expect(bodies(received)).toEqual(['(100)', 'A POST /upload HTTP/1.1 hello']);
  });

  it('HEAD has no body, and the next answer on the connection is read right', async () => {
    const { received } = await exchange('HEAD /h HTTP/1.1\r\nHost: a.test\r\n\r\nGET /g HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n');
    const [headAnswer, getAnswer] = received.split(/(?=HTTP\/1\.1 200)/);
    expect(headAnswer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Length: 18\r\n[\s\S]*\r\n\r\n$/i);
    expect(getAnswer?.endsWith('\r\n\r\nA GET /g HTTP/1.1')).toBe(true);
  });

  it('a pipelined request for another name is not mixed into the answer due: 421 after it, then the end', async () => {
    const { received, ended } = await exchange('GET /slow HTTP/1.1\r\nHost: a.test\r\n\r\nGET /x HTTP/1.1\r\nHost: b.test\r\n\r\n');
    expect(bodies(received)).toEqual(['A GET /slow HTTP/1.1', '(421)']);
    expect(ended).toBe('end');
  });

  it('one request at a time, another name on the same connection goes to its own service', async () => {
    const { received } = await exchange(['GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\n', 'GET /2 HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n'], { waitMs: 100 });
    expect(bodies(received)).toEqual(['A GET /1 HTTP/1.1', 'B GET /2 HTTP/1.1']);
  });

  it('a WebSocket upgrade the service declines: its answer reaches the visitor, and the connection ends as the service said', async () => {
    const { received, ended } = await exchange(
      'GET /ws HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nno$/);
    expect(ended).toBe('end');
  });

  it('HTTP/1.0 reaches the service as 1.0, and the connection closes after the answer', async () => {
    const { received, ended } = await exchange('GET /old HTTP/1.0\r\nHost: a.test\r\n\r\n');
    expect(bodies(received)).toEqual(['A GET /old HTTP/1.0']);
    expect(ended).toBe('end');
  });

  it('a visitor\'s Connection: close closes the connection after the answer', async () => {
    const { received, ended } = await exchange('GET /bye HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n');
    expect(bodies(received)).toEqual(['B GET /bye HTTP/1.1']);
    expect(ended).toBe('end');
  });
});
