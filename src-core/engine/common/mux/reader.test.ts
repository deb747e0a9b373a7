import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortholeError } from '../errors.js';
import { MAX_PACKET_DATA } from './consts.js';
import { type MuxFrame, FrameStatus, encodeFrame } from './frame.js';
import { type FrameReaderOptions, type PushResult, FrameReader, ReaderState } from './reader.js';
import { loadCaptures } from './testdata/captures.js';
import { GO_MUX_TEST, arbitraryFrame, wire } from './testdata/vectors.js';
import { splitAt } from '../../../../test/support/data.js';

const captures = loadCaptures();

/** The first `count` frames of a captured stream, as v2ray wrote them. */
function capturedPrefix(hex: string, count: number): Buffer {
  const bytes = Buffer.from(hex, 'hex');
  const frames = new FrameReader().push(bytes).frames.slice(0, count);
  return bytes.subarray(0, frames.reduce((n, f) => n + encodeFrame(f.meta, f.data).length, 0));
}

/** Many frames of every kind: v2ray's own streams, the Go test stream and the wire-doc examples. */
const SAMPLE = Buffer.concat([
  capturedPrefix(captures.portal.streamHex, 12),
  Buffer.from(captures.bridge?.streamHex ?? '', 'hex'),
  GO_MUX_TEST.stream,
  wire('0014 0001 01 01 01 01bb 02 0b "example.com" 0005 "hello"'),
  wire('0004 0002 03 02'),
  wire('000c 0002 01 01 01 4e22 01 7f000001 0005 "hello"'),
  wire('0004 0007 04 01 0003 "abc"'),
  wire('000a 0007 02 01 "extra!" 0002 "hi"'),
]);

interface Outcome {
  readonly frames: MuxFrame[];
  readonly error?: string;
  readonly finish?: string;
}

/** Feeds `chunks` one push at a time; whatever happens, only PortholeErrors may come out. */
function feed(chunks: readonly Buffer[], options?: FrameReaderOptions): Outcome {
  const reader = new FrameReader(options);
  const frames: MuxFrame[] = [];
  let error: PortholeError | undefined;
  for (const chunk of chunks) {
    const result: PushResult = reader.push(chunk);
    frames.push(...result.frames);
    if (result.error) {
      error = result.error;
      break;
    }
  }
  const end = reader.finish();
  for (const e of [error, end]) {
    if (e !== undefined) {
      expect(e).toBeInstanceOf(PortholeError);
      expect(e.code).toBe('PH_MUX_BAD_FRAME');
    }
  }
  return {
    frames,
    ...(error ? { error: error.message } : {}),
    ...(end && !error ? { finish: end.message } : {}),
  };
}

describe('chunking', () => {
  const whole = feed([SAMPLE]);

  it('parses the sample stream whole, without errors', () => {
    expect(whole.error).toBeUndefined();
    expect(whole.finish).toBeUndefined();
    expect(whole.frames.length).toBeGreaterThan(20);
    expect(Buffer.concat(whole.frames.map((f) => encodeFrame(f.meta, f.data)))).toEqual(
      Buffer.concat([SAMPLE.subarray(0, SAMPLE.length - 16), wire('0004 0007 02 01 0002 "hi"')]),
    );
  });

  it('gives the same frames when split in two at every byte boundary', () => {
    for (let cut = 0; cut <= SAMPLE.length; cut++) {
      expect(feed([SAMPLE.subarray(0, cut), SAMPLE.subarray(cut)])).toEqual(whole);
    }
  });

  it('gives the same frames fed one byte at a time', () => {
    const bytes = Array.from({ length: SAMPLE.length }, (_, i) => SAMPLE.subarray(i, i + 1));
    expect(feed(bytes)).toEqual(whole);
  });

  it('gives the same frames for random splits', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (offsets) => {
        expect(feed(splitAt(SAMPLE, offsets))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same frames for random frame sequences in random splits', () => {
    fc.assert(
      fc.property(fc.array(arbitraryFrame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, offsets) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.meta, f.data)));
        expect(feed(splitAt(bytes, offsets))).toEqual({ frames });
      }),
      { numRuns: 300 },
    );
  });

  it('hands out data as a view of the chunk when it lies in one, and as a copy when it spans two', () => {
    const bytes = wire('0004 0009 02 01 0005 "hello"');
    const inOne = new FrameReader().push(bytes).frames[0]?.data;
    expect(inOne?.buffer).toBe(bytes.buffer);
    expect(inOne?.byteOffset).toBe(bytes.byteOffset + 8);

    const reader = new FrameReader();
    const first = Buffer.from(bytes.subarray(0, 10));
    expect(reader.push(first).frames).toEqual([]);
    const spanning = reader.push(Buffer.from(bytes.subarray(10))).frames[0]?.data;
    first.fill(0);
    expect(spanning?.toString()).toBe('hello');
  });

  it('parses a frame with an empty data part, alone in a read and after other frames', () => {
    const empty = wire('0004 0007 02 01 0000');
    const alone = new FrameReader().push(empty);
    expect(alone.error).toBeUndefined();
    expect(alone.frames.map((frame) => frame.data?.length)).toEqual([0]);
    const reader = new FrameReader();
    const mixed = reader.push(Buffer.concat([wire('0004 0007 02 01 0003 "abc"'), empty, empty]));
    expect(mixed.frames.map((frame) => frame.data?.toString())).toEqual(['abc', '', '']);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('pull mode (append + read) yields frame by frame, so a callback sees sessions opened earlier in the chunk', () => {
    const udpSessions = new Set<number>();
    const reader = new FrameReader({ isPacketSession: (meta) => udpSessions.has(meta.sessionId) });
    reader.append(
      Buffer.concat([
        wire('000c 0005 01 00 02 0035 01 08080808'),
        encodeFrame({ sessionId: 5, status: FrameStatus.Keep, option: 0 }, Buffer.alloc(MAX_PACKET_DATA + 1)),
      ]),
    );
    const first = reader.read();
    expect(first.kind).toBe('frame');
    if (first.kind === 'frame' && first.frame.meta.status === FrameStatus.New) udpSessions.add(first.frame.meta.sessionId);
    const second = reader.read();
    expect(second.kind).toBe('error');
    expect(reader.state).toBe(ReaderState.Failed);
  });
});

