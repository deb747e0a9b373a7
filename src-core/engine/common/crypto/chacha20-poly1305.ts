/**
 * ChaCha20-Poly1305 (RFC 8439) in JavaScript, for runtimes whose node:crypto has no
 * `chacha20-poly1305` cipher: Electron's Node is built on BoringSSL, which offers it only through
 * its EVP_AEAD interface, never as the EVP_CIPHER that node:crypto looks up by name
 * (docs/crypto.md). VMess security `chacha20-poly1305` (spec §3, `common/crypto/auth.go`) seals
 * every body chunk with it: key = MD5(k) ‖ MD5(MD5(k)), nonce = uint16(count) ‖ iv[2..12), no AAD.
 *
 *   block(key, counter, nonce)  ChaCha20 block function (§2.3): 20 rounds on 16 little-endian words
 *   ciphertext = plaintext XOR keystream from counter 1 (§2.4)
 *   (r, s)     = block(key, 0, nonce)[0..32), r clamped (§2.5, §2.6)
 *   tag        = Poly1305(r, s; aad ‖ pad16 ‖ ciphertext ‖ pad16 ‖ le64(|aad|) ‖ le64(|ciphertext|)) (§2.8)
 *
 * Poly1305 keeps its 130-bit numbers in ten 13-bit limbs (the 16-bit-platform layout of
 * poly1305-donna): a limb product is 26 bits and a whole row of them stays far below 2^53, so
 * plain JS numbers hold every intermediate exactly. Checked against node:crypto's OpenSSL
 * implementation and the RFC's vectors in chacha20-poly1305.test.ts.
 *
 * Not constant-time in the way a C implementation can be; it is the fallback, never the first
 * choice (chunk-cipher.ts prefers the native addon, then node:crypto).
 */

const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const BLOCK_LENGTH = 64;
const SIGMA = new Int32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]); // "expand 32-byte k"

/**
 * Writes the ChaCha20 block for (key, counter, nonce words) into `out` as 16 words (§2.3). The
 * quarter rounds are unrolled into locals (generated from the RFC's column and diagonal order).
 */
function chachaBlock(key: Int32Array, counter: number, n0: number, n1: number, n2: number, out: Int32Array): void {
  const j0 = SIGMA[0]!, j1 = SIGMA[1]!, j2 = SIGMA[2]!, j3 = SIGMA[3]!;
  const j4 = key[0]!, j5 = key[1]!, j6 = key[2]!, j7 = key[3]!, j8 = key[4]!, j9 = key[5]!, j10 = key[6]!, j11 = key[7]!;
  const j12 = counter | 0;
  let x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
  let x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = n0, x14 = n1, x15 = n2;
  for (let round = 0; round < 10; round++) {
    x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);
    x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);
    x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);
    x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);
    x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);
    x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);
    x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);
    x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
  }
  out[0] = (x0 + j0) | 0;
  out[1] = (x1 + j1) | 0;
  out[2] = (x2 + j2) | 0;
  out[3] = (x3 + j3) | 0;
  out[4] = (x4 + j4) | 0;
  out[5] = (x5 + j5) | 0;
  out[6] = (x6 + j6) | 0;
  out[7] = (x7 + j7) | 0;
  out[8] = (x8 + j8) | 0;
  out[9] = (x9 + j9) | 0;
  out[10] = (x10 + j10) | 0;
  out[11] = (x11 + j11) | 0;
  out[12] = (x12 + j12) | 0;
  out[13] = (x13 + n0) | 0;
  out[14] = (x14 + n1) | 0;
  out[15] = (x15 + n2) | 0;
}

