import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinkPair } from '../../transport/link.js';
import { destination } from '../net.js';
import { MuxClient } from './client.js';
import { DEFAULT_FLOW_WINDOW } from './flow.js';
import { FrameOption, FrameStatus, hasOption, type FrameMetadata } from './frame.js';
import { FrameReader } from './reader.js';
import { MuxServer } from './server.js';
import type { MuxStream } from './stream.js';
import { encodeKeepFrame } from './testdata/frames.js';
import { encodeEndFrame } from './writer.js';

const quietLog = { debug: () => {}, warning: () => {} };
const porthole = { streamBufferBytes: 64 * 1024, log: quietLog };
/** A 4.34 peer announces no flow control; a Porthole end offering none behaves the same. */
const v2rayLike = { ...porthole, flowWindow: 0 };

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

/**
 * A loopback TCP server whose every accepted socket is bound to a new session of `client`, as
 * the portal binds a visitor's socket. Returns a connect function for visitors.
 */
async function bindingServer(client: MuxClient, port = 8000): Promise<() => net.Socket> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => client.bindStream(destination('tcp', '127.0.0.1', port), socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.close());
  const { port: listening } = server.address() as net.AddressInfo;
  return () => {
    const socket = net.connect({ port: listening, host: '127.0.0.1', allowHalfOpen: true });
    cleanup.push(() => socket.destroy());
    return socket;
  };
}

/** A peer that answers every session with its bytes XOR 0x5a and ends when it ended. */
function echoPeer(options: typeof porthole) {
  const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: 16 * 1024 });
  new MuxServer(outboundEnd, options, (stream: MuxStream) => {
    stream.on('data', (chunk: Buffer) => {
      if (!stream.write(xor(chunk))) {
        stream.pause();
        stream.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => stream.end());
  });
  return new MuxClient(inboundEnd, options);
}

/** A client whose peer is the test: the frames it sends (flow-control messages left out) and a writer of raw frames. */
function rawPeer() {
  const { inboundEnd, outboundEnd } = createLinkPair();
  const client = new MuxClient(inboundEnd, porthole);
  const reader = new FrameReader();
  const sent: Array<{ meta: FrameMetadata; data: string | undefined }> = [];
  outboundEnd.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk).frames) if (frame.meta.status !== FrameStatus.KeepAlive) sent.push({ meta: frame.meta, data: frame.data?.toString() });
  });
  return { client, sent, peer: (frame: Buffer) => outboundEnd.write(frame) };
}

function xor(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i += 1) out[i] = data[i]! ^ 0x5a;
  return out;
}

