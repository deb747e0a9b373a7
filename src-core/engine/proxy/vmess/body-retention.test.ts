/**
 * The AEAD decoder sizes its output buffer to the whole chunks of a push: a push that completes a
 * small chunk and carries the head of a wide (64 KiB) one must not return a few bytes backed by an
 * allocation the size of the read (the Mux reader hands frame data out as views, so a small idle
 * session's buffered bytes would pin it).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WIDE_CHUNK_WIRE_BYTES, createBodyDecoder, createBodyEncoder, type BodyCodecOptions } from './body.js';
import { COMMAND, OPTION, SECURITY } from './consts.js';

const codec: BodyCodecOptions = {
  security: SECURITY.aes128Gcm,
  options: OPTION.chunkStream | OPTION.chunkMasking | OPTION.globalPadding,
  command: COMMAND.tcp,
  key: randomBytes(16),
  iv: randomBytes(16),
};

describe('AEAD decoder output buffer', () => {
  it('does not back a small plaintext with an allocation the size of the whole socket read', () => {
    const encoder = createBodyEncoder(codec);
    encoder.widenChunks(WIDE_CHUNK_WIRE_BYTES);
    const decoder = createBodyDecoder(codec);
    const small = encoder.encode(Buffer.from('ping'));
    const wide = encoder.encode(randomBytes(60_000));
    // One socket read: the small chunk and most of the wide one.
    const [plain] = decoder.push(Buffer.concat([small, wide.subarray(0, 60_000)]));
    expect(plain!.toString()).toBe('ping');
    // Small results come from Node's shared pool; anything larger would be its own allocation.
    expect(plain!.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize);
  });

  it('sizes the buffer for a chunk completed from the previous push plus the whole chunks after it', () => {
    const encoder = createBodyEncoder(codec);
    encoder.widenChunks(WIDE_CHUNK_WIRE_BYTES);
    const decoder = createBodyDecoder(codec);
    const first = encoder.encode(randomBytes(50_000));
    const second = encoder.encode(randomBytes(3_000));
    const third = encoder.encode(randomBytes(40_000));
    decoder.push(first.subarray(0, 30_000));
    const [plain] = decoder.push(Buffer.concat([first.subarray(30_000), second, third.subarray(0, 20_000)]));
    expect(plain!.length).toBe(53_000);
    expect(plain!.buffer.byteLength).toBe(53_000);
  });
});
