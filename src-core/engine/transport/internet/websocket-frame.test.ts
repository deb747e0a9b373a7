import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortholeError } from '../../common/errors.js';
import {
  CLOSE_PROTOCOL_ERROR,
  CLOSE_TOO_BIG,
  FrameReader,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
  WebSocketProtocolError,
  type WebSocketRole,
  applyMask,
  closePayload,
  encodeFrame,
  encodeFrameHeader,
  parseClosePayload,
} from './websocket-frame.js';
import { splitAt } from '../../../../test/support/data.js';
import { bulkBytesArbitrary } from '../../../tooling/fuzz/bytes.js';

type ReadEvent = { readonly kind: 'data'; readonly bytes: Buffer } | { readonly kind: 'control'; readonly opcode: number; readonly payload: Buffer };

interface ReadResult {
  /** Data pieces joined while no control frame comes between them; control frames whole. */
  readonly events: ReadEvent[];
  /** All data payload bytes, in order. */
  readonly data: Buffer;
  /** How many times `data` was called. */
  readonly dataCalls: number;
  readonly error?: WebSocketProtocolError;
}

const peerOf = (role: WebSocketRole): WebSocketRole => (role === 'client' ? 'server' : 'client');

/**
 * Pushes `chunks` (copies: the reader unmasks in place) into a reader for `role`. A throw ends
 * the run; it must be a WebSocketProtocolError.
 */
function read(role: WebSocketRole, chunks: readonly Buffer[], maxFramePayload = 1 << 20): ReadResult {
  // Data pieces are copied as they come, and joined at the end.
  const runs: (Buffer[] | { opcode: number; payload: Buffer })[] = [];
  const pieces: Buffer[] = [];
  const reader = new FrameReader(role, maxFramePayload, {
    data(payload) {
      const piece = Buffer.from(payload);
      pieces.push(piece);
      const last = runs.at(-1);
      if (Array.isArray(last)) last.push(piece);
      else runs.push([piece]);
    },
    control(opcode, payload) {
      runs.push({ opcode, payload: Buffer.from(payload) });
    },
  });
  let error: WebSocketProtocolError | undefined;
  try {
    for (const chunk of chunks) reader.push(Buffer.from(chunk));
  } catch (caught) {
    expect(caught).toBeInstanceOf(WebSocketProtocolError);
    error = caught as WebSocketProtocolError;
  }
  const events = runs.map((run): ReadEvent => (Array.isArray(run) ? { kind: 'data', bytes: Buffer.concat(run) } : { kind: 'control', ...run }));
  return { events, data: Buffer.concat(pieces), dataCalls: pieces.length, ...(error ? { error } : {}) };
}

/** Reads `bytes` and expects a protocol error with this close code and a message naming the cause. */
function expectBadFrame(role: WebSocketRole, chunks: readonly Buffer[], closeCode: number, cause: RegExp, maxFramePayload?: number): ReadResult {
  const result = read(role, chunks, maxFramePayload);
  expect(result.error).toBeDefined();
  const error = result.error!;
  expect(error).toBeInstanceOf(PortholeError);
  expect(error.code).toBe('PH_WEBSOCKET_BAD_FRAME');
  expect(error.closeCode).toBe(closeCode);
  expect(error.message).toMatch(/^websocket: /);
  expect(error.message).toMatch(cause);
  return result;
}

/** Byte equality; cheaper than toEqual, which compares large buffers element by element. */
function expectBytes(actual: Buffer, expected: Buffer): void {
  if (!actual.equals(expected)) expect(actual.toString('hex')).toBe(expected.toString('hex'));
}

const oneByteChunks = (bytes: Buffer): Buffer[] => Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));

/** Every way to cut `bytes` in two. */
const everyCutInTwo = (bytes: Buffer): Buffer[][] => Array.from({ length: bytes.length + 1 }, (_, cut) => [bytes.subarray(0, cut), bytes.subarray(cut)]);

interface RawFrame {
  readonly fin?: boolean;
  /** The RSV1-3 bits, already shifted (0x40, 0x20, 0x10). */
  readonly rsv?: number;
  readonly opcode: number;
  readonly payload?: Buffer;
  /** A masking key: the mask bit is set and the payload masked with it. */
  readonly mask?: Buffer;
  /** The declared length, when it should differ from the payload's. */
  readonly length?: number | bigint;
  /** Force a length form (for non-minimal encodings or huge declared lengths). */
  readonly form?: 7 | 16 | 64;
}

