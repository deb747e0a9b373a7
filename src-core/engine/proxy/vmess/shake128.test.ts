import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Shake128Stream } from './shake128.js';

describe('Shake128Stream', () => {
  test('wire doc §3.3 seed example: SHAKE128(0f0e…00) starts 68b58b9f264eb5fd', () => {
    const stream = new Shake128Stream(Buffer.from('0f0e0d0c0b0a09080706050403020100', 'hex'));
    expect([stream.nextUint16(), stream.nextUint16()]).toEqual([0x68b5, 0x8b9f]);
  });

  test('matches node:crypto shake128 for many seeds and lengths (several permutations)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 167 }), fc.integer({ min: 1, max: 1200 }), (seed, length) => {
        const expected = createHash('shake128', { outputLength: length }).update(seed).digest();
        expect(new Shake128Stream(seed).read(length).toString('hex')).toBe(expected.toString('hex'));
      }),
      { numRuns: 50 },
    );
  });

  test('nextUint16 reads the same stream big-endian across block boundaries', () => {
    const seed = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const bytes = createHash('shake128', { outputLength: 1000 }).update(seed).digest();
    const stream = new Shake128Stream(seed);
    const values = Array.from({ length: 500 }, () => stream.nextUint16());
    expect(values).toEqual(Array.from({ length: 500 }, (_, i) => bytes.readUInt16BE(2 * i)));
  });
});
