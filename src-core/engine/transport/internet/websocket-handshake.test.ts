/**
 * The WebSocket opening handshake (RFC 6455 §4) both ways, against hand-written HTTP on loopback:
 * what Porthole's client sends and accepts, and what its server answers.
 */
import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { createWebSocketAcceptor, openWebSocket } from './websocket.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listenRaw(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  closers.push(() => socket.destroy());
  return socket;
}

/** Reads until the end of an HTTP head. */
function readHead(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', function onData(chunk: Buffer) {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(text);
      }
    });
  });
}

describe('the server side', () => {
  async function acceptorPort(rejections: string[]) {
    const acceptor = createWebSocketAcceptor({ path: '/link', headers: {} }, (stream) => closers.push(() => stream.destroy()), (_source, why) => rejections.push(why));
    closers.push(() => acceptor.close());
    return listenRaw((socket) => acceptor.handle(socket, socket));
  }

  const request = (headers: string) => `GET /link HTTP/1.1\r\nHost: porthole.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${headers}\r\n`;

  test("answers RFC 6455's sample key with its sample accept value", async () => {
    const port = await acceptorPort([]);
    const socket = await connect(port);
    socket.write(request('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'));
    const head = await readHead(socket);
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
    expect(head).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
  });

  test.each([
    ['Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n', 'Sec-WebSocket-Version "8" (only 13 is spoken)'],
    ['Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n', 'Sec-WebSocket-Key is not 16 bytes in base64'],
    ['Sec-WebSocket-Version: 13\r\n', 'Sec-WebSocket-Key is not 16 bytes in base64'],
  ])('refuses an invalid upgrade with 400 and one line: %j', async (headers, why) => {
    const rejections: string[] = [];
    const port = await acceptorPort(rejections);
    const socket = await connect(port);
    socket.write(request(headers));
    const head = await readHead(socket);
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(rejections).toEqual([`not a valid WebSocket upgrade: ${why}`]);
  });
});

describe('the client side', () => {
  /** A server that reads the upgrade request, then answers with `answer(request)`. */
  async function fakeServer(answer: (head: string) => string): Promise<{ port: number; heads: string[] }> {
    const heads: string[] = [];
    const port = await listenRaw((socket) => {
      closers.push(() => socket.destroy());
      void readHead(socket).then((head) => {
        heads.push(head);
        socket.write(answer(head));
      });
    });
    return { port, heads };
  }

  test('sends the configured headers, a Host among them replacing the URL\'s', async () => {
    const { port, heads } = await fakeServer(() => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    const socket = await connect(port);
    await openWebSocket(socket, socket, { host: '127.0.0.1', port, secure: false }, { path: '/link?x=1', headers: { host: 'cdn.example', 'X-Token': 'abc' } }).catch(() => {});
    const lines = heads[0]!.split('\r\n');
    expect(lines[0]).toBe('GET /link?x=1 HTTP/1.1');
    expect(lines).toContain('Host: cdn.example');
    expect(lines).toContain('X-Token: abc');
    expect(lines.filter((line) => /^host:/i.test(line))).toHaveLength(1);
  });

  test('refuses a 101 answer whose Sec-WebSocket-Accept does not match its key', async () => {
    const { port } = await fakeServer(() => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n');
    const socket = await connect(port);
    await expect(openWebSocket(socket, socket, { host: '127.0.0.1', port, secure: false }, { path: '/link', headers: {} }))
      .rejects.toThrow(`websocket ws://127.0.0.1:${port}/link: the server switched protocols without a valid WebSocket handshake (Upgrade or Sec-WebSocket-Accept)`);
  });

  test('opens against its own server, and bytes flow both ways', async () => {
    let accepted: (stream: Duplex) => void = () => {};
    const serverSide = new Promise<Duplex>((resolve) => { accepted = resolve; });
    const acceptor = createWebSocketAcceptor({ path: '/link', headers: {} }, (stream) => accepted(stream), () => {});
    closers.push(() => acceptor.close());
    const port = await listenRaw((socket) => acceptor.handle(socket, socket));
    const socket = await connect(port);
    const client = await openWebSocket(socket, socket, { host: '127.0.0.1', port, secure: false }, { path: '/link', headers: {} });
    const server = await serverSide;
    client.write(Buffer.from('ping'));
    const [fromClient] = (await once(server, 'data')) as [Buffer];
    server.write(Buffer.from('pong'));
    const [fromServer] = (await once(client, 'data')) as [Buffer];
    expect([fromClient.toString(), fromServer.toString()]).toEqual(['ping', 'pong']);
    client.destroy();
    server.destroy();
  });
});
