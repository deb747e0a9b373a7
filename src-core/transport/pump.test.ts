import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COALESCE_FLUSH_BYTES, pipeCoalesced } from './pump.js';

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
