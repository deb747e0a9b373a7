/**
 * SHA-256 (FIPS 180-4 §6.2) on 32-bit words, with resumable mid-states.
 *
 * Why hand-written: the VMess AEAD KDF (`proxy/vmess/kdf.ts`) runs many digests of short
 * messages behind constant 64-byte prefixes. Here a mid-state after whole blocks is just the
 * eight chaining words and a length, and a digest of a short message is one or two compressions;
 * node:crypto's `Hash.copy()` costs more per call than a whole compression (figures in
 * docs/crypto.md). Checked against the FIPS 180-4 example values and node:crypto in
 * `sha256.test.ts`.
 */
import { BugError } from '../errors.js';

/** SHA-256's block size in bytes (also HMAC's key-pad size). */
export const SHA256_BLOCK_SIZE = 64;
const BLOCK_SIZE = SHA256_BLOCK_SIZE;

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL_STATE = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Int32Array(64);
// Scratch for the padded tail: one block, or two when the tail leaves no room for the length.
const TAIL_ONE = Buffer.alloc(BLOCK_SIZE);
const TAIL_TWO = Buffer.alloc(2 * BLOCK_SIZE);
/** Longest message (in 32-bit words) whose padding fits in the same block: 55 bytes → 13 words. */
export const SHA256_MAX_WORDS_ONE_BLOCK = 13;
const MAX_WORDS_ONE_BLOCK = SHA256_MAX_WORDS_ONE_BLOCK;

/** Loads W[0..16) from 64 bytes. */
function loadBlock(data: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + 4 * i;
    W[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
  }
}

/** One SHA-256 compression of the block already in W[0..16). */
function compress(state: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** A message as big-endian 32-bit words (a caller can keep digests in this form between rounds). */
export type Words = Int32Array;

/** `bytes` (a multiple of 4 long) as big-endian words. */
export function toWords(bytes: Uint8Array): Words {
  const words = new Int32Array(bytes.length >>> 2);
  for (let i = 0; i < words.length; i++) {
    words[i] = (bytes[4 * i]! << 24) | (bytes[4 * i + 1]! << 16) | (bytes[4 * i + 2]! << 8) | bytes[4 * i + 3]!;
  }
  return words;
}

/** Big-endian bytes of `words`. */
export function wordsToBuffer(words: Words): Buffer {
  const out = Buffer.allocUnsafe(4 * words.length);
  for (let i = 0; i < words.length; i++) out.writeInt32BE(words[i]!, 4 * i);
  return out;
}

/** A SHA-256 state after a whole number of 64-byte blocks. Immutable: absorbing returns a new one. */
export class Sha256MidState {
  constructor(
    private readonly state: Int32Array = INITIAL_STATE,
    private readonly length: number = 0,
  ) {}

  /** The state after also absorbing `blocks` (a multiple of 64 bytes). */
  absorb(blocks: Uint8Array): Sha256MidState {
    if (blocks.length % BLOCK_SIZE !== 0) throw new BugError('sha256 mid-state absorbs whole blocks');
    const state = new Int32Array(this.state);
    for (let offset = 0; offset < blocks.length; offset += BLOCK_SIZE) {
      loadBlock(blocks, offset);
      compress(state);
    }
    return new Sha256MidState(state, this.length + blocks.length);
  }

  /** SHA-256 of (absorbed prefix ‖ message), as words. Short word messages take one compression. */
  digest(message: Uint8Array | Words): Words {
    const state = new Int32Array(this.state);
    if (message instanceof Int32Array && message.length <= MAX_WORDS_ONE_BLOCK) {
      W.set(message);
      W[message.length] = 0x80000000 | 0;
      W.fill(0, message.length + 1, 14);
      const bits = (this.length + 4 * message.length) * 8;
      W[14] = Math.floor(bits / 0x1_0000_0000);
      W[15] = bits | 0;
      compress(state);
      return state;
    }
    const bytes = message instanceof Int32Array ? wordsToBuffer(message) : message;
    let offset = 0;
    // Whole blocks of the message are compressed in place; only the tail is copied for padding.
    for (; bytes.length - offset >= BLOCK_SIZE; offset += BLOCK_SIZE) {
      loadBlock(bytes, offset);
      compress(state);
    }
    const tailLength = bytes.length - offset;
    const padded = tailLength + 9 <= BLOCK_SIZE ? TAIL_ONE : TAIL_TWO;
    padded.fill(0);
    padded.set(bytes.subarray(offset));
    padded[tailLength] = 0x80;
    const bits = (this.length + bytes.length) * 8;
    padded.writeUInt32BE(Math.floor(bits / 0x1_0000_0000), padded.length - 8);
    padded.writeUInt32BE(bits >>> 0, padded.length - 4);
    for (let at = 0; at < padded.length; at += BLOCK_SIZE) {
      loadBlock(padded, at);
      compress(state);
    }
    return state;
  }
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Buffer {
  const whole = data.length - (data.length % BLOCK_SIZE);
  return wordsToBuffer(new Sha256MidState().absorb(data.subarray(0, whole)).digest(data.subarray(whole)));
}
