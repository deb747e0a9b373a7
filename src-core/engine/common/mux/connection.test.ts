import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLinkPair } from '../../transport/link.js';
import { destination } from '../net.js';
import { MuxClient } from './client.js';
import { DEFAULT_FLOW_WINDOW, encodeFlowMessage } from './flow.js';
import { FrameStatus, GATHER_MIN_BYTES, encodeFrameHeader, type FrameMetadata } from './frame.js';
import { FrameReader } from './reader.js';
import { MuxServer } from './server.js';
import type { MuxStream } from './stream.js';
import { encodeKeepFrame } from './testdata/frames.js';
import { encodeEndFrame, encodeKeepAliveDataFrame } from './writer.js';

const quietLog = { debug: () => {}, warning: () => {} };
const options = { streamBufferBytes: 64 * 1024, log: quietLog };

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** A client and a server joined by an in-memory link; the server echoes every stream XOR 0x5a. */
function echoPair() {
  const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: 16 * 1024 });
  const accepted: MuxStream[] = [];
  const server = new MuxServer(outboundEnd, options, (stream) => {
    accepted.push(stream);
    stream.on('data', (chunk: Buffer) => {
      const out = Buffer.allocUnsafe(chunk.length);
      for (let i = 0; i < chunk.length; i += 1) out[i] = (chunk[i] ?? 0) ^ 0x5a;
      if (!stream.write(out)) {
        stream.pause();
        stream.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => stream.end());
  });
  const client = new MuxClient(inboundEnd, options);
  return { client, server, accepted, link: inboundEnd };
}

/** A Porthole end's flow-control announcement (KeepAlive data). */
function announcement(window: number): Buffer {
  return encodeFlowMessage({ kind: 'announce', window });
}

function xor(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i += 1) out[i] = (data[i] ?? 0) ^ 0x5a;
  return out;
}

