import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it, test } from 'vitest';
import { NATIVE_ALGORITHM, PIECE_CURSOR, nativeAead, nativeAeadStatus, type NativeAead } from './aead.js';

const ALGORITHMS = [
  { name: 'aes-128-gcm', id: NATIVE_ALGORITHM.aes128Gcm, keyLength: 16 },
  { name: 'chacha20-poly1305', id: NATIVE_ALGORITHM.chacha20Poly1305, keyLength: 32 },
] as const;
const SIZES = [0, 1, 15, 16, 17, 2032, 16 * 1024, 65535 - 18];

function nodeSeal(algorithm: string, key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
  const cipher = createCipheriv(algorithm as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function nodeOpen(algorithm: string, key: Buffer, nonce: Buffer, sealed: Buffer): Buffer {
  const decipher = createDecipheriv(algorithm as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
}

// The build makes it on any machine with a C compiler (scripts/build-native.js); PORTHOLE_NATIVE_AEAD=0
// is the only way to run without it.
const expectNative = process.env.PORTHOLE_NATIVE_AEAD !== '0';

describe('native AEAD', () => {
  test.runIf(expectNative)('is built and loaded', () => {
    expect(nativeAead, nativeAeadStatus).toBeDefined();
  });

  const native = nativeAead as NativeAead;
  describe.runIf(nativeAead !== undefined).each(ALGORITHMS)('$name', ({ name, id, keyLength }) => {
    test('seals exactly as node:crypto does, chunk after chunk with new nonces on one context', () => {
      const key = randomBytes(keyLength);
      const context = native.create(id, key, true);
      for (const size of SIZES) {
        const nonce = randomBytes(12);
        const plain = randomBytes(size);
        const out = Buffer.alloc(size + 16 + 7, 0xee);
        native.seal(context, nonce, plain, out, 3);
        expect(out.subarray(3, 3 + size + 16).equals(nodeSeal(name, key, nonce, plain))).toBe(true);
        // Nothing outside the chunk's place is touched.
        expect([...out.subarray(0, 3), ...out.subarray(3 + size + 16)].every((byte) => byte === 0xee)).toBe(true);
      }
    });

    test('opens what node:crypto sealed, and refuses any flipped bit, wrong nonce or short input', () => {
      const key = randomBytes(keyLength);
      const context = native.create(id, key, false);
      for (const size of SIZES) {
        const nonce = randomBytes(12);
        const plain = randomBytes(size);
        const sealed = nodeSeal(name, key, nonce, plain);
        const out = Buffer.alloc(size + 5);
        expect(native.open(context, nonce, sealed, out, 5 - 5)).toBe(true);
        expect(out.subarray(0, size).equals(plain)).toBe(true);
        const bit = (size * 7 + 3) % (sealed.length * 8);
        sealed[bit >> 3]! ^= 1 << (bit & 7);
        expect(native.open(context, nonce, sealed, out, 0)).toBe(false);
        sealed[bit >> 3]! ^= 1 << (bit & 7);
        const otherNonce = Buffer.from(nonce);
        otherNonce[11]! ^= 0x80;
        expect(native.open(context, otherNonce, sealed, out, 0)).toBe(false);
        // The context is still good after a failure.
        expect(native.open(context, nonce, sealed, out, 0)).toBe(true);
      }
    });

    test('round-trips random sizes and agrees with node:crypto opening its output', () => {
      const key = randomBytes(keyLength);
      const sealer = native.create(id, key, true);
      const opener = native.create(id, key, false);
      for (let i = 0; i < 200; i++) {
        const nonce = randomBytes(12);
        const plain = randomBytes(Math.floor(Math.random() * 20_000));
        const sealed = Buffer.alloc(plain.length + 16);
        native.seal(sealer, nonce, plain, sealed, 0);
        expect(nodeOpen(name, key, nonce, sealed).equals(plain)).toBe(true);
        const back = Buffer.alloc(plain.length);
        expect(native.open(opener, nonce, sealed, back, 0)).toBe(true);
        expect(back.equals(plain)).toBe(true);
      }
    });

    test('sealPieces gives the bytes of seal over the joined pieces, wherever they split, and advances the cursor', () => {
      const key = randomBytes(keyLength);
      const context = native.create(id, key, true);
      const data = randomBytes(70_000);
      for (const cuts of [[], [1], [16, 17], [0, 0, 5000], [30_000, 30_001, 69_999], [8, 16, 24, 40_000]]) {
        const pieces: Buffer[] = [];
        let from = 0;
        for (const cut of [...cuts, data.length]) {
          pieces.push(data.subarray(from, cut));
          from = cut;
        }
        // Two chunks from the same pieces: the second starts where the cursor left the first.
        const cursor = new Int32Array(PIECE_CURSOR.fields);
        for (const [start, length] of [[0, 40_000], [40_000, 30_000]] as const) {
          const nonce = randomBytes(12);
          const out = Buffer.alloc(length + 16 + 4, 0xee);
          native.sealPieces(context, nonce, pieces, cursor, length, out, 2);
          expect(out.subarray(2, 2 + length + 16).equals(nodeSeal(name, key, nonce, data.subarray(start, start + length)))).toBe(true);
          expect([...out.subarray(0, 2), ...out.subarray(2 + length + 16)].every((byte) => byte === 0xee)).toBe(true);
        }
        // Past the last byte: the cursor points at the end of the last piece or past it.
        const last = pieces.length - 1;
        expect([[last, pieces[last]!.length], [last + 1, 0]]).toContainEqual([cursor[0], cursor[1]]);
      }
    });

    test('sealPieces refuses more bytes than the pieces hold, a bad cursor, or too small an output', () => {
      const sealer = native.create(id, randomBytes(keyLength), true);
      const opener = native.create(id, randomBytes(keyLength), false);
      const nonce = randomBytes(12);
      const pieces = [Buffer.alloc(10), Buffer.alloc(10)];
      expect(() => native.sealPieces(sealer, nonce, pieces, new Int32Array(2), 21, Buffer.alloc(100), 0)).toThrow(/fewer bytes/);
      expect(() => native.sealPieces(sealer, nonce, pieces, Int32Array.of(0, 11), 5, Buffer.alloc(100), 0)).toThrow(/fewer bytes/);
      expect(() => native.sealPieces(sealer, nonce, pieces, Int32Array.of(-1, 0), 5, Buffer.alloc(100), 0)).toThrow(/cursor/);
      expect(() => native.sealPieces(sealer, nonce, pieces, new Int32Array(2), 20, Buffer.alloc(35), 0)).toThrow(/does not fit/);
      expect(() => native.sealPieces(opener, nonce, pieces, new Int32Array(2), 20, Buffer.alloc(100), 0)).toThrow(/context/);
      expect(() => native.sealPieces(sealer, nonce, [Buffer.alloc(4), 'text' as unknown as Buffer], new Int32Array(2), 8, Buffer.alloc(100), 0)).toThrow(/fewer bytes/);
    });

    test('refuses arguments that would write out of bounds or misuse a context', () => {
      const key = randomBytes(keyLength);
      const sealer = native.create(id, key, true);
      const opener = native.create(id, key, false);
      const nonce = randomBytes(12);
      expect(() => native.seal(sealer, nonce, Buffer.alloc(100), Buffer.alloc(115), 0)).toThrow(/does not fit/);
      expect(() => native.seal(sealer, nonce, Buffer.alloc(100), Buffer.alloc(200), 90)).toThrow(/does not fit/);
      expect(() => native.open(opener, nonce, Buffer.alloc(10), Buffer.alloc(100), 0)).toThrow(/does not fit/);
      expect(() => native.open(sealer, nonce, Buffer.alloc(32), Buffer.alloc(100), 0)).toThrow(/direction/);
      expect(() => native.seal(sealer, Buffer.alloc(8), Buffer.alloc(1), Buffer.alloc(100), 0)).toThrow(/nonce/);
      expect(() => native.create(id, Buffer.alloc(keyLength + 1), true)).toThrow(/key length/);
      expect(() => native.create(7 as 0, key, true)).toThrow(/algorithm/);
    });
  });
});

describe.runIf(nativeAead !== undefined)('native openRun (whole VMess chunks in one call)', () => {
  const native = nativeAead as NativeAead;
  const key = randomBytes(16);
  const iv = randomBytes(12);

  /** Chunks as VMess frames them: uint16(len(sealed) + pad) XOR mask ‖ sealed ‖ pad bytes. */
  function frame(plains: Buffer[], sizes: number[], padding: boolean, eos: boolean): Buffer & { eosAt?: number } {
    const parts: Buffer[] = [];
    let eosAt: number | undefined;
    let drawn = 0;
    const chunk = (plain: Buffer, counter: number) => {
      const pad = padding ? sizes[drawn++]! % 64 : 0;
      const mask = sizes[drawn++]!;
      const nonce = Buffer.from(iv);
      nonce.writeUInt16BE(counter, 0);
      const sealed = nodeSeal('aes-128-gcm', key, nonce, plain);
      const length = Buffer.alloc(2);
      length.writeUInt16BE((sealed.length + pad) ^ mask);
      parts.push(length, sealed, randomBytes(pad));
    };
    plains.forEach((plain, index) => chunk(plain, index));
    if (eos) {
      eosAt = parts.reduce((sum, part) => sum + part.length, 0);
      chunk(Buffer.alloc(0), plains.length);
    }
    return Object.assign(Buffer.concat(parts), { eosAt });
  }

  it.each([true, false])('opens every whole chunk, stops at a partial one and at the end (padding %s)', (padding) => {
    const sizes = Array.from({ length: 64 }, () => Math.floor(Math.random() * 65536));
    const plains = Array.from({ length: 5 }, (_, index) => randomBytes(1000 + index * 300));
    const wire = frame(plains, sizes, padding, true);
    const context = native.create(NATIVE_ALGORITHM.aes128Gcm, key, false);
    const values = Uint16Array.from(sizes);
    const out = Buffer.alloc(wire.length);
    const cursor = new Int32Array([0, 0, values.length, 0, 0]);
    // A cut inside the third chunk: the first two open, the run stops before the third.
    const cut = wire.length - 700 - plains[3]!.length - plains[4]!.length;
    expect(native.openRun(context, Buffer.from(iv), wire.subarray(0, cut), values, padding, out, cursor)).toBe(0);
    expect(cursor[3]).toBe(plains[0]!.length + plains[1]!.length);
    expect(cursor[4]).toBe(2);
    expect(cursor[1]).toBe(padding ? 4 : 2);
    // The rest, then the end-of-stream chunk: its length field is read, what follows is ignored.
    expect(native.openRun(context, Buffer.from(iv), wire, values, padding, out, cursor)).toBe(1);
    expect(cursor[0]).toBe(wire.eosAt! + 2);
    expect(out.subarray(0, cursor[3]).equals(Buffer.concat(plains))).toBe(true);
  });

  it('reports a chunk that fails authentication or is shorter than its overhead, without consuming it', () => {
    const sizes = Array.from({ length: 16 }, () => Math.floor(Math.random() * 65536));
    const wire = frame([randomBytes(100), randomBytes(100)], sizes, true, false);
    const context = native.create(NATIVE_ALGORITHM.aes128Gcm, key, false);
    const values = Uint16Array.from(sizes);
    const out = Buffer.alloc(wire.length);
    wire[wire.length - 20 - (sizes[2]! % 64)]! ^= 1;
    const cursor = new Int32Array([0, 0, values.length, 0, 0]);
    expect(native.openRun(context, Buffer.from(iv), wire, values, true, out, cursor)).toBe(2);
    expect(cursor[4]).toBe(1);
    const short = Buffer.alloc(2);
    short.writeUInt16BE(5 ^ sizes[1]!);
    const shortCursor = new Int32Array([0, 0, values.length, 0, 0]);
    expect(native.openRun(context, Buffer.from(iv), Buffer.concat([short, Buffer.alloc(40)]), values, true, out, shortCursor)).toBe(3);
    expect(shortCursor[0]).toBe(0);
  });

  it('refuses a cursor outside its buffers', () => {
    const context = native.create(NATIVE_ALGORITHM.aes128Gcm, key, false);
    const values = new Uint16Array(4);
    expect(() => native.openRun(context, Buffer.from(iv), Buffer.alloc(10), values, true, Buffer.alloc(10), new Int32Array([11, 0, 4, 0, 0]))).toThrow(/cursor/);
    expect(() => native.openRun(context, Buffer.from(iv), Buffer.alloc(10), values, true, Buffer.alloc(10), new Int32Array([0, 0, 5, 0, 0]))).toThrow(/cursor/);
    expect(() => native.openRun(context, Buffer.from(iv), Buffer.alloc(10), values, true, Buffer.alloc(10), new Int32Array([0, 0, 4, 11, 0]))).toThrow(/cursor/);
  });
});
