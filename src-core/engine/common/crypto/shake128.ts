/**
 * SHAKE128 (FIPS 202 §6.2) as an endless output stream: Keccak-f[1600] on 32-bit lane halves,
 * rate 168 bytes, squeezed one block at a time.
 *
 * Why hand-written: node:crypto's `shake128` is one-shot (a fixed `outputLength`), and BoringSSL,
 * which Electron's Node links, has no SHAKE at all (docs/crypto.md). VMess reads this stream
 * forever, 4 bytes per 2 KiB chunk, for its chunk length masks and padding (spec §3.3,
 * `proxy/vmess/chunk-sizes.ts`). Checked against the FIPS 202 example values and node:crypto's
 * shake128 in `shake128.test.ts`.
 */

const RATE = 168;

// Round constants as [high, low] 32-bit halves.
const RC_HIGH = new Int32Array([
  0x00000000, 0x00000000, 0x80000000, 0x80000000, 0x00000000, 0x00000000, 0x80000000, 0x80000000, 0x00000000, 0x00000000,
  0x00000000, 0x00000000, 0x00000000, 0x80000000, 0x80000000, 0x80000000, 0x80000000, 0x80000000, 0x00000000, 0x80000000,
  0x80000000, 0x80000000, 0x00000000, 0x80000000,
]);
const RC_LOW = new Int32Array([
  0x00000001, 0x00008082, 0x0000808a, 0x80008000, 0x0000808b, 0x80000001, 0x80008081, 0x00008009, 0x0000008a, 0x00000088,
  0x80008009, 0x8000000a, 0x8000808b, 0x0000008b, 0x00008089, 0x00008003, 0x00008002, 0x00000080, 0x0000800a, 0x8000000a,
  0x80008081, 0x00008080, 0x80000001, 0x80008008,
]);
// Keccak-f[1600], fully unrolled (generated once from the textbook θ ρ π χ ι steps; ROTATION
// by lane x + 5y is 0 1 62 28 27 / 36 44 6 55 20 / 3 10 43 25 39 / 41 45 15 21 8 / 18 2 61 56 14, and
// π moves lane x + 5y to y + 5((2x + 3y) mod 5)). Lane i is lo = s[2i], hi = s[2i + 1], little-endian
// bytes. Unrolled into locals because the loop form is several times slower (docs/crypto.md).
function keccakF1600(s: Int32Array): void {
  let a0 = s[0]!;
  let a1 = s[1]!;
  let a2 = s[2]!;
  let a3 = s[3]!;
  let a4 = s[4]!;
  let a5 = s[5]!;
  let a6 = s[6]!;
  let a7 = s[7]!;
  let a8 = s[8]!;
  let a9 = s[9]!;
  let a10 = s[10]!;
  let a11 = s[11]!;
  let a12 = s[12]!;
  let a13 = s[13]!;
  let a14 = s[14]!;
  let a15 = s[15]!;
  let a16 = s[16]!;
  let a17 = s[17]!;
  let a18 = s[18]!;
  let a19 = s[19]!;
  let a20 = s[20]!;
  let a21 = s[21]!;
  let a22 = s[22]!;
  let a23 = s[23]!;
  let a24 = s[24]!;
  let a25 = s[25]!;
  let a26 = s[26]!;
  let a27 = s[27]!;
  let a28 = s[28]!;
  let a29 = s[29]!;
  let a30 = s[30]!;
  let a31 = s[31]!;
  let a32 = s[32]!;
  let a33 = s[33]!;
  let a34 = s[34]!;
  let a35 = s[35]!;
  let a36 = s[36]!;
  let a37 = s[37]!;
  let a38 = s[38]!;
  let a39 = s[39]!;
  let a40 = s[40]!;
  let a41 = s[41]!;
  let a42 = s[42]!;
  let a43 = s[43]!;
  let a44 = s[44]!;
  let a45 = s[45]!;
  let a46 = s[46]!;
  let a47 = s[47]!;
  let a48 = s[48]!;
  let a49 = s[49]!;
  let c0: number, c1: number, c2: number, c3: number, c4: number, c5: number, c6: number, c7: number, c8: number, c9: number;
  let d0: number, d1: number;
  let b0: number, b1: number, b2: number, b3: number, b4: number, b5: number, b6: number, b7: number, b8: number, b9: number, b10: number, b11: number, b12: number, b13: number, b14: number, b15: number, b16: number, b17: number, b18: number, b19: number, b20: number, b21: number, b22: number, b23: number, b24: number, b25: number, b26: number, b27: number, b28: number, b29: number, b30: number, b31: number, b32: number, b33: number, b34: number, b35: number, b36: number, b37: number, b38: number, b39: number, b40: number, b41: number, b42: number, b43: number, b44: number, b45: number, b46: number, b47: number, b48: number, b49: number;
  for (let round = 0; round < RC_LOW.length; round++) {
    c0 = a0 ^ a10 ^ a20 ^ a30 ^ a40;
    c1 = a1 ^ a11 ^ a21 ^ a31 ^ a41;
    c2 = a2 ^ a12 ^ a22 ^ a32 ^ a42;
    c3 = a3 ^ a13 ^ a23 ^ a33 ^ a43;
    c4 = a4 ^ a14 ^ a24 ^ a34 ^ a44;
    c5 = a5 ^ a15 ^ a25 ^ a35 ^ a45;
    c6 = a6 ^ a16 ^ a26 ^ a36 ^ a46;
    c7 = a7 ^ a17 ^ a27 ^ a37 ^ a47;
    c8 = a8 ^ a18 ^ a28 ^ a38 ^ a48;
    c9 = a9 ^ a19 ^ a29 ^ a39 ^ a49;
    d0 = c8 ^ ((c2 << 1) | (c3 >>> 31));
    d1 = c9 ^ ((c3 << 1) | (c2 >>> 31));
    a0 ^= d0;
    a1 ^= d1;
    a10 ^= d0;
    a11 ^= d1;
    a20 ^= d0;
    a21 ^= d1;
    a30 ^= d0;
    a31 ^= d1;
    a40 ^= d0;
    a41 ^= d1;
    d0 = c0 ^ ((c4 << 1) | (c5 >>> 31));
    d1 = c1 ^ ((c5 << 1) | (c4 >>> 31));
    a2 ^= d0;
    a3 ^= d1;
    a12 ^= d0;
    a13 ^= d1;
    a22 ^= d0;
    a23 ^= d1;
    a32 ^= d0;
    a33 ^= d1;
    a42 ^= d0;
    a43 ^= d1;
    d0 = c2 ^ ((c6 << 1) | (c7 >>> 31));
    d1 = c3 ^ ((c7 << 1) | (c6 >>> 31));
    a4 ^= d0;
    a5 ^= d1;
    a14 ^= d0;
    a15 ^= d1;
    a24 ^= d0;
    a25 ^= d1;
    a34 ^= d0;
    a35 ^= d1;
    a44 ^= d0;
    a45 ^= d1;
    d0 = c4 ^ ((c8 << 1) | (c9 >>> 31));
    d1 = c5 ^ ((c9 << 1) | (c8 >>> 31));
    a6 ^= d0;
    a7 ^= d1;
    a16 ^= d0;
    a17 ^= d1;
    a26 ^= d0;
    a27 ^= d1;
    a36 ^= d0;
    a37 ^= d1;
    a46 ^= d0;
    a47 ^= d1;
    d0 = c6 ^ ((c0 << 1) | (c1 >>> 31));
    d1 = c7 ^ ((c1 << 1) | (c0 >>> 31));
    a8 ^= d0;
    a9 ^= d1;
    a18 ^= d0;
    a19 ^= d1;
    a28 ^= d0;
    a29 ^= d1;
    a38 ^= d0;
    a39 ^= d1;
    a48 ^= d0;
    a49 ^= d1;
    b0 = a0;
    b1 = a1;
    b32 = (a11 << 4) | (a10 >>> 28);
    b33 = (a10 << 4) | (a11 >>> 28);
    b14 = (a20 << 3) | (a21 >>> 29);
    b15 = (a21 << 3) | (a20 >>> 29);
    b46 = (a31 << 9) | (a30 >>> 23);
    b47 = (a30 << 9) | (a31 >>> 23);
    b28 = (a40 << 18) | (a41 >>> 14);
    b29 = (a41 << 18) | (a40 >>> 14);
    b20 = (a2 << 1) | (a3 >>> 31);
    b21 = (a3 << 1) | (a2 >>> 31);
    b2 = (a13 << 12) | (a12 >>> 20);
    b3 = (a12 << 12) | (a13 >>> 20);
    b34 = (a22 << 10) | (a23 >>> 22);
    b35 = (a23 << 10) | (a22 >>> 22);
    b16 = (a33 << 13) | (a32 >>> 19);
    b17 = (a32 << 13) | (a33 >>> 19);
    b48 = (a42 << 2) | (a43 >>> 30);
    b49 = (a43 << 2) | (a42 >>> 30);
    b40 = (a5 << 30) | (a4 >>> 2);
    b41 = (a4 << 30) | (a5 >>> 2);
    b22 = (a14 << 6) | (a15 >>> 26);
    b23 = (a15 << 6) | (a14 >>> 26);
    b4 = (a25 << 11) | (a24 >>> 21);
    b5 = (a24 << 11) | (a25 >>> 21);
    b36 = (a34 << 15) | (a35 >>> 17);
    b37 = (a35 << 15) | (a34 >>> 17);
    b18 = (a45 << 29) | (a44 >>> 3);
    b19 = (a44 << 29) | (a45 >>> 3);
    b10 = (a6 << 28) | (a7 >>> 4);
    b11 = (a7 << 28) | (a6 >>> 4);
    b42 = (a17 << 23) | (a16 >>> 9);
    b43 = (a16 << 23) | (a17 >>> 9);
    b24 = (a26 << 25) | (a27 >>> 7);
    b25 = (a27 << 25) | (a26 >>> 7);
    b6 = (a36 << 21) | (a37 >>> 11);
    b7 = (a37 << 21) | (a36 >>> 11);
    b38 = (a47 << 24) | (a46 >>> 8);
    b39 = (a46 << 24) | (a47 >>> 8);
    b30 = (a8 << 27) | (a9 >>> 5);
    b31 = (a9 << 27) | (a8 >>> 5);
    b12 = (a18 << 20) | (a19 >>> 12);
    b13 = (a19 << 20) | (a18 >>> 12);
    b44 = (a29 << 7) | (a28 >>> 25);
    b45 = (a28 << 7) | (a29 >>> 25);
    b26 = (a38 << 8) | (a39 >>> 24);
    b27 = (a39 << 8) | (a38 >>> 24);
    b8 = (a48 << 14) | (a49 >>> 18);
    b9 = (a49 << 14) | (a48 >>> 18);
    a0 = b0 ^ (~b2 & b4);
    a1 = b1 ^ (~b3 & b5);
    a2 = b2 ^ (~b4 & b6);
    a3 = b3 ^ (~b5 & b7);
    a4 = b4 ^ (~b6 & b8);
    a5 = b5 ^ (~b7 & b9);
    a6 = b6 ^ (~b8 & b0);
    a7 = b7 ^ (~b9 & b1);
    a8 = b8 ^ (~b0 & b2);
    a9 = b9 ^ (~b1 & b3);
    a10 = b10 ^ (~b12 & b14);
    a11 = b11 ^ (~b13 & b15);
    a12 = b12 ^ (~b14 & b16);
    a13 = b13 ^ (~b15 & b17);
    a14 = b14 ^ (~b16 & b18);
    a15 = b15 ^ (~b17 & b19);
    a16 = b16 ^ (~b18 & b10);
    a17 = b17 ^ (~b19 & b11);
    a18 = b18 ^ (~b10 & b12);
    a19 = b19 ^ (~b11 & b13);
    a20 = b20 ^ (~b22 & b24);
    a21 = b21 ^ (~b23 & b25);
    a22 = b22 ^ (~b24 & b26);
    a23 = b23 ^ (~b25 & b27);
    a24 = b24 ^ (~b26 & b28);
    a25 = b25 ^ (~b27 & b29);
    a26 = b26 ^ (~b28 & b20);
    a27 = b27 ^ (~b29 & b21);
    a28 = b28 ^ (~b20 & b22);
    a29 = b29 ^ (~b21 & b23);
    a30 = b30 ^ (~b32 & b34);
    a31 = b31 ^ (~b33 & b35);
    a32 = b32 ^ (~b34 & b36);
    a33 = b33 ^ (~b35 & b37);
    a34 = b34 ^ (~b36 & b38);
    a35 = b35 ^ (~b37 & b39);
    a36 = b36 ^ (~b38 & b30);
    a37 = b37 ^ (~b39 & b31);
    a38 = b38 ^ (~b30 & b32);
    a39 = b39 ^ (~b31 & b33);
    a40 = b40 ^ (~b42 & b44);
    a41 = b41 ^ (~b43 & b45);
    a42 = b42 ^ (~b44 & b46);
    a43 = b43 ^ (~b45 & b47);
    a44 = b44 ^ (~b46 & b48);
    a45 = b45 ^ (~b47 & b49);
    a46 = b46 ^ (~b48 & b40);
    a47 = b47 ^ (~b49 & b41);
    a48 = b48 ^ (~b40 & b42);
    a49 = b49 ^ (~b41 & b43);
    a0 ^= RC_LOW[round]!;
    a1 ^= RC_HIGH[round]!;
  }
  s[0] = a0;
  s[1] = a1;
  s[2] = a2;
  s[3] = a3;
  s[4] = a4;
  s[5] = a5;
  s[6] = a6;
  s[7] = a7;
  s[8] = a8;
  s[9] = a9;
  s[10] = a10;
  s[11] = a11;
  s[12] = a12;
  s[13] = a13;
  s[14] = a14;
  s[15] = a15;
  s[16] = a16;
  s[17] = a17;
  s[18] = a18;
  s[19] = a19;
  s[20] = a20;
  s[21] = a21;
  s[22] = a22;
  s[23] = a23;
  s[24] = a24;
  s[25] = a25;
  s[26] = a26;
  s[27] = a27;
  s[28] = a28;
  s[29] = a29;
  s[30] = a30;
  s[31] = a31;
  s[32] = a32;
  s[33] = a33;
  s[34] = a34;
  s[35] = a35;
  s[36] = a36;
  s[37] = a37;
  s[38] = a38;
  s[39] = a39;
  s[40] = a40;
  s[41] = a41;
  s[42] = a42;
  s[43] = a43;
  s[44] = a44;
  s[45] = a45;
  s[46] = a46;
  s[47] = a47;
  s[48] = a48;
  s[49] = a49;
}


