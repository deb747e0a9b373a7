import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AesCfbOverEcb, createAesCfb, type CfbDirection } from './aes-cfb.js';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

/** Feeds `data` to `cipher` cut at `cuts` and joins what comes out. */
function feed(cipher: { update(data: Buffer): Buffer }, data: Buffer, cuts: number[]): Buffer {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const point of [...points, data.length]) {
    parts.push(cipher.update(data.subarray(from, point)));
    from = point;
  }
  return Buffer.concat(parts);
}

describe('AesCfbOverEcb', () => {
  test('NIST SP 800-38A F.3.13 / F.3.14 (CFB128-AES128), four blocks both ways', () => {
    const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
    const iv = hex('000102030405060708090a0b0c0d0e0f');
    const plain = hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');
    const cipher = hex('3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6');
    expect(new AesCfbOverEcb(key, iv, 'encrypt').update(plain).toString('hex')).toBe(cipher.toString('hex'));
    expect(new AesCfbOverEcb(key, iv, 'decrypt').update(cipher).toString('hex')).toBe(plain.toString('hex'));
  });

  test.each(['encrypt', 'decrypt'] as const)('%s: same stream as node:crypto aes-128-cfb, whatever the cuts', (direction: CfbDirection) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 8 }), (bytes, cuts) => {
        const key = randomBytes(16);
        const iv = randomBytes(16);
        const data = Buffer.from(bytes);
        const reference = (direction === 'encrypt' ? createCipheriv : createDecipheriv)('aes-128-cfb', key, iv).update(data);
        expect(feed(new AesCfbOverEcb(key, iv, direction), data, cuts).equals(reference)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('refuses a key or IV that is not 16 bytes', () => {
    expect(() => new AesCfbOverEcb(Buffer.alloc(32), Buffer.alloc(16), 'encrypt')).toThrow(RangeError);
    expect(() => new AesCfbOverEcb(Buffer.alloc(16), Buffer.alloc(12), 'decrypt')).toThrow(RangeError);
  });
});

describe('createAesCfb', () => {
  test("is node:crypto's own cipher object where the runtime has aes-128-cfb (plain Node)", () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const stream = createAesCfb(key, iv, 'encrypt');
    expect(stream).not.toBeInstanceOf(AesCfbOverEcb);
    const data = randomBytes(100);
    expect(createAesCfb(key, iv, 'decrypt').update(stream.update(data)).equals(data)).toBe(true);
  });
});
