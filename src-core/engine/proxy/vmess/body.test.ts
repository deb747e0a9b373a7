import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hasErrorCode } from '../../common/errors.js';
import { createBodyDecoder, createBodyEncoder, type BodyCodecOptions } from './body.js';
import { chachaKey } from './chunk-cipher.js';
import { COMMAND, SECURITY, type BodySecurity } from './consts.js';
import { createVmessUser } from './account.js';
import { AuthIdReplayFilter, SessionHistory } from './replay.js';
import { ServerHandshake, createServerHandshakeContext } from './server-handshake.js';
import { ClientSession } from './client-handshake.js';
import { loadCaptures } from './testdata/captures.js';

const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const iv = Buffer.from('0f0e0d0c0b0a09080706050403020100', 'hex');

function options(security: BodySecurity, bits: number, command: number = COMMAND.tcp): BodyCodecOptions {
  return { security, options: bits, command, key, iv };
}

/**
 * An independent, non-resumable reader written from the wire doc §3 with node:crypto only, used to
 * check the encoder's framing (padding before mask, nonces, EOS) and to measure chunk sizes.
 */
function referenceParse(wire: Buffer, codec: BodyCodecOptions): { plain: Buffer[]; wireSizes: number[]; ended: boolean } {
  const shake = createHash('shake128', { outputLength: 1 << 16 }).update(codec.iv).digest();
  let shakeAt = 0;
  const next = (): number => {
    const value = shake.readUInt16BE(shakeAt);
    shakeAt += 2;
    return value;
  };
  const masking = (codec.options & 0x04) !== 0;
  const padding = (codec.options & 0x08) !== 0;
  let input = wire;
  if (codec.security === SECURITY.legacy) input = createDecipheriv('aes-128-cfb', codec.key, codec.iv).update(wire);
  const plain: Buffer[] = [];
  const wireSizes: number[] = [];
  let at = 0;
  let counter = 0;
  if (codec.security === SECURITY.none && codec.command !== COMMAND.udp) {
    while (at + 2 <= input.length) {
      const size = input.readUInt16BE(at) ^ (masking ? next() : 0);
      if (size === 0) return { plain, wireSizes, ended: true };
      plain.push(input.subarray(at + 2, at + 2 + size));
      wireSizes.push(2 + size);
      at += 2 + size;
    }
    return { plain, wireSizes, ended: false };
  }
  const overhead = codec.security === SECURITY.none ? 0 : codec.security === SECURITY.legacy ? 4 : 16;
  while (at + 2 <= input.length) {
    const pad = padding ? next() % 64 : 0;
    const size = input.readUInt16BE(at) ^ (masking ? next() : 0);
    if (size === overhead + pad) return { plain, wireSizes, ended: true };
    const sealed = input.subarray(at + 2, at + 2 + size - pad);
    wireSizes.push(2 + size);
    at += 2 + size;
    const nonce = Buffer.from(codec.iv.subarray(0, 12));
    nonce.writeUInt16BE(counter++ & 0xffff, 0);
    if (codec.security === SECURITY.aes128Gcm || codec.security === SECURITY.chacha20Poly1305) {
      const decipher =
        codec.security === SECURITY.aes128Gcm
          ? createDecipheriv('aes-128-gcm', codec.key, nonce)
          : createDecipheriv('chacha20-poly1305', chachaKey(codec.key), nonce, { authTagLength: 16 });
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      plain.push(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]));
    } else {
      plain.push(sealed.subarray(overhead));
    }
  }
  return { plain, wireSizes, ended: false };
}

/** Feeds `wire` in the given pieces; returns the concatenated plaintext and the EOS flag. */
function decodeInPieces(codec: BodyCodecOptions, pieces: Buffer[]): { plain: Buffer; ended: boolean } {
  const decoder = createBodyDecoder(codec);
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(...decoder.push(piece));
  return { plain: Buffer.concat(out), ended: decoder.ended };
}

const STREAM_CASES: { security: BodySecurity; bits: number }[] = [
  { security: SECURITY.aes128Gcm, bits: 0x0d },
  { security: SECURITY.aes128Gcm, bits: 0x05 },
  { security: SECURITY.aes128Gcm, bits: 0x01 },
  { security: SECURITY.aes128Gcm, bits: 0x04 },
  { security: SECURITY.chacha20Poly1305, bits: 0x0d },
  { security: SECURITY.chacha20Poly1305, bits: 0x01 },
  { security: SECURITY.none, bits: 0x05 },
  { security: SECURITY.none, bits: 0x0d },
  { security: SECURITY.none, bits: 0x01 },
  { security: SECURITY.none, bits: 0x00 },
  { security: SECURITY.legacy, bits: 0x01 },
  { security: SECURITY.legacy, bits: 0x05 },
  { security: SECURITY.legacy, bits: 0x00 },
];