describe('truncated input', () => {
  it('stays pending on every proper prefix, and finish() reports a frame cut short', () => {
    // Every frame but the last (which has extra metadata bytes) re-encodes to its own length.
    const boundaries = new Set<number>([0, SAMPLE.length]);
    let at = 0;
    for (const frame of feed([SAMPLE]).frames.slice(0, -1)) {
      at += encodeFrame(frame.meta, frame.data).length;
      boundaries.add(at);
    }
    for (let cut = 0; cut < SAMPLE.length; cut++) {
      const reader = new FrameReader();
      const { error } = reader.push(SAMPLE.subarray(0, cut));
      expect(error).toBeUndefined();
      expect(reader.finish() === undefined).toBe(boundaries.has(cut));
    }
  });

  it('reports its state and buffered bytes while waiting', () => {
    const reader = new FrameReader();
    reader.push(wire('0014 0001 01'));
    expect(reader.state).toBe(ReaderState.Metadata);
    expect(reader.bufferedBytes).toBe(3);
    reader.push(wire('01 01 01bb 02 0b "example.com" 00'));
    expect(reader.state).toBe(ReaderState.DataLength);
    reader.push(wire('05 "hel"'));
    expect(reader.state).toBe(ReaderState.Data);
    expect(reader.push(wire('"lo"')).frames).toHaveLength(1);
    expect(reader.state).toBe(ReaderState.MetadataLength);
    expect(reader.bufferedBytes).toBe(0);
  });
});

