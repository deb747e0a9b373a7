import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WIDE_CHUNK_WIRE_BYTES, createBodyDecoder, createBodyEncoder } from './body.js';
import { COMMAND, OPTION, SECURITY } from './consts.js';

/** The length field is a uint16, so the widest chunk is 65535 bytes on the wire. */
const WIDEST = Math.min(WIDE_CHUNK_WIRE_BYTES, 65_535);

describe('widened chunks (what the VMess handlers send to any peer)', () => {
  it.each([SECURITY.aes128Gcm, SECURITY.chacha20Poly1305])('security %s: chunks grow to the widest length and still decode', (security) => {
    const options = { security, options: OPTION.chunkStream | OPTION.chunkMasking | OPTION.globalPadding, command: COMMAND.tcp, key: randomBytes(16), iv: randomBytes(16) };
    const encoder = createBodyEncoder(options);
    const decoder = createBodyDecoder(options);
    const before = randomBytes(5000);
    const narrow = encoder.encode(before);
    encoder.widenChunks(WIDE_CHUNK_WIRE_BYTES);
    const after = randomBytes(300_000);
    const wide = encoder.encode(after);
    // 300,000 bytes: a few wide chunks instead of 153 of ≤ 2 KiB (each chunk adds 18 + padding bytes).
    const chunks = Math.ceil(after.length / (WIDEST - 16 - 2 - 64));
    expect(chunks).toBeLessThan(10);
    expect(wide.length - after.length).toBeLessThan(chunks * (18 + 64));
    expect(encoder.maxPlaintextPerChunk).toBe(WIDEST - 16 - 2 - 64);
    const plain = Buffer.concat(decoder.push(Buffer.concat([narrow, wide, encoder.end()])));
    expect(plain.equals(Buffer.concat([before, after]))).toBe(true);
    expect(decoder.ended).toBe(true);
  });

  it.each([SECURITY.aes128Gcm, SECURITY.chacha20Poly1305, SECURITY.none, SECURITY.legacy])('security %s: a batch in pieces encodes to the bytes of the joined batch', (security) => {
    const options = { security, options: OPTION.chunkStream | OPTION.chunkMasking, command: COMMAND.tcp, key: randomBytes(16), iv: randomBytes(16) };
    const fromPieces = createBodyEncoder(options);
    const joined = createBodyEncoder(options);
    fromPieces.widenChunks(WIDE_CHUNK_WIRE_BYTES);
    joined.widenChunks(WIDE_CHUNK_WIRE_BYTES);
    const data = randomBytes(200_000);
    // Frame headers between views of socket reads, empty pieces, chunks across piece boundaries.
    for (const cuts of [[8, 32_776, 32_784], [0, 0, 1], [65_000, 65_001, 65_002, 130_000, 199_999], [100_000]]) {
      const pieces: Buffer[] = [];
      let from = 0;
      for (const cut of [...cuts, data.length]) {
        pieces.push(data.subarray(from, cut));
        from = cut;
      }
      expect(fromPieces.encode(pieces).equals(joined.encode(data))).toBe(true);
    }
    expect(fromPieces.encode([Buffer.alloc(0), Buffer.alloc(0)])).toHaveLength(0);
  });

  it('splits a batch into chunks of (nearly) equal size, never a full run plus a sliver', () => {
    const options = { security: SECURITY.aes128Gcm, options: OPTION.chunkStream | OPTION.chunkMasking, command: COMMAND.tcp, key: randomBytes(16), iv: randomBytes(16) };
    const max = WIDEST - 2 - 16;
    for (const length of [1, max, max + 1, 4 * max + 3, 65_536 + 16]) {
      const encoder = createBodyEncoder(options);
      encoder.widenChunks(WIDE_CHUNK_WIRE_BYTES);
      expect(encoder.maxPlaintextPerChunk).toBe(max);
      const data = randomBytes(length);
      const wire = encoder.encode(data);
      const chunks = Math.ceil(length / max);
      // No padding (0x08 off): every chunk adds exactly its 2-byte length and 16-byte tag.
      expect(wire.length).toBe(length + chunks * 18);
      // Fed one byte at a time, the decoder hands out each chunk's plaintext on its own.
      const decoder = createBodyDecoder(options);
      const sizes: number[] = [];
      for (let at = 0; at < wire.length; at += 1) sizes.push(...decoder.push(wire.subarray(at, at + 1)).map((plain) => plain.length));
      expect(sizes).toHaveLength(chunks);
      // Chunks of ⌈length / chunks⌉ bytes, the last one at most chunks − 1 bytes short.
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(chunks);
      expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(length);
    }
  });

  it('leaves UDP datagrams and security none alone', () => {
    const udp = createBodyEncoder({ security: SECURITY.aes128Gcm, options: 0x0d, command: COMMAND.udp, key: randomBytes(16), iv: randomBytes(16) });
    const before = udp.maxPlaintextPerChunk;
    udp.widenChunks(WIDE_CHUNK_WIRE_BYTES);
    expect(udp.maxPlaintextPerChunk).toBe(before);
  });
});