describe('body round trip', () => {
  test.each(STREAM_CASES.flatMap((entry) => [COMMAND.tcp, COMMAND.mux].map((command) => ({ ...entry, command }))))(
    'stream: security $security options $bits command $command',
    ({ security, bits, command }) => {
      const codec = options(security, bits, command);
      const encoder = createBodyEncoder(codec);
      const writes = [1, 1965, 1966, 1967, 2030, 2031, 8192, 8193, 20_000].map((length) => randomBytes(length));
      const wire = Buffer.concat([...writes.map((data) => encoder.encode(data)), encoder.encode(Buffer.alloc(0)), encoder.end()]);
      const decoded = decodeInPieces(codec, [wire]);
      // Without ChunkStream (0x01) V2Ray writes no EOS; none and legacy are then raw bytes.
      const chunked = (bits & 0x01) !== 0;
      const raw = !chunked && (security === SECURITY.none || security === SECURITY.legacy);
      expect({ plain: decoded.plain.equals(Buffer.concat(writes)), ended: decoded.ended }).toEqual({ plain: true, ended: chunked });
      if (!raw) {
        const reference = referenceParse(wire, codec);
        const limit = security === SECURITY.none ? 8194 : 2048;
        expect({
          plain: Buffer.concat(reference.plain).equals(Buffer.concat(writes)),
          ended: reference.ended,
          maxWire: Math.max(...reference.wireSizes) <= limit,
        }).toEqual({ plain: true, ended: chunked, maxWire: true });
      }
    },
  );

  test.each([
    { security: SECURITY.aes128Gcm, bits: 0x0d },
    { security: SECURITY.chacha20Poly1305, bits: 0x0d },
    { security: SECURITY.none, bits: 0x0d },
    { security: SECURITY.none, bits: 0x05 },
    { security: SECURITY.legacy, bits: 0x01 },
  ])('UDP: one datagram per chunk, security $security options $bits', ({ security, bits }) => {
    const codec = options(security, bits, COMMAND.udp);
    const encoder = createBodyEncoder(codec);
    const datagrams = [1, 100, encoder.maxPlaintextPerChunk].map((length) => randomBytes(length));
    const decoder = createBodyDecoder(codec);
    const received = datagrams.flatMap((datagram) => decoder.push(encoder.encode(datagram)));
    expect(received.map((datagram) => datagram.toString('hex'))).toEqual(datagrams.map((datagram) => datagram.toString('hex')));
    expect(() => encoder.encode(randomBytes(encoder.maxPlaintextPerChunk + 1))).toThrow(/datagram/);
  });

  test('chunk capacity: 1966 with padding, 2030 without, 8192 for none', () => {
    expect([
      createBodyEncoder(options(SECURITY.aes128Gcm, 0x0d)).maxPlaintextPerChunk,
      createBodyEncoder(options(SECURITY.chacha20Poly1305, 0x05)).maxPlaintextPerChunk,
      createBodyEncoder(options(SECURITY.none, 0x05)).maxPlaintextPerChunk,
    ]).toEqual([1966, 2030, 8192]);
  });

  test('the nonce counter wraps at 65536 chunks', { timeout: 20_000 }, () => {
    const codec = options(SECURITY.aes128Gcm, 0x05, COMMAND.udp);
    const encoder = createBodyEncoder(codec);
    const decoder = createBodyDecoder(codec);
    let received = 0;
    for (let i = 0; i < 65_540; i++) received += decoder.push(encoder.encode(Buffer.from([i & 0xff]))).length;
    expect(received).toBe(65_540);
  });

  test('GlobalPadding without ChunkMasking is refused (a 4.34 peer would panic)', () => {
    let error: unknown;
    try {
      createBodyEncoder(options(SECURITY.aes128Gcm, 0x09));
    } catch (caught) {
      error = caught;
    }
    expect(hasErrorCode(error, 'PH_VMESS_BAD_HEADER')).toBe(true);
  });
});