/** SHAKE128 of a short seed, read as an endless stream of big-endian uint16 values. */
export class Shake128Stream {
  private readonly state = new Int32Array(50);
  private readonly block = Buffer.alloc(RATE);
  private position = RATE;

  constructor(seed: Uint8Array) {
    if (seed.length >= RATE) throw new RangeError('Shake128Stream: seed must be shorter than the rate');
    const padded = Buffer.alloc(RATE);
    padded.set(seed);
    padded[seed.length]! ^= 0x1f; // SHAKE domain bits and the first pad bit
    padded[RATE - 1]! ^= 0x80; // last pad bit
    for (let i = 0; i < RATE / 4; i++) this.state[i] = padded.readInt32LE(i * 4);
  }

  private squeeze(): void {
    keccakF1600(this.state);
    for (let i = 0; i < RATE / 4; i++) this.block.writeInt32LE(this.state[i]!, i * 4);
    this.position = 0;
  }

  /** The next two output bytes as a big-endian uint16 (`ShakeSizeParser.next`). */
  nextUint16(): number {
    if (this.position >= RATE) this.squeeze();
    const value = (this.block[this.position]! << 8) | this.block[this.position + 1]!;
    this.position += 2;
    return value;
  }

  /** Copies the next `length` output bytes (for tests and diagnostics). */
  read(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      if (this.position >= RATE) this.squeeze();
      out[i] = this.block[this.position++]!;
    }
    return out;
  }
}