/** A frame built byte by byte, for what encodeFrame cannot write (FIN = 0, RSV bits, bad lengths). */
function rawFrame(frame: RawFrame): Buffer {
  const payload = Buffer.from(frame.payload ?? Buffer.alloc(0));
  const length = BigInt(frame.length ?? payload.length);
  const form = frame.form ?? (length < 126n ? 7 : length <= 0xffffn ? 16 : 64);
  const first = ((frame.fin ?? true) ? 0x80 : 0) | (frame.rsv ?? 0) | frame.opcode;
  const maskBit = frame.mask ? 0x80 : 0;
  let head: Buffer;
  if (form === 7) head = Buffer.from([first, maskBit | Number(length)]);
  else if (form === 16) {
    head = Buffer.from([first, maskBit | 126, 0, 0]);
    head.writeUInt16BE(Number(length), 2);
  } else {
    head = Buffer.from([first, maskBit | 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    head.writeBigUInt64BE(length, 2);
  }
  if (frame.mask) {
    for (let i = 0; i < payload.length; i++) payload[i]! ^= frame.mask[i % 4]!;
    return Buffer.concat([head, frame.mask, payload]);
  }
  return Buffer.concat([head, payload]);
}

/** A raw frame as `role` sends it: masked with a fixed non-zero key by a client. */
const rawFrom = (role: WebSocketRole, frame: Omit<RawFrame, 'mask'>): Buffer => rawFrame(role === 'client' ? { ...frame, mask: Buffer.from([0x37, 0xfa, 0x21, 0x3d]) } : frame);

const ROLES: readonly WebSocketRole[] = ['client', 'server'];

/**
 * Payloads around the length-form limits and up to 70,000 bytes, filled from a seed by xorshift32
 * (drawing them byte by byte from fast-check would take most of the run).
 */
const sizedPayload: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(0, 1, 124, 125, 126, 127, 65534, 65535, 65536, 65537, 70000).chain((length) => bulkBytesArbitrary(length, length)),
  bulkBytesArbitrary(0, 70000),
);

describe('round trip', () => {
  const SIZES = [0, 1, 2, 3, 4, 5, 125, 126, 127, 65535, 65536, 70000];

  for (const sender of ROLES) {
    const receiver = peerOf(sender);

    it(`${sender} frames read by a ${receiver} reader give the payloads back byte for byte (${SIZES.join(', ')} bytes)`, () => {
      for (const size of SIZES) {
        const payload = randomBytes(size);
        const original = Buffer.from(payload);
        const frame = encodeFrame(OPCODE_BINARY, payload, sender);
        expectBytes(payload, original);
        const whole = read(receiver, [frame]);
        expect(whole.error).toBeUndefined();
        expectBytes(whole.data, original);
        expect(whole.events.length).toBe(size === 0 ? 0 : 1);
        // read() pushes copies (the reader unmasks in place), so the frame can be read again.
        const bytewise = read(receiver, oneByteChunks(frame));
        expect(bytewise.error).toBeUndefined();
        expectBytes(bytewise.data, original);
        expectBytes(read(receiver, [frame.subarray(0, 1), frame.subarray(1, 3), frame.subarray(3, 7), frame.subarray(7)]).data, original);
      }
    });

    it(`${sender} → ${receiver}: random payloads in random chunks`, () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), sizedPayload),
          fc.constantFrom(OPCODE_BINARY, OPCODE_TEXT),
          fc.array(fc.oneof(fc.nat({ max: 16 }), fc.nat()), { maxLength: 30 }),
          (payload, opcode, offsets) => {
            const original = Buffer.from(payload);
            const frame = encodeFrame(opcode, payload, sender);
            expectBytes(payload, original);
            const result = read(receiver, splitAt(frame, offsets));
            expect(result.error).toBeUndefined();
            expectBytes(result.data, original);
          },
        ),
        { numRuns: 200 },
      );
    });

    it(`${sender} → ${receiver}: a stream of several frames in random chunks, 1-byte chunks included`, () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (payloads, offsets) => {
          const buffers = payloads.map((p) => Buffer.from(p));
          const stream = Buffer.concat(buffers.map((p) => encodeFrame(OPCODE_BINARY, p, sender)));
          const expected = Buffer.concat(buffers);
          expectBytes(read(receiver, splitAt(stream, offsets)).data, expected);
          expectBytes(read(receiver, oneByteChunks(stream)).data, expected);
        }),
        { numRuns: 100 },
      );
    });
  }

  it('hands data out as it arrives: a partial frame gives its bytes so far', () => {
    const payload = randomBytes(1000);
    const frame = encodeFrame(OPCODE_BINARY, payload, 'client');
    const pieces: Buffer[] = [];
    const reader = new FrameReader('server', 1 << 20, { data: (p) => pieces.push(Buffer.from(p)), control: () => expect.unreachable() });
    // 2 bytes, a 16-bit length, the key: 8 bytes of header.
    reader.push(Buffer.from(frame.subarray(0, 8 + 300)));
    expect(Buffer.concat(pieces)).toEqual(payload.subarray(0, 300));
    reader.push(Buffer.from(frame.subarray(8 + 300, 8 + 301)));
    expect(Buffer.concat(pieces)).toEqual(payload.subarray(0, 301));
    reader.push(Buffer.from(frame.subarray(8 + 301)));
    expect(Buffer.concat(pieces)).toEqual(payload);
  });

  it('unmasks in place: a data piece is a view of the chunk pushed, and stays as delivered', () => {
    const payload = Buffer.from('hello, world');
    const chunk = Buffer.concat([encodeFrame(OPCODE_BINARY, payload, 'client'), encodeFrame(OPCODE_PING, Buffer.from('p'), 'client'), encodeFrame(OPCODE_BINARY, Buffer.from('more'), 'client')]);
    const views: Buffer[] = [];
    new FrameReader('server', 1 << 20, { data: (p) => views.push(p), control: () => {} }).push(chunk);
    expect(views[0]!.buffer).toBe(chunk.buffer);
    expect(chunk.subarray(6, 6 + payload.length)).toEqual(payload);
    expect(views.map((v) => v.toString())).toEqual(['hello, world', 'more']);
  });
});

