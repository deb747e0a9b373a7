/**
 * The edge's hop to a service that closes kept-alive connections under it: a bodiless request
 * that meets such a connection is tried once more on a fresh one; a request with a body is not
 * (it may have been acted on), and the visitor gets a 502, never a made-up answer.
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

function send(method: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: edge.httpPort, method, path: '/', headers: { Host: 'app.test' }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the edge\'s kept-alive hop to a service', () => {
  it('tries a bodiless request once more on a fresh connection when the kept one was closed under it', async () => {
    expect(await send('GET')).toEqual({ status: 200, body: 'ok' });
    const before = service.connections();
    expect(await send('GET')).toEqual({ status: 200, body: 'ok' });
    expect(service.connections()).toBe(before + 1);
  });

  it('does not repeat a request with a body: 502', async () => {
    expect(await send('GET')).toEqual({ status: 200, body: 'ok' });
    const answer = await send('POST', 'order=1');
    expect(answer.status).toBe(502);
  });
});