describe('MuxClient ↔ MuxServer', () => {
  it('carries 16 parallel streams both ways with half-close, every byte intact', async () => {
    const { client, accepted } = echoPair();
    const payloads = Array.from({ length: 16 }, (_, i) => randomBytes(200_000 + i * 1000));
    const results = payloads.map((payload, i) => {
      const stream = client.openStream(destination('tcp', '127.0.0.1', 8000 + i));
      const echoed = readAll(stream);
      stream.end(payload);
      return echoed;
    });
    const echoed = await Promise.all(results);
    expect(echoed.map((data, i) => data.equals(xor(payloads[i] ?? Buffer.alloc(0))))).toEqual(payloads.map(() => true));
    expect(accepted.map((stream) => stream.target.port)).toEqual(payloads.map((_, i) => 8000 + i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.activeStreams).toBe(0);
  });

  it('sends New with the first payload in one frame', () => {
    const { inboundEnd, outboundEnd } = createLinkPair();
    const client = new MuxClient(inboundEnd, options);
    const frames: unknown[] = [];
    const reader = new FrameReader();
    outboundEnd.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk).frames.map((frame) => [frame.meta.status, frame.data?.toString()])));
    const stream = client.openStream(destination('tcp', 'example.com', 443));
    stream.write(Buffer.from('hello'));
    return new Promise<void>((resolve) => setImmediate(() => {
      // The connection's first frame announces Porthole flow control (discarded by 4.34).
      expect(frames).toEqual([[FrameStatus.KeepAlive, announcement(DEFAULT_FLOW_WINDOW).toString()], [FrameStatus.New, 'hello']]);
      resolve();
    }));
  });

  it(`hands a write of ${GATHER_MIN_BYTES / 1024} KiB or more to the link as headers and views of it, a smaller one packed`, async () => {
    const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: 1024 * 1024 });
    const client = new MuxClient(inboundEnd, options);
    const chunks: Buffer[] = [];
    outboundEnd.on('data', (chunk: Buffer) => chunks.push(chunk));
    const stream = client.openStream(destination('tcp', 'example.com', 443));
    const large = randomBytes(40_000);
    const small = randomBytes(GATHER_MIN_BYTES - 1);
    stream.write(large);
    await new Promise((resolve) => setImmediate(resolve));
    const largeViews = chunks.filter((chunk) => chunk.buffer === large.buffer);
    expect(largeViews.reduce((sum, view) => sum + view.length, 0)).toBe(large.length);
    chunks.length = 0;
    stream.write(small);
    await new Promise((resolve) => setImmediate(resolve));
    expect(chunks.some((chunk) => chunk.buffer === small.buffer)).toBe(false);
    // The packed frame still carries the bytes.
    const frames = new FrameReader().push(Buffer.concat(chunks)).frames;
    expect(Buffer.concat(frames.map((frame) => frame.data ?? Buffer.alloc(0))).equals(small)).toBe(true);
  });

  it('answers data for an unknown session with End and keeps the link', async () => {
    const { inboundEnd, outboundEnd } = createLinkPair();
    new MuxServer(outboundEnd, options, () => {});
    const reader = new FrameReader();
    const seen: unknown[] = [];
    inboundEnd.on('data', (chunk: Buffer) => seen.push(...reader.push(chunk).frames.map((frame) => [frame.meta.sessionId, frame.meta.status])));
    inboundEnd.write(encodeFrameHeader({ sessionId: 7, status: FrameStatus.Keep, option: 0 }, 3));
    inboundEnd.write(Buffer.from('abc'));
    // Frames leave in the turn's batch, and a link pair delivers them a turn later.
    for (let i = 0; i < 2; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([[0, FrameStatus.KeepAlive], [7, FrameStatus.End]]);
    expect(outboundEnd.destroyed).toBe(false);
  });

  it('closes every stream when the link breaks, and a bad frame breaks only that link', async () => {
    const { client, link } = echoPair();
    const stream = client.openStream(destination('tcp', '127.0.0.1', 1));
    const closed = new Promise((resolve) => stream.once('close', resolve));
    link.write(Buffer.from([0xff, 0xff, 0, 0]));
    await closed;
    expect(client.closed).toBe(true);
  });

  describe('End + Error from the peer', () => {
    /** A client stream whose peer is the test: returns the stream, its session id once New is out, and a writer of raw frames. */
    async function streamWithRawPeer() {
      const { inboundEnd, outboundEnd } = createLinkPair();
      const client = new MuxClient(inboundEnd, options);
      const reader = new FrameReader();
      const sent: FrameMetadata[] = [];
      // Session frames only: the connection's flow-control announcement is not one.
      outboundEnd.on('data', (chunk: Buffer) => sent.push(...reader.push(chunk).frames.filter((frame) => frame.meta.status !== FrameStatus.KeepAlive).map((frame) => frame.meta)));
      const stream = client.openStream(destination('tcp', '127.0.0.1', 1));
      stream.write('request');
      await new Promise((resolve) => setImmediate(resolve));
      const sessionId = sent[0]!.sessionId;
      return { stream, sessionId, sent, client, peer: (frame: Buffer) => outboundEnd.write(frame) };
    }

    it('after our End, from a 4.34 peer (its answer to every End): the data that arrived, then a plain end', async () => {
      const { stream, sessionId, sent, peer } = await streamWithRawPeer();
      const received = readAll(stream);
      const closed = new Promise((resolve) => stream.once('close', resolve));
      stream.end();
      await new Promise((resolve) => setImmediate(resolve));
      expect(sent.map((meta) => meta.status)).toEqual([FrameStatus.New, FrameStatus.End]);
      peer(encodeKeepFrame(sessionId, Buffer.from('partial answer')));
      peer(encodeEndFrame(sessionId, true));
      expect((await received).toString()).toBe('partial answer');
      await closed;
      expect(stream.errored).toBeNull();
      // Nothing more goes to the peer for this session.
      expect(sent.map((meta) => meta.status)).toEqual([FrameStatus.New, FrameStatus.End]);
    });

    it('after our End, from a Porthole peer (flow control on; it sends Error only for a cut): an abort', async () => {
      const { stream, sessionId, sent, peer, client } = await streamWithRawPeer();
      peer(encodeKeepAliveDataFrame(announcement(1 << 20)));
      expect(client.flow).toEqual({ sendWindow: 1 << 20, receiveWindow: DEFAULT_FLOW_WINDOW });
      const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
      let ended = false;
      stream.on('end', () => { ended = true; });
      stream.resume();
      stream.end();
      await new Promise((resolve) => setImmediate(resolve));
      expect(sent.map((meta) => meta.status)).toEqual([FrameStatus.New, FrameStatus.End]);
      peer(encodeKeepFrame(sessionId, Buffer.from('partial answer')));
      peer(encodeEndFrame(sessionId, true));
      expect(await failed).toMatchObject({ code: 'PH_CONNECTION_RESET' });
      expect(ended).toBe(false);
    });

    it('while we still write: the stream is aborted with PH_CONNECTION_RESET', async () => {
      const { stream, sessionId, peer } = await streamWithRawPeer();
      const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
      stream.resume();
      peer(encodeEndFrame(sessionId, true));
      expect(await failed).toMatchObject({ code: 'PH_CONNECTION_RESET' });
    });
  });
});