describe('encoding', () => {
  it.each([
    [0, [0x82, 0x00]],
    [1, [0x82, 0x01]],
    [125, [0x82, 0x7d]],
    [126, [0x82, 0x7e, 0x00, 0x7e]],
    [127, [0x82, 0x7e, 0x00, 0x7f]],
    [65535, [0x82, 0x7e, 0xff, 0xff]],
    [65536, [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]],
    [70000, [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]],
    [2 ** 32 + 5, [0x82, 0x7f, 0, 0, 0, 0x01, 0, 0, 0, 0x05]],
    [2 ** 53 - 1, [0x82, 0x7f, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
  ])('encodeFrameHeader(binary, %i) is %j (7-bit, 16-bit or 64-bit length, no mask bit)', (length, bytes) => {
    expect(encodeFrameHeader(OPCODE_BINARY, length)).toEqual(Buffer.from(bytes));
  });

  it('puts FIN and the opcode in the first byte', () => {
    expect(encodeFrameHeader(OPCODE_TEXT, 0)[0]).toBe(0x81);
    expect(encodeFrame(OPCODE_PING, Buffer.alloc(0), 'server')).toEqual(Buffer.from([0x89, 0x00]));
    expect(encodeFrame(OPCODE_PONG, Buffer.from('x'), 'server')).toEqual(Buffer.from([0x8a, 0x01, 0x78]));
    expect(encodeFrame(OPCODE_CLOSE, closePayload(1000), 'server')).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
    expect(encodeFrame(OPCODE_CONTINUATION, Buffer.alloc(0), 'client')[0]).toBe(0x80);
  });

  it('a server frame is its header then the payload as it is', () => {
    for (const size of [0, 125, 126, 65535, 65536, 70000]) {
      const payload = randomBytes(size);
      expectBytes(encodeFrame(OPCODE_BINARY, payload, 'server'), Buffer.concat([encodeFrameHeader(OPCODE_BINARY, size), payload]));
    }
  });

  it('a client frame sets the mask bit, carries the key after the length, and masks the payload with it', () => {
    for (const size of [0, 1, 5, 125, 126, 65535, 65536, 70000]) {
      const payload = randomBytes(size);
      const plain = encodeFrameHeader(OPCODE_BINARY, size);
      const frame = encodeFrame(OPCODE_BINARY, payload, 'client');
      expect(frame.length).toBe(plain.length + 4 + size);
      expect(frame[0]).toBe(plain[0]);
      expect(frame[1]).toBe(plain[1]! | 0x80);
      expect(frame.subarray(2, plain.length)).toEqual(plain.subarray(2));
      const key = frame.subarray(plain.length, plain.length + 4);
      const masked = frame.subarray(plain.length + 4);
      expectBytes(Buffer.from(masked.map((byte, i) => byte ^ key[i % 4]!)), payload);
      if (size >= 4 && key.readUInt32BE(0) !== 0) expect(masked.equals(payload)).toBe(false);
    }
  });

  it('a client frame of a non-empty payload differs from the plain one (a non-zero key, practically always)', () => {
    const payload = Buffer.alloc(64, 0x55);
    for (let i = 0; i < 16; i++) {
      const masked = encodeFrame(OPCODE_BINARY, payload, 'client').subarray(2 + 4);
      expect(masked.length).toBe(64);
      expect(masked.equals(payload)).toBe(false);
    }
  });

  it('takes a fresh key for each frame, across refills of the key pool', () => {
    const payload = Buffer.from('abcd');
    const keys = new Set<string>();
    for (let i = 0; i < 2100; i++) {
      const frame = encodeFrame(OPCODE_BINARY, payload, 'client');
      expect(read('server', [frame]).data).toEqual(payload);
      keys.add(frame.subarray(2, 6).toString('hex'));
    }
    // 2,100 random 32-bit keys: a few collisions at most.
    expect(keys.size).toBeGreaterThan(2090);
  });

  it('never modifies the payload it is given, for either role', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(...ROLES), fc.integer({ min: 0, max: 40 }), (bytes, role, skip) => {
        // A view into a larger buffer: the bytes around it must stay as they are too.
        const backing = Buffer.from([...Array<number>(skip).fill(0xaa), ...bytes, 0xbb]);
        const payload = backing.subarray(skip, skip + bytes.length);
        const before = Buffer.from(backing);
        encodeFrame(OPCODE_BINARY, payload, role);
        expect(backing).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });
});

describe('applyMask', () => {
  const reference = (bytes: Uint8Array, key: Uint8Array, offset: number): Buffer => Buffer.from(bytes.map((byte, i) => byte ^ key[(i + offset) % 4]!));
  const key4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((k) => Buffer.from(k));

  it('XORs byte i with key[(i + keyOffset) mod 4], for every length and offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), key4, fc.nat({ max: 1000 }), (bytes, key, offset) => {
        const buffer = Buffer.from(bytes);
        applyMask(buffer, key, offset);
        expect(buffer).toEqual(reference(bytes, key, offset));
      }),
      { numRuns: 500 },
    );
  });

  it('fixed vector: key 01 02 03 04, offsets 0 and 3', () => {
    const key = Buffer.from([1, 2, 3, 4]);
    const bytes = Buffer.alloc(7);
    applyMask(bytes, key);
    expect(bytes).toEqual(Buffer.from([1, 2, 3, 4, 1, 2, 3]));
    const shifted = Buffer.alloc(7);
    applyMask(shifted, key, 3);
    expect(shifted).toEqual(Buffer.from([4, 1, 2, 3, 4, 1, 2]));
  });

  it('masking in two pieces with the right key offsets equals masking whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), key4, fc.nat(), fc.nat({ max: 3 }), (bytes, key, cutAt, start) => {
        const cut = cutAt % (bytes.length + 1);
        const whole = Buffer.from(bytes);
        applyMask(whole, key, start);
        const pieces = Buffer.from(bytes);
        applyMask(pieces.subarray(0, cut), key, start);
        applyMask(pieces.subarray(cut), key, (start + cut) & 3);
        expect(pieces).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('masking twice gives the bytes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), key4, fc.nat({ max: 3 }), (bytes, key, offset) => {
        const buffer = Buffer.from(bytes);
        applyMask(buffer, key, offset);
        applyMask(buffer, key, offset);
        expect(buffer).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('touches only the bytes of the view it is given', () => {
    const backing = Buffer.alloc(16, 0);
    applyMask(backing.subarray(5, 10), Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(backing).toEqual(Buffer.from([0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0]));
  });
});

describe('control frames', () => {
  for (const sender of ROLES) {
    const receiver = peerOf(sender);

    it(`${sender} → ${receiver}: ping, pong and close come whole, however the stream is cut`, () => {
      const ping = randomBytes(125);
      const stream = Buffer.concat([
        encodeFrame(OPCODE_PING, ping, sender),
        encodeFrame(OPCODE_PONG, Buffer.alloc(0), sender),
        encodeFrame(OPCODE_CLOSE, closePayload(1001, 'going away'), sender),
      ]);
      const expected: ReadEvent[] = [
        { kind: 'control', opcode: OPCODE_PING, payload: ping },
        { kind: 'control', opcode: OPCODE_PONG, payload: Buffer.alloc(0) },
        { kind: 'control', opcode: OPCODE_CLOSE, payload: closePayload(1001, 'going away') },
      ];
      expect(read(receiver, [stream]).events).toEqual(expected);
      expect(read(receiver, oneByteChunks(stream)).events).toEqual(expected);
      for (const chunks of everyCutInTwo(stream)) expect(read(receiver, chunks)).toEqual({ events: expected, data: Buffer.alloc(0), dataCalls: 0 });
    });

    it(`${sender} → ${receiver}: control frames between the fragments of a message (RFC 6455 §5.4)`, () => {
      const stream = Buffer.concat([
        rawFrom(sender, { fin: false, opcode: OPCODE_TEXT, payload: Buffer.from('Hel') }),
        rawFrom(sender, { opcode: OPCODE_PING, payload: Buffer.from('are you there') }),
        rawFrom(sender, { fin: false, opcode: OPCODE_CONTINUATION, payload: Buffer.from('lo, ') }),
        rawFrom(sender, { opcode: OPCODE_PONG }),
        rawFrom(sender, { opcode: OPCODE_CLOSE, payload: closePayload(1000) }),
        rawFrom(sender, { fin: true, opcode: OPCODE_CONTINUATION, payload: Buffer.from('world') }),
      ]);
      const expected: ReadEvent[] = [
        { kind: 'data', bytes: Buffer.from('Hel') },
        { kind: 'control', opcode: OPCODE_PING, payload: Buffer.from('are you there') },
        { kind: 'data', bytes: Buffer.from('lo, ') },
        { kind: 'control', opcode: OPCODE_PONG, payload: Buffer.alloc(0) },
        { kind: 'control', opcode: OPCODE_CLOSE, payload: Buffer.from([0x03, 0xe8]) },
        { kind: 'data', bytes: Buffer.from('world') },
      ];
      expect(read(receiver, [stream])).toEqual({ events: expected, data: expect.any(Buffer), dataCalls: expect.any(Number) });
      expect(read(receiver, oneByteChunks(stream))).toEqual({ events: expected, data: expect.any(Buffer), dataCalls: expect.any(Number) });
      for (const chunks of everyCutInTwo(stream)) expect(read(receiver, chunks)).toEqual({ events: expected, data: expect.any(Buffer), dataCalls: expect.any(Number) });
    });
  }

  it('a control frame in the middle of a chunk, between data frames, keeps the order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 125 }), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.array(fc.nat(), { maxLength: 10 }), (a, ping, b, offsets) => {
        const stream = Buffer.concat([encodeFrame(OPCODE_BINARY, Buffer.from(a), 'client'), encodeFrame(OPCODE_PING, Buffer.from(ping), 'client'), encodeFrame(OPCODE_BINARY, Buffer.from(b), 'client')]);
        const expected: ReadEvent[] = [
          ...(a.length > 0 ? [{ kind: 'data' as const, bytes: Buffer.from(a) }] : []),
          { kind: 'control', opcode: OPCODE_PING, payload: Buffer.from(ping) },
          { kind: 'data', bytes: Buffer.from(b) },
        ];
        expect(read('server', splitAt(stream, offsets)).events).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  describe('close payloads', () => {
    it('closePayload is the code big-endian, then the reason in UTF-8', () => {
      expect(closePayload(1000)).toEqual(Buffer.from([0x03, 0xe8]));
      expect(closePayload(4999, 'bye ✓')).toEqual(Buffer.concat([Buffer.from([0x13, 0x87]), Buffer.from('bye ✓', 'utf8')]));
    });

    it('closePayload cuts the reason to 123 bytes, so the frame fits a control frame', () => {
      const payload = closePayload(1000, 'x'.repeat(300));
      expect(payload.length).toBe(125);
      expect(parseClosePayload(payload)).toEqual({ code: 1000, reason: 'x'.repeat(123) });
      expect(read('server', [encodeFrame(OPCODE_CLOSE, payload, 'client')]).events).toEqual([{ kind: 'control', opcode: OPCODE_CLOSE, payload }]);
    });

    // A cut inside a character would leave invalid UTF-8, which RFC 6455 §8.1 peers answer with 1007.
    it('closePayload cuts a long reason at a character boundary', () => {
      const payload = closePayload(1000, 'é'.repeat(62)); // 124 bytes of UTF-8
      expect(parseClosePayload(payload)).toEqual({ code: 1000, reason: 'é'.repeat(61) });
    });

    it('parseClosePayload refuses a reason that is not UTF-8 (1007)', () => {
      const payload = Buffer.from([0x03, 0xe8, 0xc3]);
      expect(() => parseClosePayload(payload)).toThrow(expect.objectContaining({ code: 'PH_WEBSOCKET_BAD_FRAME', closeCode: 1007, message: 'websocket: a close frame whose reason is not UTF-8' }));
    });

    it('parseClosePayload reads back what closePayload wrote, for every valid code', () => {
      const validCode = fc.oneof(fc.constantFrom(1000, 1001, 1002, 1003), fc.integer({ min: 1007, max: 1014 }), fc.integer({ min: 3000, max: 4999 }));
      const reason = fc.string({ maxLength: 40, unit: 'grapheme' }).filter((text) => Buffer.byteLength(text, 'utf8') <= 123);
      fc.assert(
        fc.property(validCode, reason, (code, text) => {
          expect(parseClosePayload(closePayload(code, text))).toEqual({ code, reason: text });
        }),
        { numRuns: 300 },
      );
    });

    it('an empty close payload means 1005 (no code)', () => {
      expect(parseClosePayload(Buffer.alloc(0))).toEqual({ code: 1005, reason: '' });
    });

    it.each([1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4000, 4999])('accepts code %i', (code) => {
      expect(parseClosePayload(closePayload(code, 'r'))).toEqual({ code, reason: 'r' });
    });

    const expectRefused = (payload: Buffer, cause: RegExp): void => {
      let caught: unknown;
      try {
        parseClosePayload(payload);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WebSocketProtocolError);
      expect(caught).toMatchObject({ code: 'PH_WEBSOCKET_BAD_FRAME', closeCode: CLOSE_PROTOCOL_ERROR });
      expect((caught as Error).message).toMatch(cause);
    };

    it('refuses a 1-byte payload', () => {
      expectRefused(Buffer.from([0x03]), /1-byte payload/);
    });

    it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535])('refuses code %i', (code) => {
      expectRefused(closePayload(code), new RegExp(`invalid code ${code}\\b`));
    });
  });
});