describe('bad frames', () => {
  it.each([
    ['metadata length 513, as soon as the length arrives', '0201'],
    ['metadata length 65535', 'ffff'],
    ['metadata length 3', '0003 000102'],
    ['metadata length 0', '0000'],
    ['an unknown status 0x05', '0004 0001 05 00'],
    ['status 0x00', '0004 0001 00 01 0003 "abc"'],
    ['New with metadata length 7', '0007 0001 01 00 01 0050 01'],
    ['New with an unknown address type', '0009 0001 01 00 01 0050 04 0000'],
    ['New with an unknown network', '000c 0001 01 00 03 0050 01 7f000001'],
    ['New whose address runs past the metadata', '000b 0001 01 00 01 0050 01 7f000001'],
    ['New whose domain runs past the metadata', '000a 0001 01 00 01 0050 02 05 "ab"'],
    ['New with an empty domain', '0009 0001 01 00 01 0050 02 00 00'],
    ['New with an invalid domain', '000b 0001 01 00 01 0050 02 02 "a b"'],
    ['New + Data, UDP, 2049 bytes', `000c 0001 01 01 02 0035 01 08080808 0801 ${'00'.repeat(2049)}`],
  ])('rejects %s', (_what, hex) => {
    const outcome = feed([wire(hex)]);
    expect(outcome.error).toMatch(/^mux: bad frame: /);
    expect(outcome.frames).toEqual([]);
  });

  it('accepts the limits themselves: metadata length 512, UDP data 2048, stream data 65535', () => {
    const padded = Buffer.concat([wire('0200 0001 02 00'), Buffer.alloc(508)]);
    expect(feed([padded])).toEqual({ frames: [{ meta: { sessionId: 1, status: FrameStatus.Keep, option: 0 } }] });
    expect(feed([wire(`000c 0001 01 01 02 0035 01 08080808 0800 ${'00'.repeat(2048)}`)]).error).toBeUndefined();
    expect(feed([wire(`0004 0001 02 01 ffff ${'00'.repeat(0xffff)}`)]).error).toBeUndefined();
  });

  it('skips extra metadata bytes after the address, as 4.34 does', () => {
    const frames = feed([wire('000e 0001 01 00 01 0050 01 7f000001 cafe')]).frames;
    expect(frames).toEqual(feed([wire('000c 0001 01 00 01 0050 01 7f000001')]).frames);
  });

  it('applies the packet limit to Keep frames only when the caller says the session is UDP', () => {
    const keep = encodeFrame({ sessionId: 3, status: FrameStatus.Keep, option: 0 }, Buffer.alloc(3000));
    expect(feed([keep]).error).toBeUndefined();
    expect(feed([keep], { isPacketSession: (meta) => meta.sessionId === 3 }).error).toMatch(/packet size 3000 exceeds 2048/);
  });

  it('returns the frames before the error, then stays failed and drops its buffer', () => {
    const reader = new FrameReader();
    const result = reader.push(wire('0004 0001 03 00 0004 0001 09 00 0004 0002 03 00'));
    expect(result.frames).toHaveLength(1);
    expect(result.error?.code).toBe('PH_MUX_BAD_FRAME');
    expect(reader.state).toBe(ReaderState.Failed);
    expect(reader.bufferedBytes).toBe(0);
    const again = reader.push(wire('0004 0003 03 00'));
    expect(again).toEqual({ frames: [], error: result.error });
    expect(reader.read()).toEqual({ kind: 'error', error: result.error });
    expect(reader.finish()).toBe(result.error);
  });
});

describe('garbage and tampering', () => {
  it('random bytes in random splits never throw; errors are PortholeErrors, and splits do not change the outcome', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, offsets) => {
        const buffer = Buffer.from(bytes);
        expect(feed(splitAt(buffer, offsets))).toEqual(feed([buffer]));
      }),
      { numRuns: 1000 },
    );
  });

  it('a mutated valid stream never throws, and splits do not change the outcome', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (mutations, offsets) => {
        const bytes = [...SAMPLE];
        for (const { kind, at, value } of mutations) {
          const i = at % (bytes.length + 1);
          if (kind === 'flip' && i < bytes.length) bytes[i] = (bytes[i] ?? 0) ^ value;
          if (kind === 'insert') bytes.splice(i, 0, value);
          if (kind === 'delete') bytes.splice(i, 1);
        }
        const buffer = Buffer.from(bytes);
        expect(feed(splitAt(buffer, offsets))).toEqual(feed([buffer]));
      }),
      { numRuns: 500 },
    );
  });

  it('plausible frames with random metadata (random statuses, networks, address types, domains) never throw', () => {
    const plausible = fc
      .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.uint8Array({ minLength: 0, maxLength: 60 }), fc.uint8Array({ maxLength: 30 }))
      .map(([status, addressType, rest, data]) => {
        const metadata = Buffer.concat([Buffer.of(0, 1, status, data.length % 2), Buffer.of(rest[0] ?? 1, 0, 80, addressType), Buffer.from(rest)]);
        const head = Buffer.alloc(2);
        head.writeUInt16BE(metadata.length);
        const tail = data.length % 2 ? Buffer.concat([Buffer.of(0, data.length), Buffer.from(data)]) : Buffer.alloc(0);
        return Buffer.concat([head, metadata, tail]);
      });
    fc.assert(
      fc.property(fc.array(plausible, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, offsets) => {
        const buffer = Buffer.concat(frames);
        expect(feed(splitAt(buffer, offsets))).toEqual(feed([buffer]));
      }),
      { numRuns: 1000 },
    );
  });

  it('every single-byte flip in the header of a New frame either parses or fails with PH_MUX_BAD_FRAME', () => {
    const frame = wire('0014 0001 01 01 01 01bb 02 0b "example.com" 0005 "hello"');
    for (let i = 0; i < 24; i++) {
      for (const bit of [0x01, 0x80, 0xff]) {
        const bytes = Buffer.from(frame);
        bytes[i] = (bytes[i] ?? 0) ^ bit;
        const outcome = feed([bytes]);
        expect(outcome.error === undefined || outcome.error.startsWith('mux: bad frame: ')).toBe(true);
      }
    }
  });
});
