import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLinkPair } from './link.js';
import { COALESCE_FLUSH_BYTES, pipeCoalesced, pumpBoth } from './pump.js';

/** A destination that records each batch it is handed (one `writev` = one syscall on a socket). */
function recorder() {
  const batches: number[][] = [];
  const destination = new Writable({
    writev(chunks, callback) {
      batches.push(chunks.map(({ chunk }) => (chunk as Buffer).length));
      callback();
    },
    write(chunk: Buffer, _encoding, callback) {
      batches.push([chunk.length]);
      callback();
    },
  });
  return { batches, destination };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('pipeCoalesced', () => {
  it('hands small writes of one event-loop turn over as one batch', async () => {
    const source = new PassThrough();
    const { batches, destination } = recorder();
    pipeCoalesced(source, destination);
    for (let index = 0; index < 5; index += 1) source.write(Buffer.alloc(100));
    await turn();
    await turn();
    expect(batches).toEqual([[100, 100, 100, 100, 100]]);
  });

  it('flushes at once when the batch is already large (bulk), without waiting for the turn to end', async () => {
    const source = new PassThrough();
    const { batches, destination } = recorder();
    pipeCoalesced(source, destination);
    let flushedBeforeTurnEnd = false;
    source.on('data', () => { if (batches.length > 0) flushedBeforeTurnEnd = true; });
    source.write(Buffer.alloc(COALESCE_FLUSH_BYTES));
    source.write(Buffer.alloc(10));
    await turn();
    await turn();
    expect(batches.flat().reduce((sum, length) => sum + length, 0)).toBe(COALESCE_FLUSH_BYTES + 10);
    expect(batches[0]).toEqual([COALESCE_FLUSH_BYTES]);
    expect(flushedBeforeTurnEnd).toBe(true);
  });
});

describe('pumpBoth with a stream that already finished', () => {
  it('takes the other stream down and resolves when one is already closed (no close event would come)', async () => {
    const other = new PassThrough();
    const { inboundEnd, outboundEnd } = createLinkPair();
    inboundEnd.destroy(new Error('gone'));
    await new Promise((resolve) => outboundEnd.once('close', resolve));
    const result = await pumpBoth(other, outboundEnd);
    expect(result.error).toBeDefined();
    expect(other.destroyed).toBe(true);
  });

  it('passes on the end of a source that ended before the pump started', async () => {
    const source = new PassThrough();
    source.end();
    source.read(0);
    await new Promise((resolve) => source.once('end', resolve));
    const { inboundEnd, outboundEnd } = createLinkPair();
    void pumpBoth(source, inboundEnd);
    outboundEnd.resume();
    await new Promise((resolve) => outboundEnd.once('end', resolve));
  });
});