describe('body fixed vectors', () => {
  test('wire doc §3.3: first pad and mask from SHAKE128(0f0e…00), and the chacha key', () => {
    const wire = createBodyEncoder(options(SECURITY.aes128Gcm, 0x0d)).encode(Buffer.from('hi'));
    const pad = 0x68b5 % 64;
    expect({ size: wire.readUInt16BE(0) ^ 0x8b9f, length: wire.length }).toEqual({ size: 2 + 16 + pad, length: 2 + 2 + 16 + pad });
    expect(chachaKey(key).toString('hex')).toBe('6e8311168ee16d6aa1aa48c64145003c7a69fffa917aafaa21e54379fa990232');
  });

  const captures = loadCaptures();
  const users = [createVmessUser(captures.uuid, { alterId: 4, tag: 'capture' })];

  test.each(captures.clientCaptures.map((capture) => [capture.name, capture] as const))('%s: request body decodes', (_name, capture) => {
    const handshake = new ServerHandshake(createServerHandshakeContext({ users, replayFilter: new AuthIdReplayFilter(), sessionHistory: new SessionHistory() }));
    const result = handshake.push(Buffer.from(capture.request, 'hex'), capture.now);
    if (result.status !== 'done' && capture.alterId === 0) throw new Error(result.status);
    if (result.status !== 'done') return; // legacy captures need the legacy validator: server-handshake.test.ts
    const codec = { security: result.header.security as BodySecurity, options: result.header.options, command: result.header.command, key: result.header.bodyKey, iv: result.header.bodyIv };
    const reference = referenceParse(result.rest, codec);
    const ours = decodeInPieces(codec, [result.rest]);
    expect({
      ours: ours.plain.toString('hex') === capture.payload,
      ended: ours.ended,
      reference: Buffer.concat(reference.plain).toString('hex') === capture.payload,
      maxWire: Math.max(...reference.wireSizes) <= (codec.security === SECURITY.none ? 8194 : 2048),
    }).toEqual({ ours: true, ended: true, reference: true, maxWire: true });
  });

  test.each(captures.serverCaptures.map((capture) => [capture.name, capture] as const))('%s: response body decodes', (_name, capture) => {
    const session = new ClientSession(
      {
        version: 1,
        bodyIv: Buffer.from(capture.bodyIv, 'hex'),
        bodyKey: Buffer.from(capture.bodyKey, 'hex'),
        responseAuth: capture.responseAuth,
        options: capture.security === SECURITY.none ? 0x05 : 0x0d,
        security: capture.security,
        command: COMMAND.tcp,
        address: { kind: 'ipv4', value: '127.0.0.1' },
        port: capture.echoPort,
      },
      !capture.legacyHeader,
    );
    const result = session.createResponseParser().push(Buffer.from(capture.response, 'hex'));
    if (result.status !== 'done') throw new Error(result.status);
    const codec = { security: capture.security as BodySecurity, options: session.header.options, command: COMMAND.tcp, key: session.responseKey, iv: session.responseIv };
    const reference = referenceParse(result.rest, codec);
    const expected = Buffer.from(capture.payload, 'hex').map((byte) => byte ^ 0x5a);
    expect({
      ours: Buffer.concat(result.decoder.push(result.rest)).equals(expected),
      ended: result.decoder.ended,
      reference: Buffer.concat(reference.plain).equals(expected),
      maxWire: Math.max(...reference.wireSizes) <= (codec.security === SECURITY.none ? 8194 : 2048),
    }).toEqual({ ours: true, ended: true, reference: true, maxWire: true });
  });
});

