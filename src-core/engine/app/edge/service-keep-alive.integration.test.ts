/**
 * A service that closes kept-alive connections under the edge, while the visitor keeps its own
 * connection: a bodiless request that meets such a connection is tried once more on a fresh one
 * (the visitor never sees the service's short keep-alive); a request with a body is not (it may
 * have been acted on), and the visitor gets a 502, never a made-up answer.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentLogger } from '../../features/log.js';
import { EdgeServer } from './edge-server.js';
import type { EdgeRoute } from './routes.js';

const silentLog: ComponentLogger = { debug() {}, info() {}, warning() {}, error() {}, summarised() {}, enabled: () => false, access() {} };

/** Answers the first request of each connection (keep-alive), then drops the connection at the next one's first byte. */
function startForgetfulService(): Promise<{ server: net.Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    let answered = false;
    socket.on('error', () => {});
    socket.on('data', () => {
      if (answered) {
        socket.destroy();
        return;
      }
      answered = true;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, connections: () => connections })));
}

let service: Awaited<ReturnType<typeof startForgetfulService>>;
let edge: EdgeServer;

beforeAll(async () => {
  service = await startForgetfulService();
  const route: EdgeRoute = { hostname: 'app.test', ownerKey: 'o', access: {}, open: () => net.connect(service.port, '127.0.0.1') };
  edge = new EdgeServer({ http: { host: '127.0.0.1', port: 0 }, routes: { resolve: (name) => (name === 'app.test' ? route : undefined) }, log: silentLog });
  await edge.start();
});

afterAll(async () => {
  await edge?.close();
  await new Promise<void>((resolve) => service?.server.close(() => resolve()));
});

/** Requests on one kept-alive visitor connection. */
function visitorConnection(): { send(method: string, body?: string): Promise<{ status: number; body: string }>; localPorts: Set<number>; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const localPorts = new Set<number>();
  const send = (method: string, body?: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: edge.httpPort, method, path: '/', headers: { Host: 'app.test' }, agent }, (res) => {
      localPorts.add(res.socket.localPort ?? 0);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  return { send, localPorts, close: () => agent.destroy() };
}

describe('a service that closes kept-alive connections under the edge', () => {
  it('a bodiless request is tried once more on a fresh connection; the visitor keeps its own', async () => {
    const visitor = visitorConnection();
    try {
      expect(await visitor.send('GET')).toEqual({ status: 200, body: 'ok' });
      const before = service.connections();
      expect(await visitor.send('GET')).toEqual({ status: 200, body: 'ok' });
      expect(await visitor.send('GET')).toEqual({ status: 200, body: 'ok' });
      expect(service.connections()).toBe(before + 2);
      expect(visitor.localPorts.size).toBe(1);
    } finally {
      visitor.close();
    }
  });

  it('a request with a body is not repeated: 502', async () => {
    const visitor = visitorConnection();
    try {
      expect(await visitor.send('GET')).toEqual({ status: 200, body: 'ok' });
      const answer = await visitor.send('POST', 'order=1');
      expect(answer.status).toBe(502);
    } finally {
      visitor.close();
    }
  });
});
