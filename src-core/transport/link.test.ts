import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLinkPair } from './link.js';

/** Reads to EOF without destroying the stream (an async iterator would destroy it at the end). */
function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => stream.once('end', () => resolve(Buffer.concat(chunks))));
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