describe('body chunking', () => {
  const cases = [
    { security: SECURITY.aes128Gcm, bits: 0x0d },
    { security: SECURITY.chacha20Poly1305, bits: 0x05 },
    { security: SECURITY.none, bits: 0x05 },
    { security: SECURITY.legacy, bits: 0x05 },
  ];

  test.each(cases)('split at every byte boundary: security $security options $bits', ({ security, bits }) => {
    const codec = options(security, bits);
    const encoder = createBodyEncoder(codec);
    const data = randomBytes(2500);
    const wire = Buffer.concat([encoder.encode(data.subarray(0, 10)), encoder.encode(data.subarray(10)), encoder.end()]);
    const whole = decodeInPieces(codec, [wire]);
    expect(whole.plain.equals(data) && whole.ended).toBe(true);
    for (let cut = 1; cut < wire.length; cut++) {
      const split = decodeInPieces(codec, [wire.subarray(0, cut), wire.subarray(cut)]);
      if (!split.plain.equals(data) || !split.ended) throw new Error(`split at ${cut}`);
    }
    const byteByByte = decodeInPieces(codec, [...wire].map((byte) => Buffer.from([byte])));
    expect(byteByByte.plain.equals(data) && byteByByte.ended).toBe(true);
  });

  test.each(cases)('random splits (fast-check): security $security options $bits', ({ security, bits }) => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 6000 }), fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 12 }), (bytes, sizes) => {
        const codec = options(security, bits);
        const encoder = createBodyEncoder(codec);
        const data = Buffer.from(bytes);
        const wire = Buffer.concat([encoder.encode(data), encoder.end()]);
        const pieces: Buffer[] = [];
        let at = 0;
        for (const size of sizes) {
          pieces.push(wire.subarray(at, at + size));
          at += size;
        }
        pieces.push(wire.subarray(at));
        const decoded = decodeInPieces(codec, pieces);
        expect(decoded.plain.equals(data) && decoded.ended).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  test('bytes after the EOS are ignored', () => {
    const codec = options(SECURITY.aes128Gcm, 0x0d);
    const encoder = createBodyEncoder(codec);
    const decoded = decodeInPieces(codec, [Buffer.concat([encoder.encode(Buffer.from('abc')), encoder.end(), randomBytes(50)]), randomBytes(10)]);
    expect({ plain: decoded.plain.toString(), ended: decoded.ended }).toEqual({ plain: 'abc', ended: true });
  });
});

describe('body tamper', () => {
  test.each([
    { security: SECURITY.aes128Gcm, bits: 0x0d },
    { security: SECURITY.chacha20Poly1305, bits: 0x0d },
    { security: SECURITY.aes128Gcm, bits: 0x01 },
    { security: SECURITY.legacy, bits: 0x05 },
  ])('flipping any byte never yields altered plaintext: security $security options $bits', ({ security, bits }) => {
    const codec = options(security, bits);
    const encoder = createBodyEncoder(codec);
    const first = randomBytes(300);
    const second = randomBytes(400);
    const wire = Buffer.concat([encoder.encode(first), encoder.encode(second), encoder.end()]);
    // Locate the unauthenticated bytes (padding, EOS after its length) with the reference reader's sizes.
    const padding = new Set<number>();
    const eosStart = referenceParse(wire, codec).wireSizes.reduce((sum, size) => sum + size, 0);
    {
      const sizes = referenceParse(wire, codec).wireSizes;
      let at = 0;
      const shake = createHash('shake128', { outputLength: 64 }).update(iv).digest();
      sizes.forEach((size, index) => {
        const pad = (bits & 0x08) !== 0 ? shake.readUInt16BE(4 * index) % 64 : 0;
        for (let i = at + size - pad; i < at + size; i++) padding.add(i);
        at += size;
      });
    }
    let rejected = 0;
    for (let i = 0; i < wire.length; i++) {
      const copy = Buffer.from(wire);
      copy[i]! ^= 0x01;
      const decoder = createBodyDecoder(codec);
      let plain: Buffer;
      try {
        plain = Buffer.concat(decoder.push(copy));
      } catch (error) {
        expect(hasErrorCode(error, 'PH_VMESS_BAD_CHUNK')).toBe(true);
        rejected++;
        continue;
      }
      const original = Buffer.concat([first, second]);
      // Without an error the output is a prefix of the original (a cut-off stream), never altered.
      // It is complete only when the flip hit padding (random, unauthenticated by design) or the
      // EOS chunk after its length field, which a 4.34 reader never reads either.
      expect(original.subarray(0, plain.length).equals(plain), `byte ${i}`).toBe(true);
      if (plain.length === original.length && decoder.ended) expect(padding.has(i) || i >= eosStart + 2, `byte ${i}`).toBe(true);
    }
    expect(rejected).toBeGreaterThan(wire.length / 2);
  });

  test('after a failure the decoder keeps failing', () => {
    const codec = options(SECURITY.aes128Gcm, 0x05);
    const wire = createBodyEncoder(codec).encode(randomBytes(100));
    wire[10]! ^= 1;
    const decoder = createBodyDecoder(codec);
    expect(() => decoder.push(wire)).toThrow(/authentication/);
    expect(() => decoder.push(Buffer.from([1]))).toThrow(/authentication/);
  });

  test('random input: only PH_VMESS_BAD_CHUNK is ever thrown (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STREAM_CASES),
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 5 }),
        ({ security, bits }, pieces) => {
          const decoder = createBodyDecoder(options(security, bits));
          try {
            for (const piece of pieces) decoder.push(Buffer.from(piece));
          } catch (error) {
            expect(hasErrorCode(error, 'PH_VMESS_BAD_CHUNK')).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
