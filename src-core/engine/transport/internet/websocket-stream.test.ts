/**
 * WebSocketStream against a hand-played peer on loopback: the peer writes frames byte by byte as
 * RFC 6455 has them (websocket-frame.ts encodes, a FrameReader reads what the stream sends), so
 * each case checks what goes over the wire, not only what the stream reports.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import {
  closePayload, encodeFrame, FrameReader, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_CONTINUATION, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT,
  parseClosePayload, type WebSocketRole,
} from './websocket-frame.js';
import { WebSocketStream } from './websocket-stream.js';

interface Peer {
  socket: net.Socket;
  /** Control frames the stream sent, in order. */
  controls: Array<{ opcode: number; payload: Buffer }>;
  /** Data the stream sent, joined. */
  data: () => Buffer;
  /** How the peer's socket ended: 'end' (FIN), 'reset', or 'open'. */
  ending: () => Promise<string>;
  send(opcode: number, payload: Buffer, fin?: boolean): void;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A WebSocketStream in `role` and a raw peer (the other role) connected to it. */
async function pair(role: WebSocketRole): Promise<{ stream: WebSocketStream; peer: Peer }> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  await once(client, 'connect');
  const [serverSocket] = await accepted;
  const [ours, theirs] = role === 'server' ? [serverSocket, client] : [client, serverSocket];
  cleanups.unshift(() => {
    ours.destroy();
    theirs.destroy();
    server.close();
  });
  const peerRole: WebSocketRole = role === 'server' ? 'client' : 'server';
  const controls: Peer['controls'] = [];
  const data: Buffer[] = [];
  const reader = new FrameReader(peerRole, 1 << 20, { data: (piece) => data.push(Buffer.from(piece)), control: (opcode, payload) => controls.push({ opcode, payload: Buffer.from(payload) }) });
  theirs.on('data', (chunk: Buffer) => reader.push(chunk));
  const ended = new Promise<string>((resolve) => {
    theirs.once('end', () => resolve('end'));
    theirs.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNRESET' ? 'reset' : error.message));
  });
  const peer: Peer = {
    socket: theirs,
    controls,
    data: () => Buffer.concat(data),
    ending: () => Promise.race([ended, new Promise<string>((resolve) => setTimeout(() => resolve('open'), 2_000))]),
    send(opcode, payload, fin = true) {
      const frame = encodeFrame(opcode, payload, peerRole);
      if (!fin) frame[0] = frame[0]! & 0x7f;
      theirs.write(frame);
    },
  };
  const stream = new WebSocketStream(ours, ours, role, Buffer.alloc(0), '127.0.0.1', 1);
  cleanups.push(() => stream.on('error', () => {}));
  return { stream, peer };
}

