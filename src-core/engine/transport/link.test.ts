import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLinkPair } from './link.js';

/** Reads to EOF without destroying the stream (an async iterator would destroy it at the end). */
function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('close', () => reject(new Error(`closed after ${Buffer.concat(chunks).length} bytes, before the end`)));
  });
}

describe('createLinkPair', () => {
  it('carries bytes both ways, counts them, and half-closes', async () => {
    const { inboundEnd, outboundEnd, counters } = createLinkPair();
    inboundEnd.end(Buffer.from('request'));
    expect((await readAll(outboundEnd)).toString()).toBe('request');
    // The other direction still works after the first one ended.
    outboundEnd.end(Buffer.from('response!'));
    expect((await readAll(inboundEnd)).toString()).toBe('response!');
    expect(counters).toEqual({ up: 7, down: 9 });
  });

  it('holds the writer back until the reader makes room', async () => {
    const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: 1024 });
    let accepted = 0;
    const chunk = Buffer.alloc(512);
    while (inboundEnd.write(chunk)) accepted += chunk.length;
    expect(accepted).toBeLessThanOrEqual(4096);
    const drained = once(inboundEnd, 'drain');
    outboundEnd.resume();
    await drained;
  });

  it('passes chunks by reference', async () => {
    const { inboundEnd, outboundEnd } = createLinkPair();
    const chunk = Buffer.from('same bytes');
    const read = once(outboundEnd, 'data');
    inboundEnd.write(chunk);
    const [received] = await read;
    expect(received).toBe(chunk);
  });

  it('destroys both ends when one is aborted', async () => {
    const { inboundEnd, outboundEnd } = createLinkPair();
    const closed = new Promise((resolve) => outboundEnd.once('close', resolve));
    outboundEnd.on('error', () => {});
    inboundEnd.on('error', () => {});
    inboundEnd.destroy(new Error('reset'));
    await closed;
    expect(outboundEnd.destroyed).toBe(true);
  });
});

describe('createLinkPair, clean finish', () => {
  it('lets the peer drain what it holds after this end finished cleanly', async () => {
    const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: 8192 });
    // The outbound side answers (within the buffer) and ends; its readable ends once the inbound ends.
    outboundEnd.end(Buffer.alloc(4096, 1));
    inboundEnd.end();
    outboundEnd.resume();
    await new Promise((resolve) => outboundEnd.once('close', resolve));
    // The inbound side has not read its 4 KiB yet: it must still get all of it, then EOF.
    expect((await readAll(inboundEnd)).length).toBe(4096);
  });
});

describe('packet links', () => {
  it('keep datagram boundaries and count bytes', async () => {
    const { inboundEnd, outboundEnd, counters } = createLinkPair({ packet: true });
    const received: number[] = [];
    outboundEnd.on('data', (chunk: Buffer) => received.push(chunk.length));
    for (const size of [1, 1400, 0, 7]) inboundEnd.write(Buffer.alloc(size));
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toEqual([1, 1400, 0, 7]);
    expect(counters.up).toBe(1408);
  });
});