function readWordLE(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

/** The little-endian bytes of 16 words. */
function storeWordsLE(words: Int32Array, bytes: Uint8Array): void {
  for (let i = 0; i < 16; i++) {
    const word = words[i]!;
    bytes[4 * i] = word;
    bytes[4 * i + 1] = word >>> 8;
    bytes[4 * i + 2] = word >>> 16;
    bytes[4 * i + 3] = word >>> 24;
  }
}

/** Poly1305 (§2.5) over ten 13-bit limbs; one object is reset for every message. */
export class Poly1305 {
  private readonly r = new Int32Array(10);
  private readonly h = new Int32Array(10);
  private readonly g = new Int32Array(10);
  /** s, the second half of the one-time key, as eight little-endian 16-bit words. */
  private readonly pad = new Int32Array(8);
  private readonly leftover = new Uint8Array(16);
  private leftoverLength = 0;

  /** Starts a message under the 32-byte one-time key at `key[offset…]`. */
  reset(key: Uint8Array, offset = 0): this {
    const clamped = Uint8Array.from(key.subarray(offset, offset + 16));
    // r &= 0x0ffffffc0ffffffc0ffffffc0fffffff
    clamped[3]! &= 15;
    clamped[7]! &= 15;
    clamped[11]! &= 15;
    clamped[15]! &= 15;
    clamped[4]! &= 252;
    clamped[8]! &= 252;
    clamped[12]! &= 252;
    loadLimbs(clamped, 0, this.r);
    for (let i = 0; i < 8; i++) this.pad[i] = key[offset + 16 + 2 * i]! | (key[offset + 17 + 2 * i]! << 8);
    this.h.fill(0);
    this.leftoverLength = 0;
    return this;
  }

  /** Absorbs `message[from…to)`. */
  update(message: Uint8Array, from = 0, to = message.length): this {
    if (this.leftoverLength > 0) {
      const take = Math.min(16 - this.leftoverLength, to - from);
      this.leftover.set(message.subarray(from, from + take), this.leftoverLength);
      this.leftoverLength += take;
      from += take;
      if (this.leftoverLength < 16) return this;
      this.blocks(this.leftover, 0, 16, 1 << 11);
      this.leftoverLength = 0;
    }
    const whole = (to - from) & ~15;
    if (whole > 0) this.blocks(message, from, from + whole, 1 << 11);
    from += whole;
    if (from < to) {
      this.leftover.set(message.subarray(from, to));
      this.leftoverLength = to - from;
    }
    return this;
  }

  /** Writes the 16-byte tag at `out[offset…]`. */
  finish(out: Uint8Array, offset = 0): void {
    if (this.leftoverLength > 0) {
      // A short last block gets a 1 after its bytes instead of the 2^128 of whole blocks.
      this.leftover[this.leftoverLength] = 1;
      this.leftover.fill(0, this.leftoverLength + 1);
      this.blocks(this.leftover, 0, 16, 0);
      this.leftoverLength = 0;
    }
    const h = this.h;
    const g = this.g;
    // Carry fully, twice: the wrap of the top carry into limb 0 (2^130 ≡ 5) can ripple once more.
    // After that every limb is below 2^13.
    for (let pass = 0; pass < 2; pass++) {
      let carry = 0;
      for (let i = 0; i < 10; i++) {
        const limb = h[i]! + carry;
        carry = limb >>> 13;
        h[i] = limb & 0x1fff;
      }
      h[0]! += carry * 5;
    }
    // g = h + 5 - 2^130 is h mod p when h ≥ p = 2^130 - 5, that is when h + 5 carries into 2^130.
    let carry = 5;
    for (let i = 0; i < 10; i++) {
      const limb = h[i]! + carry;
      carry = limb >>> 13;
      g[i] = limb & 0x1fff;
    }
    const useG = -carry;
    for (let i = 0; i < 10; i++) h[i] = (h[i]! & ~useG) | (g[i]! & useG);
    // h mod 2^128 as eight little-endian 16-bit words, plus s.
    let sum = 0;
    for (let i = 0; i < 8; i++) {
      sum = (wordOf(h, i) & 0xffff) + this.pad[i]! + (sum >>> 16);
      out[offset + 2 * i] = sum;
      out[offset + 2 * i + 1] = sum >>> 8;
    }
  }

  /**
   * h = (h + block) · r mod 2^130 - 5 for each 16-byte block of `message[from…to)`; `hibit` is
   * 2^128 in limb 9 (1 << 11), or 0 for the padded last block. The product rows are unrolled
   * (generated): limb k of h·r sums h_i·r_(k-i), and h_i·5·r_(k-i+10) where i + j wraps past
   * 2^130 ≡ 5.
   */
  private blocks(message: Uint8Array, from: number, to: number, hibit: number): void {
    const r = this.r;
    const h = this.h;
    const r0 = r[0]!, r1 = r[1]!, r2 = r[2]!, r3 = r[3]!, r4 = r[4]!, r5 = r[5]!, r6 = r[6]!, r7 = r[7]!, r8 = r[8]!, r9 = r[9]!;
    const s1 = 5 * r1, s2 = 5 * r2, s3 = 5 * r3, s4 = 5 * r4, s5 = 5 * r5, s6 = 5 * r6, s7 = 5 * r7, s8 = 5 * r8, s9 = 5 * r9;
    let h0 = h[0]!, h1 = h[1]!, h2 = h[2]!, h3 = h[3]!, h4 = h[4]!, h5 = h[5]!, h6 = h[6]!, h7 = h[7]!, h8 = h[8]!, h9 = h[9]!;
    for (let at = from; at < to; at += 16) {
      const t0 = message[at]! | (message[at + 1]! << 8);
      const t1 = message[at + 2]! | (message[at + 3]! << 8);
      const t2 = message[at + 4]! | (message[at + 5]! << 8);
      const t3 = message[at + 6]! | (message[at + 7]! << 8);
      const t4 = message[at + 8]! | (message[at + 9]! << 8);
      const t5 = message[at + 10]! | (message[at + 11]! << 8);
      const t6 = message[at + 12]! | (message[at + 13]! << 8);
      const t7 = message[at + 14]! | (message[at + 15]! << 8);
      h0 += t0 & 0x1fff;
      h1 += ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
      h2 += ((t1 >>> 10) | (t2 << 6)) & 0x1fff;
      h3 += ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
      h4 += ((t3 >>> 4) | (t4 << 12)) & 0x1fff;
      h5 += (t4 >>> 1) & 0x1fff;
      h6 += ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
      h7 += ((t5 >>> 11) | (t6 << 5)) & 0x1fff;
      h8 += ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
      h9 += (t7 >>> 5) | hibit;
      // Each row is an exact integer below 2^34; `& 0x1fff` keeps its low 13 bits and the carry
      // is the rest (a division by a power of two is exact).
      let d: number;
      let c = 0;
      d = c + h0 * r0 + h1 * s9 + h2 * s8 + h3 * s7 + h4 * s6 + h5 * s5 + h6 * s4 + h7 * s3 + h8 * s2 + h9 * s1;
      c = (d / 8192) >>> 0;
      const e0 = d & 0x1fff;
      d = c + h0 * r1 + h1 * r0 + h2 * s9 + h3 * s8 + h4 * s7 + h5 * s6 + h6 * s5 + h7 * s4 + h8 * s3 + h9 * s2;
      c = (d / 8192) >>> 0;
      const e1 = d & 0x1fff;
      d = c + h0 * r2 + h1 * r1 + h2 * r0 + h3 * s9 + h4 * s8 + h5 * s7 + h6 * s6 + h7 * s5 + h8 * s4 + h9 * s3;
      c = (d / 8192) >>> 0;
      const e2 = d & 0x1fff;
      d = c + h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s9 + h5 * s8 + h6 * s7 + h7 * s6 + h8 * s5 + h9 * s4;
      c = (d / 8192) >>> 0;
      const e3 = d & 0x1fff;
      d = c + h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s9 + h6 * s8 + h7 * s7 + h8 * s6 + h9 * s5;
      c = (d / 8192) >>> 0;
      const e4 = d & 0x1fff;
      d = c + h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0 + h6 * s9 + h7 * s8 + h8 * s7 + h9 * s6;
      c = (d / 8192) >>> 0;
      const e5 = d & 0x1fff;
      d = c + h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2 + h5 * r1 + h6 * r0 + h7 * s9 + h8 * s8 + h9 * s7;
      c = (d / 8192) >>> 0;
      const e6 = d & 0x1fff;
      d = c + h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3 + h5 * r2 + h6 * r1 + h7 * r0 + h8 * s9 + h9 * s8;
      c = (d / 8192) >>> 0;
      const e7 = d & 0x1fff;
      d = c + h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4 + h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * s9;
      c = (d / 8192) >>> 0;
      const e8 = d & 0x1fff;
      d = c + h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5 + h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;
      c = (d / 8192) >>> 0;
      const e9 = d & 0x1fff;
      c = c * 5 + e0;
      h0 = c & 0x1fff;
      c = (c / 8192) >>> 0;
      h1 = e1 + c;
      h2 = e2;
      h3 = e3;
      h4 = e4;
      h5 = e5;
      h6 = e6;
      h7 = e7;
      h8 = e8;
      h9 = e9;
    }
    h[0] = h0;
    h[1] = h1;
    h[2] = h2;
    h[3] = h3;
    h[4] = h4;
    h[5] = h5;
    h[6] = h6;
    h[7] = h7;
    h[8] = h8;
    h[9] = h9;
  }
}

/** Bits 16i..16i+15 of a number held in ten normalized 13-bit limbs (some bits above 16 may be set). */
function wordOf(h: Int32Array, i: number): number {
  switch (i) {
    case 0: return h[0]! | (h[1]! << 13);
    case 1: return (h[1]! >>> 3) | (h[2]! << 10);
    case 2: return (h[2]! >>> 6) | (h[3]! << 7);
    case 3: return (h[3]! >>> 9) | (h[4]! << 4);
    case 4: return (h[4]! >>> 12) | (h[5]! << 1) | (h[6]! << 14);
    case 5: return (h[6]! >>> 2) | (h[7]! << 11);
    case 6: return (h[7]! >>> 5) | (h[8]! << 8);
    default: return (h[8]! >>> 8) | (h[9]! << 5);
  }
}

/** 16 bytes at `bytes[offset…]` as ten 13-bit limbs (no 2^128 bit). */
function loadLimbs(bytes: Uint8Array, offset: number, limbs: Int32Array): void {
  const t = (i: number): number => bytes[offset + 2 * i]! | (bytes[offset + 2 * i + 1]! << 8);
  const t0 = t(0), t1 = t(1), t2 = t(2), t3 = t(3), t4 = t(4), t5 = t(5), t6 = t(6), t7 = t(7);
  limbs[0] = t0 & 0x1fff;
  limbs[1] = ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
  limbs[2] = ((t1 >>> 10) | (t2 << 6)) & 0x1fff;
  limbs[3] = ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
  limbs[4] = ((t3 >>> 4) | (t4 << 12)) & 0x1fff;
  limbs[5] = (t4 >>> 1) & 0x1fff;
  limbs[6] = ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
  limbs[7] = ((t5 >>> 11) | (t6 << 5)) & 0x1fff;
  limbs[8] = ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
  limbs[9] = t7 >>> 5;
}

const ZEROS = new Uint8Array(16);

/** ChaCha20-Poly1305 under one key (RFC 8439 §2.8); the key's words are read once, the nonce changes per message. */
export class ChaCha20Poly1305 {
  private readonly key = new Int32Array(8);
  private readonly words = new Int32Array(16);
  /** Block 0, whose first 32 bytes are the one-time Poly1305 key. */
  private readonly polyKey = new Uint8Array(BLOCK_LENGTH);
  private readonly poly = new Poly1305();
  private readonly tag = new Uint8Array(TAG_LENGTH);
  private readonly lengths = new Uint8Array(16);

  constructor(key: Uint8Array) {
    if (key.length !== KEY_LENGTH) throw new RangeError(`chacha20-poly1305: a key has 32 bytes, not ${key.length}`);
    for (let i = 0; i < 8; i++) this.key[i] = readWordLE(key, 4 * i);
  }

  /**
   * Writes ciphertext ‖ 16-byte tag of `plain` at `out[offset…]` and returns the bytes written.
   * `out` may be `plain` itself at the same offset, but must not overlap it otherwise.
   */
  seal(nonce: Uint8Array, plain: Uint8Array, out: Uint8Array, offset: number, aad?: Uint8Array): number {
    this.start(nonce, aad);
    this.xor(nonce, plain, 0, plain.length, out, offset);
    this.authenticate(out, offset, plain.length, aad);
    out.set(this.tag, offset + plain.length);
    return plain.length + TAG_LENGTH;
  }

  /**
   * Writes the plaintext of `sealed` (ciphertext ‖ tag) at `out[offset…]` and returns its length;
   * -1, with nothing written, when the tag does not match.
   */
  open(nonce: Uint8Array, sealed: Uint8Array, out: Uint8Array, offset: number, aad?: Uint8Array): number {
    if (sealed.length < TAG_LENGTH) return -1;
    const length = sealed.length - TAG_LENGTH;
    this.start(nonce, aad);
    this.authenticate(sealed, 0, length, aad);
    let difference = 0;
    for (let i = 0; i < TAG_LENGTH; i++) difference |= this.tag[i]! ^ sealed[length + i]!;
    if (difference !== 0) return -1;
    this.xor(nonce, sealed, 0, length, out, offset);
    return length;
  }

  /** The one-time Poly1305 key from block 0 (§2.6), and the AAD with its padding. */
  private start(nonce: Uint8Array, aad: Uint8Array | undefined): void {
    if (nonce.length !== NONCE_LENGTH) throw new RangeError(`chacha20-poly1305: a nonce has 12 bytes, not ${nonce.length}`);
    chachaBlock(this.key, 0, readWordLE(nonce, 0), readWordLE(nonce, 4), readWordLE(nonce, 8), this.words);
    storeWordsLE(this.words, this.polyKey);
    this.poly.reset(this.polyKey, 0);
    if (aad && aad.length > 0) {
      this.poly.update(aad);
      if (aad.length % 16 !== 0) this.poly.update(ZEROS, 0, 16 - (aad.length % 16));
    }
  }

  /** Tag over the ciphertext at `text[from…from+length)`, padded, and the two lengths. */
  private authenticate(text: Uint8Array, from: number, length: number, aad: Uint8Array | undefined): void {
    this.poly.update(text, from, from + length);
    if (length % 16 !== 0) this.poly.update(ZEROS, 0, 16 - (length % 16));
    writeLength64(this.lengths, 0, aad?.length ?? 0);
    writeLength64(this.lengths, 8, length);
    this.poly.update(this.lengths);
    this.poly.finish(this.tag);
  }

  /**
   * out[offset…] = input[from…from+length) XOR the keystream from block 1 (§2.4). The keystream
   * words are split into bytes with shifts (little-endian whatever the host), four bytes per word
   * in a whole block: twice as fast in V8 as indexing a byte view of them.
   */
  private xor(nonce: Uint8Array, input: Uint8Array, from: number, length: number, out: Uint8Array, offset: number): void {
    const n0 = readWordLE(nonce, 0), n1 = readWordLE(nonce, 4), n2 = readWordLE(nonce, 8);
    const words = this.words;
    for (let done = 0, counter = 1; done < length; done += BLOCK_LENGTH, counter++) {
      chachaBlock(this.key, counter, n0, n1, n2, words);
      const source = from + done;
      const target = offset + done;
      if (length - done >= BLOCK_LENGTH) {
        for (let i = 0; i < 16; i++) {
          const word = words[i]!;
          const s = source + 4 * i;
          const t = target + 4 * i;
          out[t] = input[s]! ^ word;
          out[t + 1] = input[s + 1]! ^ (word >>> 8);
          out[t + 2] = input[s + 2]! ^ (word >>> 16);
          out[t + 3] = input[s + 3]! ^ (word >>> 24);
        }
      } else {
        for (let i = 0; i < length - done; i++) out[target + i] = input[source + i]! ^ (words[i >> 2]! >>> (8 * (i & 3)));
      }
    }
  }
}

function writeLength64(out: Uint8Array, at: number, length: number): void {
  // Lengths here are far below 2^32; the high word stays zero.
  out[at] = length;
  out[at + 1] = length >>> 8;
  out[at + 2] = length >>> 16;
  out[at + 3] = length >>> 24;
  out[at + 4] = 0;
  out[at + 5] = 0;
  out[at + 6] = 0;
  out[at + 7] = 0;
}

/** ChaCha20 alone (§2.4): `input` XOR the keystream that starts at block `counter`; for the RFC's test vectors. */
export function chacha20Xor(key: Uint8Array, counter: number, nonce: Uint8Array, input: Uint8Array): Uint8Array {
  const words = new Int32Array(8);
  for (let i = 0; i < 8; i++) words[i] = readWordLE(key, 4 * i);
  const block = new Int32Array(16);
  const bytes = new Uint8Array(BLOCK_LENGTH);
  const out = new Uint8Array(input.length);
  for (let done = 0; done < input.length; done += BLOCK_LENGTH, counter++) {
    chachaBlock(words, counter, readWordLE(nonce, 0), readWordLE(nonce, 4), readWordLE(nonce, 8), block);
    storeWordsLE(block, bytes);
    for (let i = 0; i < Math.min(BLOCK_LENGTH, input.length - done); i++) out[done + i] = input[done + i]! ^ bytes[i]!;
  }
  return out;
}
