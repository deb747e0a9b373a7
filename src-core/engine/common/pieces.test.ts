import { describe, expect, it } from 'vitest';
import { PieceCursor, totalLength } from './pieces.js';

describe('PieceCursor', () => {
  const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  // Empty pieces, and cuts anywhere.
  const pieces = [data.subarray(0, 7), Buffer.alloc(0), data.subarray(7, 8), data.subarray(8, 61), Buffer.alloc(0), data.subarray(61)];

  it('copies the pieces as if joined, whatever the steps, and says where it stands', () => {
    expect(totalLength(pieces)).toBe(100);
    for (const step of [1, 3, 7, 33, 100]) {
      const cursor = new PieceCursor(pieces);
      const out = Buffer.alloc(100);
      let at = 0;
      for (let from = 0; from < 100; from += step) at = cursor.copyTo(Math.min(step, 100 - from), out, at);
      expect(at).toBe(100);
      expect(out.equals(data)).toBe(true);
      expect(cursor.piece).toBe(pieces.length);
    }
  });

  it('starts where it is told and visits only non-empty parts', () => {
    const cursor = new PieceCursor(pieces, 3, 50);
    const parts: number[][] = [];
    cursor.take(10, (source, from, to) => parts.push([...source.subarray(from, to)]));
    expect(parts).toEqual([[58, 59, 60], [61, 62, 63, 64, 65, 66, 67]]);
    expect([cursor.piece, cursor.offset]).toEqual([5, 7]);
  });
});