/** Sends `payload`, half-closes, and resolves with everything read until the peer's end (rejects on a reset). */
function exchange(socket: net.Socket, payload: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(payload);
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** What the visitor read, and how its connection ended: 'end' (a FIN) or the error's code (a reset). */
function outcome(socket: net.Socket): Promise<{ received: string; ending: string }> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    const done = (ending: string) => resolve({ received: Buffer.concat(chunks).toString(), ending });
    socket.once('end', () => done('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
};

describe('a socket bound to a Mux session', () => {
  for (const [peerKind, options] of [['a Porthole peer (flow control)', porthole], ['a 4.34-like peer', v2rayLike]] as const) {
    it(`carries 8 connections of 3 MiB both ways byte-exact, with half-close, to ${peerKind}`, async () => {
      const client = echoPeer(options);
      const connect = await bindingServer(client);
      const payloads = Array.from({ length: 8 }, () => randomBytes(3 * 1024 * 1024));
      const answers = await Promise.all(payloads.map((payload) => exchange(connect(), payload)));
      expect(answers.map((answer, i) => answer.equals(xor(payloads[i]!)))).toEqual(payloads.map(() => true));
      await until(() => client.activeStreams === 0);
      expect(client.flow === undefined).toBe(options === v2rayLike);
    });
  }

  it("keeps within the peer's flow-control window while the peer does not read, then sends the rest", async () => {
    const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: 16 * 1024 });
    const accepted: MuxStream[] = [];
    new MuxServer(outboundEnd, porthole, (stream: MuxStream) => {
      stream.pause();
      accepted.push(stream);
    });
    const client = new MuxClient(inboundEnd, porthole);
    const connect = await bindingServer(client);
    // Flow control starts once both ends announced, which happens with a link's first frames.
    connect().write('x');
    await until(() => client.flow !== undefined);
    const payload = randomBytes(3 * DEFAULT_FLOW_WINDOW);
    connect().end(payload);
    await until(() => accepted[1]?.readableLength === DEFAULT_FLOW_WINDOW);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reader = accepted[1]!;
    expect(reader.readableLength).toBe(DEFAULT_FLOW_WINDOW);
    const received: Buffer[] = [];
    reader.on('data', (chunk: Buffer) => received.push(chunk)).resume();
    await new Promise((resolve) => reader.once('end', resolve));
    expect(Buffer.concat(received).equals(payload)).toBe(true);
  });

  it('sends New with the first payload, or bare when the visitor waits for the service to speak', async () => {
    const { client, sent } = rawPeer();
    const connect = await bindingServer(client);
    connect().write('hello');
    await until(() => sent.length === 1);
    expect(sent[0]).toMatchObject({ meta: { status: FrameStatus.New, target: { port: 8000 } }, data: 'hello' });
    connect();
    await until(() => sent.length === 2);
    expect(sent[1]).toMatchObject({ meta: { status: FrameStatus.New }, data: undefined });
  });

  it("delivers the peer's answer and End as the visitor's data and FIN", async () => {
    const { client, sent, peer } = rawPeer();
    const connect = await bindingServer(client);
    const visitor = connect();
    const answer = exchange(visitor, Buffer.from('request'));
    await until(() => sent.some(({ meta }) => meta.status === FrameStatus.End));
    const id = sent[0]!.meta.sessionId;
    peer(encodeKeepFrame(id, Buffer.from('response')));
    peer(encodeEndFrame(id));
    expect((await answer).toString()).toBe('response');
    await until(() => client.activeStreams === 0);
  });

  it('tells the peer End + Error when the visitor resets', async () => {
    const { client, sent } = rawPeer();
    const connect = await bindingServer(client);
    const visitor = connect();
    visitor.write('half a request');
    await until(() => sent.length === 1);
    visitor.resetAndDestroy();
    await until(() => sent.length === 2);
    expect(sent[1]!.meta.status).toBe(FrameStatus.End);
    expect(hasOption(sent[1]!.meta, FrameOption.Error)).toBe(true);
    await until(() => client.activeStreams === 0);
  });

  it('resets the visitor on End + Error from the peer, and when the link closes', async () => {
    const { client, sent, peer } = rawPeer();
    const connect = await bindingServer(client);
    const [first, second] = [connect(), connect()];
    const [firstOutcome, secondOutcome] = [outcome(first), outcome(second)];
    first.write('one');
    second.write('two');
    await until(() => sent.filter(({ meta }) => meta.status === FrameStatus.New).length === 2);
    const firstId = sent.find(({ data }) => data === 'one')!.meta.sessionId;
    peer(encodeKeepFrame(firstId, Buffer.from('partial')));
    peer(encodeEndFrame(firstId, true));
    expect(await firstOutcome).toEqual({ received: 'partial', ending: 'ECONNRESET' });
    client.close();
    expect(await secondOutcome).toEqual({ received: '', ending: 'ECONNRESET' });
  });

  it('after the visitor\'s FIN, End + Error from a 4.34 peer (its answer to every End) is a plain end', async () => {
    const { client, sent, peer } = rawPeer();
    const connect = await bindingServer(client);
    const visitor = connect();
    const result = outcome(visitor);
    visitor.end('request');
    await until(() => sent.some(({ meta }) => meta.status === FrameStatus.End));
    const id = sent[0]!.meta.sessionId;
    peer(encodeKeepFrame(id, Buffer.from('whole answer')));
    peer(encodeEndFrame(id, true));
    expect(await result).toEqual({ received: 'whole answer', ending: 'end' });
  });
});