describe('protocol errors', () => {
  for (const sender of ROLES) {
    const receiver = peerOf(sender);

    describe(`${receiver} reader`, () => {
      it.each([
        ['RSV1', 0x40],
        ['RSV2', 0x20],
        ['RSV3', 0x10],
        ['all three', 0x70],
      ])('refuses a frame with %s set', (_name, rsv) => {
        expectBadFrame(receiver, [rawFrom(sender, { rsv, opcode: OPCODE_BINARY, payload: Buffer.from('x') })], CLOSE_PROTOCOL_ERROR, /extension bits/);
        expectBadFrame(receiver, [rawFrom(sender, { rsv, opcode: OPCODE_PING })], CLOSE_PROTOCOL_ERROR, /extension bits/);
        // Two bytes are enough to know.
        expectBadFrame(receiver, [rawFrom(sender, { rsv, opcode: OPCODE_BINARY, payload: Buffer.alloc(300) }).subarray(0, 2)], CLOSE_PROTOCOL_ERROR, /extension bits/);
      });

      it.each([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf])('refuses the unknown opcode %i', (opcode) => {
        expectBadFrame(receiver, [rawFrom(sender, { opcode, payload: Buffer.from('abc') })], CLOSE_PROTOCOL_ERROR, new RegExp(`unknown opcode ${opcode}\\b`));
      });

      it('refuses a fragmented control frame', () => {
        for (const opcode of [OPCODE_PING, OPCODE_PONG, OPCODE_CLOSE]) {
          expectBadFrame(receiver, [rawFrom(sender, { fin: false, opcode, payload: Buffer.from('ab') })], CLOSE_PROTOCOL_ERROR, /fragmented control frame/);
        }
      });

      it('refuses a control frame over 125 bytes, in the 16-bit and the 64-bit length forms; takes 125', () => {
        for (const opcode of [OPCODE_PING, OPCODE_PONG, OPCODE_CLOSE]) {
          expectBadFrame(receiver, [rawFrom(sender, { opcode, payload: Buffer.alloc(126) })], CLOSE_PROTOCOL_ERROR, /control frame of 126 bytes/);
          expectBadFrame(receiver, [rawFrom(sender, { opcode, payload: Buffer.alloc(200), form: 64 })], CLOSE_PROTOCOL_ERROR, /control frame of 200 bytes/);
          // Before its payload arrives.
          expectBadFrame(receiver, [rawFrom(sender, { opcode, length: 0xffff })], CLOSE_PROTOCOL_ERROR, /control frame of 65535 bytes/);
        }
        const ok = read(receiver, [rawFrom(sender, { opcode: OPCODE_PING, payload: Buffer.alloc(125, 7) })]);
        expect(ok.error).toBeUndefined();
        expect(ok.events).toEqual([{ kind: 'control', opcode: OPCODE_PING, payload: Buffer.alloc(125, 7) }]);
      });

      it('refuses a continuation outside a fragmented message: first, and after a finished message', () => {
        expectBadFrame(receiver, [rawFrom(sender, { opcode: OPCODE_CONTINUATION, payload: Buffer.from('x') })], CLOSE_PROTOCOL_ERROR, /continuation frame outside a fragmented message/);
        expectBadFrame(receiver, [rawFrom(sender, { fin: false, opcode: OPCODE_CONTINUATION, payload: Buffer.from('x') })], CLOSE_PROTOCOL_ERROR, /continuation frame outside/);
        const result = expectBadFrame(
          receiver,
          [Buffer.concat([rawFrom(sender, { fin: false, opcode: OPCODE_BINARY, payload: Buffer.from('a') }), rawFrom(sender, { opcode: OPCODE_CONTINUATION, payload: Buffer.from('b') }), rawFrom(sender, { opcode: OPCODE_CONTINUATION, payload: Buffer.from('c') })])],
          CLOSE_PROTOCOL_ERROR,
          /continuation frame outside/,
        );
        expect(result.data.toString()).toBe('ab');
      });

      it('refuses a new text or binary message inside a fragmented one', () => {
        for (const [first, second] of [
          [OPCODE_TEXT, OPCODE_TEXT],
          [OPCODE_TEXT, OPCODE_BINARY],
          [OPCODE_BINARY, OPCODE_BINARY],
          [OPCODE_BINARY, OPCODE_TEXT],
        ] as const) {
          for (const fin of [true, false]) {
            const stream = Buffer.concat([rawFrom(sender, { fin: false, opcode: first, payload: Buffer.from('a') }), rawFrom(sender, { fin, opcode: second, payload: Buffer.from('b') })]);
            const result = expectBadFrame(receiver, [stream], CLOSE_PROTOCOL_ERROR, /new message inside a fragmented one/);
            expect(result.data.toString()).toBe('a');
          }
        }
      });

      it('refuses a frame longer than maxFramePayload with 1009, before its payload; takes one of exactly the maximum', () => {
        expectBadFrame(receiver, [rawFrom(sender, { opcode: OPCODE_BINARY, payload: Buffer.alloc(101) })], CLOSE_TOO_BIG, /frame of 101 bytes \(at most 100\)/, 100);
        expectBadFrame(receiver, [rawFrom(sender, { opcode: OPCODE_BINARY, length: 1 << 20 })], CLOSE_TOO_BIG, /frame of 1048576 bytes \(at most 65536\)/, 65536);
        expectBadFrame(receiver, [rawFrom(sender, { opcode: OPCODE_BINARY, length: 2 ** 53 - 1 })], CLOSE_TOO_BIG, /frame of 9007199254740991 bytes/, 1 << 20);
        expectBadFrame(receiver, [rawFrom(sender, { fin: false, opcode: OPCODE_TEXT, payload: Buffer.from('ok') }), rawFrom(sender, { opcode: OPCODE_CONTINUATION, payload: Buffer.alloc(11) })], CLOSE_TOO_BIG, /frame of 11 bytes/, 10);
        expectBadFrame(receiver, [rawFrom(sender, { opcode: OPCODE_BINARY, payload: Buffer.alloc(1) })], CLOSE_TOO_BIG, /frame of 1 bytes \(at most 0\)/, 0);
        const ok = read(receiver, [rawFrom(sender, { opcode: OPCODE_BINARY, payload: Buffer.alloc(100, 1) })], 100);
        expect(ok.error).toBeUndefined();
        expect(ok.data).toEqual(Buffer.alloc(100, 1));
        // The bound is per frame: a message of two 100-byte frames is fine.
        const two = read(receiver, [rawFrom(sender, { fin: false, opcode: OPCODE_BINARY, payload: Buffer.alloc(100) }), rawFrom(sender, { opcode: OPCODE_CONTINUATION, payload: Buffer.alloc(100) })], 100);
        expect(two.error).toBeUndefined();
        expect(two.data.length).toBe(200);
      });

      it('refuses a 64-bit length of 2^53 or more with 1009, whatever the bound', () => {
        for (const length of [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
          expectBadFrame(receiver, [rawFrom(sender, { opcode: OPCODE_BINARY, length })], CLOSE_TOO_BIG, /2\^53/, Number.POSITIVE_INFINITY);
        }
      });

      it('takes a 64-bit length of 2^53 − 1 when the bound allows it, and streams its payload', () => {
        const head = rawFrom(sender, { opcode: OPCODE_BINARY, length: 2 ** 53 - 1 });
        const body = Buffer.from('the start of a very long frame');
        const masked = Buffer.from(body);
        if (sender === 'client') applyMask(masked, head.subarray(head.length - 4));
        const result = read(receiver, [head, masked], Number.POSITIVE_INFINITY);
        expect(result.error).toBeUndefined();
        expect(result.data).toEqual(body);
      });

      it('finds each error however the header is cut, and hands out the data before it', () => {
        const good = rawFrom(sender, { opcode: OPCODE_BINARY, payload: Buffer.from('good') });
        const bad = [
          [rawFrom(sender, { rsv: 0x40, opcode: OPCODE_BINARY }), CLOSE_PROTOCOL_ERROR, /extension bits/],
          [rawFrom(sender, { opcode: 0x3, payload: Buffer.from('zz') }), CLOSE_PROTOCOL_ERROR, /unknown opcode 3/],
          [rawFrom(sender, { fin: false, opcode: OPCODE_PING }), CLOSE_PROTOCOL_ERROR, /fragmented control/],
          [rawFrom(sender, { opcode: OPCODE_CONTINUATION, payload: Buffer.from('zz') }), CLOSE_PROTOCOL_ERROR, /continuation/],
          [rawFrom(sender, { opcode: OPCODE_BINARY, length: 70000, form: 64 }), CLOSE_TOO_BIG, /frame of 70000 bytes/],
          [rawFrom(sender, { opcode: OPCODE_BINARY, length: 2n ** 60n }), CLOSE_TOO_BIG, /2\^53/],
        ] as const;
        for (const [frame, closeCode, cause] of bad) {
          const stream = Buffer.concat([good, frame]);
          const whole = expectBadFrame(receiver, [stream], closeCode, cause, 65536);
          expect(whole.data.toString()).toBe('good');
          expect(expectBadFrame(receiver, oneByteChunks(stream), closeCode, cause, 65536).data.toString()).toBe('good');
          for (const chunks of everyCutInTwo(stream)) expect(expectBadFrame(receiver, chunks, closeCode, cause, 65536).data.toString()).toBe('good');
        }
      });
    });
  }

  it('a server reader refuses an unmasked frame (the client must mask), data and control alike', () => {
    expectBadFrame('server', [encodeFrame(OPCODE_BINARY, Buffer.from('x'), 'server')], CLOSE_PROTOCOL_ERROR, /unmasked frame from the client/);
    expectBadFrame('server', [encodeFrame(OPCODE_PING, Buffer.alloc(0), 'server')], CLOSE_PROTOCOL_ERROR, /unmasked/);
    expectBadFrame('server', [encodeFrameHeader(OPCODE_BINARY, 70000)], CLOSE_PROTOCOL_ERROR, /unmasked/);
    // After a good frame, with its data handed out first.
    const result = expectBadFrame('server', [Buffer.concat([encodeFrame(OPCODE_BINARY, Buffer.from('ok'), 'client'), encodeFrame(OPCODE_BINARY, Buffer.from('x'), 'server')])], CLOSE_PROTOCOL_ERROR, /unmasked/);
    expect(result.data.toString()).toBe('ok');
  });

  it('a client reader refuses a masked frame (the server must not mask), data and control alike', () => {
    expectBadFrame('client', [encodeFrame(OPCODE_BINARY, Buffer.from('x'), 'client')], CLOSE_PROTOCOL_ERROR, /masked frame from the server/);
    expectBadFrame('client', [encodeFrame(OPCODE_CLOSE, closePayload(1000), 'client')], CLOSE_PROTOCOL_ERROR, /masked frame from the server/);
    expectBadFrame('client', [encodeFrame(OPCODE_BINARY, Buffer.alloc(70000), 'client').subarray(0, 2)], CLOSE_PROTOCOL_ERROR, /masked frame from the server/);
  });

  it('reports errors as WebSocketProtocolError, a PortholeError with code PH_WEBSOCKET_BAD_FRAME', () => {
    const error = new WebSocketProtocolError('test');
    expect(error).toBeInstanceOf(PortholeError);
    expect(error).toMatchObject({ code: 'PH_WEBSOCKET_BAD_FRAME', closeCode: 1002, message: 'websocket: test' });
    expect(new WebSocketProtocolError('big', CLOSE_TOO_BIG).closeCode).toBe(1009);
  });
});

describe('fragmented messages', () => {
  for (const sender of ROLES) {
    const receiver = peerOf(sender);

    it(`${sender} → ${receiver}: text then continuations, then a binary message in two frames, then a whole one`, () => {
      const stream = Buffer.concat([
        rawFrom(sender, { fin: false, opcode: OPCODE_TEXT, payload: Buffer.from('one ') }),
        rawFrom(sender, { fin: false, opcode: OPCODE_CONTINUATION, payload: Buffer.from('two ') }),
        rawFrom(sender, { fin: false, opcode: OPCODE_CONTINUATION }),
        rawFrom(sender, { fin: true, opcode: OPCODE_CONTINUATION, payload: Buffer.from('three|') }),
        rawFrom(sender, { fin: false, opcode: OPCODE_BINARY, payload: Buffer.alloc(300, 0x61) }),
        rawFrom(sender, { fin: true, opcode: OPCODE_CONTINUATION, payload: Buffer.from('|end') }),
        encodeFrame(OPCODE_TEXT, Buffer.from('|whole'), sender),
        rawFrom(sender, { fin: false, opcode: OPCODE_BINARY }),
        rawFrom(sender, { fin: true, opcode: OPCODE_CONTINUATION }),
        encodeFrame(OPCODE_BINARY, Buffer.from('|last'), sender),
      ]);
      const expected = `one two three|${'a'.repeat(300)}|end|whole|last`;
      expect(read(receiver, [stream]).error).toBeUndefined();
      expect(read(receiver, [stream]).data.toString()).toBe(expected);
      expect(read(receiver, oneByteChunks(stream)).data.toString()).toBe(expected);
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 20 }), (offsets) => {
          const result = read(receiver, splitAt(stream, offsets));
          expect(result.error).toBeUndefined();
          expect(result.data.toString()).toBe(expected);
        }),
        { numRuns: 100 },
      );
    });
  }

  it('after a fragmented message ends, a continuation is refused again', () => {
    const stream = Buffer.concat([
      rawFrom('client', { fin: false, opcode: OPCODE_BINARY, payload: Buffer.from('a') }),
      rawFrom('client', { fin: true, opcode: OPCODE_CONTINUATION, payload: Buffer.from('b') }),
      encodeFrame(OPCODE_CONTINUATION, Buffer.from('c'), 'client'),
    ]);
    expect(expectBadFrame('server', [stream], CLOSE_PROTOCOL_ERROR, /continuation frame outside/).data.toString()).toBe('ab');
  });

  it('a fragmented message left open by a control frame stays open', () => {
    const stream = Buffer.concat([
      rawFrom('server', { fin: false, opcode: OPCODE_BINARY, payload: Buffer.from('a') }),
      rawFrom('server', { opcode: OPCODE_PING }),
      rawFrom('server', { opcode: OPCODE_BINARY, payload: Buffer.from('b') }),
    ]);
    expectBadFrame('client', [stream], CLOSE_PROTOCOL_ERROR, /new message inside a fragmented one/);
  });
});
