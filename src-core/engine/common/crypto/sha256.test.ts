import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Sha256MidState, sha256, SHA256_MAX_WORDS_ONE_BLOCK, toWords, wordsToBuffer } from './sha256.js';

const nodeSha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('sha256', () => {
  // NIST's FIPS 180-4 example values (csrc.nist.gov "Examples with Intermediate Values", SHA256.pdf
  // and SHA2_Additional.pdf), and the one-million-"a" message of FIPS 180-2 Appendix B.3.
  test('FIPS 180-4 known answers', () => {
    const messages = {
      empty: Buffer.alloc(0),
      abc: Buffer.from('abc'),
      twoBlocks448: Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      twoBlocks896: Buffer.from(
        'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      ),
      millionA: Buffer.alloc(1_000_000, 'a'),
    };
    expect(Object.fromEntries(Object.entries(messages).map(([name, data]) => [name, sha256(data).toString('hex')]))).toEqual({
      empty: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      abc: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      twoBlocks448: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      twoBlocks896: 'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
      millionA: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    });
  });

  test('agrees with node:crypto across block boundaries', () => {
    for (let length = 0; length <= 200; length++) {
      const data = randomBytes(length);
      expect(sha256(data).toString('hex')).toBe(nodeSha256(data));
    }
  });
});

describe('Sha256MidState', () => {
  test('a digest after absorbed blocks is SHA-256 of prefix ‖ message (bytes and words)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.uint8Array({ maxLength: 150 }),
        fc.boolean(),
        (prefixBlocks, message, asWords) => {
          const prefix = randomBytes(64 * prefixBlocks);
          const input = asWords ? toWords(message.subarray(0, message.length & ~3)) : message;
          const messageBytes = asWords ? wordsToBuffer(input as Int32Array) : Buffer.from(message);
          const digest = new Sha256MidState().absorb(prefix).digest(input);
          expect(wordsToBuffer(digest).toString('hex')).toBe(nodeSha256(Buffer.concat([prefix, messageBytes])));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('word messages up to and past the one-compression limit', () => {
    const prefix = randomBytes(64);
    const state = new Sha256MidState().absorb(prefix);
    for (let words = 0; words <= SHA256_MAX_WORDS_ONE_BLOCK + 4; words++) {
      const bytes = randomBytes(4 * words);
      expect(wordsToBuffer(state.digest(toWords(bytes))).toString('hex')).toBe(nodeSha256(Buffer.concat([prefix, bytes])));
    }
  });

  test('absorbing leaves the original state untouched', () => {
    const base = new Sha256MidState().absorb(Buffer.alloc(64, 1));
    base.absorb(Buffer.alloc(64, 2));
    expect(wordsToBuffer(base.digest(Buffer.from('x'))).toString('hex')).toBe(
      nodeSha256(Buffer.concat([Buffer.alloc(64, 1), Buffer.from('x')])),
    );
  });

  test('absorb takes whole blocks only', () => {
    expect(() => new Sha256MidState().absorb(Buffer.alloc(63))).toThrow('sha256 mid-state absorbs whole blocks');
  });
});