/** How the stream's reading side finished, and what it read. */
function outcome(stream: WebSocketStream): Promise<{ how: string; read: string }> {
  const read: Buffer[] = [];
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => read.push(chunk));
    const done = (how: string) => resolve({ how, read: Buffer.concat(read).toString() });
    stream.once('end', () => done('end'));
    stream.once('error', (error) => done(`error: ${error.message}`));
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe.each(['server', 'client'] as const)('WebSocketStream as the %s', (role) => {
  test('joins the payloads of text, binary and fragmented messages, with control frames between fragments', async () => {
    const { stream, peer } = await pair(role);
    const result = outcome(stream);
    peer.send(OPCODE_TEXT, Buffer.from('one '));
    peer.send(OPCODE_BINARY, Buffer.from('two '), false);
    peer.send(OPCODE_PING, Buffer.from('p'));
    peer.send(OPCODE_CONTINUATION, Buffer.from('three '), false);
    peer.send(OPCODE_CONTINUATION, Buffer.from('four'), true);
    peer.send(OPCODE_CLOSE, closePayload(1000));
    expect(await result).toEqual({ how: 'end', read: 'one two three four' });
  });

  test('answers a ping with a pong carrying its payload', async () => {
    const { peer } = await pair(role);
    peer.send(OPCODE_PING, Buffer.from('are you there'));
    await until(() => peer.controls.length > 0);
    expect(peer.controls).toEqual([{ opcode: OPCODE_PONG, payload: Buffer.from('are you there') }]);
  });

  test('writes each write as one binary message, up to 64 KiB each', async () => {
    const { stream, peer } = await pair(role);
    const big = Buffer.alloc(150_000, 3);
    stream.write(Buffer.from('hello'));
    stream.write(big);
    await until(() => peer.data().length === 5 + big.length);
    expect(peer.data().equals(Buffer.concat([Buffer.from('hello'), big]))).toBe(true);
  });

  test("the peer's normal close ends the stream cleanly; it is answered with the same code, then a FIN", async () => {
    const { stream, peer } = await pair(role);
    const result = outcome(stream);
    peer.send(OPCODE_BINARY, Buffer.from('last words'));
    peer.send(OPCODE_CLOSE, closePayload(1001));
    expect(await result).toEqual({ how: 'end', read: 'last words' });
    expect(await peer.ending()).toBe('end');
    expect(peer.controls.map(({ opcode, payload }) => [opcode, parseClosePayload(payload).code])).toEqual([[OPCODE_CLOSE, 1001]]);
  });

  test('a write after the peer closed fails: nothing goes out after a close frame', async () => {
    const { stream, peer } = await pair(role);
    const result = outcome(stream);
    peer.send(OPCODE_CLOSE, Buffer.alloc(0));
    expect((await result).how).toBe('end');
    const failed = new Promise<Error>((resolve) => stream.write(Buffer.from('late'), (error) => resolve(error as Error)));
    expect((await failed).message).toBe('websocket is closed');
    expect(peer.data().length).toBe(0);
  });

  test("the peer's close with an error code is an error, never a clean end", async () => {
    const { stream, peer } = await pair(role);
    const result = outcome(stream);
    peer.send(OPCODE_CLOSE, closePayload(1011, 'internal error'));
    expect(await result).toEqual({ how: 'error: websocket closed abnormally (code 1011)', read: '' });
  });

  test('a FIN without a close frame is an abnormal closure (1006)', async () => {
    const { stream, peer } = await pair(role);
    const result = outcome(stream);
    peer.send(OPCODE_BINARY, Buffer.from('cut'));
    peer.socket.end();
    expect(await result).toEqual({ how: 'error: websocket closed abnormally (code 1006)', read: 'cut' });
  });

  test('a frame the protocol forbids cuts the connection with a reset and names the cause', async () => {
    const { stream, peer } = await pair(role);
    const result = outcome(stream);
    // Extension bits set: nothing was negotiated.
    peer.socket.write(Buffer.from([0x82 | 0x40, role === 'server' ? 0x80 : 0x00, ...(role === 'server' ? [0, 0, 0, 0] : [])]));
    expect((await result).how).toBe('error: websocket: a frame with extension bits set (none was negotiated)');
    expect(await peer.ending()).toBe('reset');
  });

  test('a stream done both ways sends a normal close (1000) and the connection then ends', async () => {
    const { stream, peer } = await pair(role);
    stream.resume();
    stream.end(Buffer.from('bye'));
    await once(stream, 'finish');
    peer.send(OPCODE_CLOSE, closePayload(1000));
    await once(stream, 'close');
    expect(await peer.ending()).toBe('end');
    expect(peer.data().toString()).toBe('bye');
    expect(peer.controls.map(({ opcode }) => opcode)).toEqual([OPCODE_CLOSE]);
  });

  test('a stream destroyed before its writer finished resets the connection: no close frame', async () => {
    const { stream, peer } = await pair(role);
    stream.on('error', () => {});
    stream.write(Buffer.from('partial'));
    await until(() => peer.data().length > 0);
    stream.destroy(new Error('cut'));
    expect(await peer.ending()).toBe('reset');
    expect(peer.controls).toEqual([]);
  });
});

describe('masking', () => {
  test('a client masks every frame and a server never does (RFC 6455 §5.1)', async () => {
    for (const role of ['client', 'server'] as const) {
      const { stream, peer } = await pair(role);
      const raw: Buffer[] = [];
      peer.socket.on('data', (chunk: Buffer) => raw.push(chunk));
      stream.write(Buffer.from('masked?'));
      await until(() => raw.length > 0);
      expect({ role, maskBit: (raw[0]![1]! & 0x80) !== 0 }).toEqual({ role, maskBit: role === 'client' });
    }
  });

  test('a server refuses an unmasked frame, a client a masked one', async () => {
    for (const role of ['client', 'server'] as const) {
      const { stream, peer } = await pair(role);
      const result = outcome(stream);
      peer.socket.write(encodeFrame(OPCODE_BINARY, Buffer.from('x'), role));
      expect((await result).how).toBe(role === 'server' ? 'error: websocket: an unmasked frame from the client' : 'error: websocket: a masked frame from the server');
    }
  });
});
