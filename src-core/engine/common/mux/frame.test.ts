import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BugError, hasErrorCode } from '../errors.js';
import { AddressType } from './address.js';
import { CONTROL_DOMAIN, MAX_FRAME_DATA, MAX_STREAM_DATA, PORTHOLE_STREAM_DATA } from './consts.js';
import {
  type FrameMetadata,
  type MuxFrame,
  FrameOption,
  FrameStatus,
  TargetNetwork,
  type MuxTarget,
  dataFramePieces,
  decodeFrameMetadata,
  encodeDataFrames,
  encodeFrame,
  encodeFrameHeader,
  packDataFrames,
} from './frame.js';
import { FrameReader } from './reader.js';
import { describeFrame, loadCaptures } from './testdata/captures.js';
import { GO_FRAME_TEST, GO_MUX_TEST, arbitraryFrame, wire } from './testdata/vectors.js';

/** Parses `bytes` completely; fails the test on an error or leftovers. */
function parseAll(bytes: Buffer): MuxFrame[] {
  const reader = new FrameReader();
  const { frames, error } = reader.push(bytes);
  expect(error).toBeUndefined();
  expect(reader.finish()).toBeUndefined();
  return frames;
}

function parseOne(bytes: Buffer): MuxFrame {
  const frames = parseAll(bytes);
  expect(frames).toHaveLength(1);
  const [frame] = frames;
  if (!frame) throw new Error('no frame');
  return frame;
}

describe('fixed vectors from the wire doc', () => {
  it('§4.2 New + Data, TCP example.com:443', () => {
    const bytes = wire('0014 0001 01 01 01 01bb 02 0b "example.com" 0005 "hello"');
    const frame: MuxFrame = {
      meta: {
        sessionId: 1,
        status: FrameStatus.New,
        option: FrameOption.Data,
        target: { network: TargetNetwork.TCP, address: { type: AddressType.Domain, host: 'example.com' }, port: 443 },
      },
      data: Buffer.from('hello'),
    };
    expect(parseOne(bytes)).toEqual(frame);
    expect(encodeFrame(frame.meta, frame.data)).toEqual(bytes);
  });

  it('§4.2 End + Error for session 2', () => {
    const bytes = wire('0004 0002 03 02');
    const meta: FrameMetadata = { sessionId: 2, status: FrameStatus.End, option: FrameOption.Error };
    expect(parseOne(bytes)).toEqual({ meta });
    expect(encodeFrame(meta)).toEqual(bytes);
  });

  it('§5.2 portal session metadata 0002 01 01 01 4e22 01 7f000001 + "hello"', () => {
    const metadata = wire('0002 01 01 01 4e22 01 7f000001');
    const meta: FrameMetadata = {
      sessionId: 2,
      status: FrameStatus.New,
      option: FrameOption.Data,
      target: { network: TargetNetwork.TCP, address: { type: AddressType.IPv4, host: '127.0.0.1' }, port: 20002 },
    };
    expect(decodeFrameMetadata(metadata)).toEqual(meta);
    expect(encodeFrame(meta, Buffer.from('hello'))).toEqual(wire('000c 0002 01 01 01 4e22 01 7f000001 0005 "hello"'));
  });

  it('§5.3 control New metadata', () => {
    const bytes = wire('0023 0001 01 01 02 0000 02 1a "reverse.internal.v2ray.com" 0000');
    const meta: FrameMetadata = {
      sessionId: 1,
      status: FrameStatus.New,
      option: FrameOption.Data,
      target: { network: TargetNetwork.UDP, address: { type: AddressType.Domain, host: CONTROL_DOMAIN }, port: 0 },
    };
    expect(parseOne(bytes)).toEqual({ meta, data: Buffer.alloc(0) });
    expect(encodeFrame(meta, Buffer.alloc(0))).toEqual(bytes);
  });
});

describe('fixed vectors from v2ray-core v4.34.0 tests', () => {
  it('mux_test.go TestReaderWriter: the writers\' stream parses to the expected frames and re-encodes', () => {
    expect(parseAll(GO_MUX_TEST.stream)).toEqual(GO_MUX_TEST.frames);
    expect(Buffer.concat(GO_MUX_TEST.frames.map((f) => encodeFrame(f.meta, f.data)))).toEqual(GO_MUX_TEST.stream);
  });

  it('frame_test.go BenchmarkFrameWrite: New tcp:www.v2ray.com:80', () => {
    expect(encodeFrameHeader(GO_FRAME_TEST.meta)).toEqual(GO_FRAME_TEST.bytes);
    expect(parseOne(GO_FRAME_TEST.bytes)).toEqual({ meta: GO_FRAME_TEST.meta });
  });
});

describe('fixed vectors captured from v2ray 4.34 (testdata/v2ray-4.34-captures.json)', () => {
  const captures = loadCaptures();
  const streams = [captures.portal, ...(captures.bridge ? [captures.bridge] : [])];

  for (const stream of streams) {
    for (const captured of stream.frames) {
      it(`${stream.description.split(' (')[0]}: ${captured.name}`, () => {
        const bytes = Buffer.from(captured.hex, 'hex');
        const frame = parseOne(bytes);
        expect(describeFrame(frame)).toEqual(captured.expected);
        expect(encodeFrame(frame.meta, frame.data)).toEqual(bytes);
      });
    }

    it(`${stream.description.split(' (')[0]}: the whole stream re-encodes byte for byte`, () => {
      const bytes = Buffer.from(stream.streamHex, 'hex');
      const frames = parseAll(bytes);
      expect(Buffer.concat(frames.map((f) => encodeFrame(f.meta, f.data)))).toEqual(bytes);
    });
  }

  it('the portal stream has the shape 4.34 produces', () => {
    const frames = parseAll(Buffer.from(captures.portal.streamHex, 'hex'));
    // IDs count up from 1 per link; bare News leave on their own 100 ms timers, so not in order.
    const ids = frames.filter((f) => f.meta.status === FrameStatus.New).map((f) => f.meta.sessionId).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    expect(ids.length).toBeGreaterThan(256);
  });
});

describe('round trip', () => {
  it('encodeFrame → FrameReader gives the frame back, for every status, option, network and address type', () => {
    fc.assert(
      fc.property(arbitraryFrame, (frame) => {
        expect(parseOne(encodeFrame(frame.meta, frame.data))).toEqual(frame);
      }),
      { numRuns: 500 },
    );
  });

  it('encodeFrameHeader + data equals encodeFrame', () => {
    fc.assert(
      fc.property(arbitraryFrame, (frame) => {
        const header = encodeFrameHeader(frame.meta, frame.data?.length);
        expect(Buffer.concat([header, frame.data ?? Buffer.alloc(0)])).toEqual(encodeFrame(frame.meta, frame.data));
      }),
    );
  });

  it('decodeFrameMetadata reads what encodeFrameHeader wrote', () => {
    fc.assert(
      fc.property(arbitraryFrame, ({ meta }) => {
        const header = encodeFrameHeader(meta);
        expect(decodeFrameMetadata(header.subarray(2))).toEqual({ ...meta, option: meta.option & ~FrameOption.Data });
      }),
    );
  });

  it('carries a 65535-byte data field (what a 4.34 stream reader accepts)', () => {
    const data = Buffer.alloc(0xffff, 7);
    const meta: FrameMetadata = { sessionId: 9, status: FrameStatus.Keep, option: FrameOption.Data };
    expect(parseOne(encodeFrame(meta, data))).toEqual({ meta, data });
  });
});

describe('encodeFrameHeader', () => {
  it('takes the Data bit from dataLength, keeping the other bits', () => {
    const meta: FrameMetadata = { sessionId: 5, status: FrameStatus.Keep, option: 0xf1 };
    expect(encodeFrameHeader(meta).toString('hex')).toBe('00040005' + '02f0');
    expect(encodeFrameHeader({ ...meta, option: 0 }, 3).toString('hex')).toBe('00040005' + '0201' + '0003');
  });

  it.each([
    ['a session ID above 65535', { sessionId: 65536, status: FrameStatus.End, option: 0 }, undefined],
    ['a negative session ID', { sessionId: -1, status: FrameStatus.End, option: 0 }, undefined],
    ['an option above 255', { sessionId: 1, status: FrameStatus.End, option: 256 }, undefined],
    ['a data length above 65535', { sessionId: 1, status: FrameStatus.Keep, option: 0 }, 65536],
    ['a port above 65535', { sessionId: 1, status: FrameStatus.New, option: 0, target: { network: TargetNetwork.TCP, address: { type: AddressType.IPv4, host: '1.2.3.4' }, port: 70000 } }, undefined],
    ['an unknown network', { sessionId: 1, status: FrameStatus.New, option: 0, target: { network: 3 as TargetNetwork, address: { type: AddressType.IPv4, host: '1.2.3.4' }, port: 1 } }, undefined],
  ] as Array<[string, FrameMetadata, number | undefined]>)('throws BugError for %s', (_what, meta, dataLength) => {
    expect(() => encodeFrameHeader(meta, dataLength)).toThrow(BugError);
  });

  it('throws PortholeError PH_MUX_BAD_FRAME for a target a 4.34 peer would reject', () => {
    const meta: FrameMetadata = {
      sessionId: 1,
      status: FrameStatus.New,
      option: 0,
      target: { network: TargetNetwork.TCP, address: { type: AddressType.Domain, host: 'no spaces.example' }, port: 80 },
    };
    let caught: unknown;
    try {
      encodeFrameHeader(meta);
    } catch (error) {
      caught = error;
    }
    expect(hasErrorCode(caught, 'PH_MUX_BAD_FRAME')).toBe(true);
  });
});

describe('encodeDataFrames', () => {
  const target = { network: TargetNetwork.TCP, address: { type: AddressType.Domain, host: 'example.com' }, port: 443 } as const;

  it('splits into 8192-byte frames without copying: New first, then Keep', () => {
    const payload = Buffer.alloc(20_000);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    const parts = encodeDataFrames(3, FrameStatus.New, payload, target);
    expect(parts).toHaveLength(6);
    const views = [parts[1], parts[3], parts[5]];
    expect(views.map((v) => v?.length)).toEqual([MAX_STREAM_DATA, MAX_STREAM_DATA, 20_000 - 2 * MAX_STREAM_DATA]);
    views.forEach((view, i) => {
      expect(view?.buffer).toBe(payload.buffer);
      expect(view?.byteOffset).toBe(payload.byteOffset + i * MAX_STREAM_DATA);
    });
    const frames = parseAll(Buffer.concat(parts));
    expect(frames.map((f) => f.meta.status)).toEqual([FrameStatus.New, FrameStatus.Keep, FrameStatus.Keep]);
    expect(frames.every((f) => f.meta.sessionId === 3)).toBe(true);
    expect(Buffer.concat(frames.map((f) => f.data ?? Buffer.alloc(0)))).toEqual(payload);
  });

  it('keeps the status for Keep payloads and gives exactly one frame at 8192 bytes', () => {
    const parts = encodeDataFrames(4, FrameStatus.Keep, Buffer.alloc(MAX_STREAM_DATA));
    expect(parts).toHaveLength(2);
    expect(parts[0]?.toString('hex')).toBe('0004000402012000');
  });

  it('sends one frame without the Data bit for an empty payload, as writeMetaOnly does', () => {
    expect(encodeDataFrames(2, FrameStatus.New, Buffer.alloc(0), target).map((b) => b.toString('hex'))).toEqual([
      wire('0014 0002 01 00 01 01bb 02 0b "example.com"').toString('hex'),
    ]);
    expect(encodeDataFrames(2, FrameStatus.Keep, Buffer.alloc(0)).map((b) => b.toString('hex'))).toEqual(['000400020200']);
  });

  it('needs a target for New', () => {
    expect(() => encodeDataFrames(1, FrameStatus.New, Buffer.from('x'))).toThrow(BugError);
  });
});

describe('packDataFrames', () => {
  const target = { network: TargetNetwork.TCP, address: { type: AddressType.Domain, host: 'example.com' }, port: 443 } as const;
  const payloadOf = (length: number): Buffer => {
    const payload = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) payload[i] = (i * 7) & 0xff;
    return payload;
  };

  it('at 8192 bytes per frame, gives exactly the bytes of encodeDataFrames, joined', () => {
    for (const length of [1, 8191, 8192, 8193, 20_000, 65_536]) {
      const payload = payloadOf(length);
      expect(packDataFrames(3, payload, MAX_STREAM_DATA, target).equals(Buffer.concat(encodeDataFrames(3, FrameStatus.New, payload, target)))).toBe(true);
      expect(packDataFrames(3, payload, MAX_STREAM_DATA).equals(Buffer.concat(encodeDataFrames(3, FrameStatus.Keep, payload)))).toBe(true);
    }
  });

  it('round trip at any frame limit: New first, then Keep, every frame within the limit, payload intact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70_000 }), fc.integer({ min: 256, max: MAX_FRAME_DATA }), fc.boolean(), (length, limit, isNew) => {
        const payload = payloadOf(length);
        const frames = parseAll(packDataFrames(9, payload, limit, isNew ? target : undefined));
        expect(frames).toHaveLength(Math.ceil(length / limit));
        expect(frames.map((f) => f.meta.status)).toEqual(frames.map((_, i) => (i === 0 && isNew ? FrameStatus.New : FrameStatus.Keep)));
        expect(frames.every((f) => f.meta.sessionId === 9 && (f.data?.length ?? 0) <= limit)).toBe(true);
        expect(Buffer.concat(frames.map((f) => f.data ?? Buffer.alloc(0))).equals(payload)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('copies the payload: the frames do not change when the caller reuses it', () => {
    const payload = payloadOf(PORTHOLE_STREAM_DATA + 10);
    const packed = packDataFrames(2, payload, PORTHOLE_STREAM_DATA);
    const expected = Buffer.from(packed);
    payload.fill(0);
    expect(packed.equals(expected)).toBe(true);
  });

  it('gives one frame without the Data bit for an empty payload, and rejects a limit outside 1…65535', () => {
    expect(packDataFrames(2, Buffer.alloc(0), MAX_STREAM_DATA).toString('hex')).toBe('000400020200');
    expect(() => packDataFrames(2, Buffer.from('x'), 0)).toThrow(BugError);
    expect(() => packDataFrames(2, Buffer.from('x'), MAX_FRAME_DATA + 1)).toThrow(BugError);
  });
});

describe('packDataFrames from pieces', () => {
  it('frames a payload given in pieces exactly as the joined payload, wherever the pieces split', () => {
    const target: MuxTarget = { network: TargetNetwork.TCP, address: { type: AddressType.IPv4, host: '127.0.0.1' }, port: 80 };
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff));
    for (const cuts of [[0], [1], [8191, 8192, 8193], [100, 100, 40_000], [69_999], [0, 0, 35_000, 70_000]]) {
      const pieces: Buffer[] = [];
      let from = 0;
      for (const cut of [...cuts, payload.length]) {
        pieces.push(payload.subarray(from, Math.max(from, cut)));
        from = Math.max(from, cut);
      }
      for (const limit of [MAX_STREAM_DATA, PORTHOLE_STREAM_DATA, 1000]) {
        expect(packDataFrames(4, pieces, limit, target).equals(packDataFrames(4, payload, limit, target))).toBe(true);
        expect(packDataFrames(4, pieces, limit).equals(packDataFrames(4, payload, limit))).toBe(true);
      }
    }
    expect(packDataFrames(4, [Buffer.alloc(0), Buffer.alloc(0)], MAX_STREAM_DATA).toString('hex')).toBe('000400040200');
  });
});

describe('dataFramePieces', () => {
  const target: MuxTarget = { network: TargetNetwork.TCP, address: { type: AddressType.Domain, host: 'example.com' }, port: 443 };
  const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 13) & 0xff));
  const split = (cuts: number[]): Buffer[] => {
    const pieces: Buffer[] = [];
    let from = 0;
    for (const cut of [...cuts, payload.length]) {
      pieces.push(payload.subarray(from, Math.max(from, cut)));
      from = Math.max(from, cut);
    }
    return pieces;
  };

  it('joined, gives exactly the bytes of packDataFrames, wherever the payload splits', () => {
    for (const cuts of [[], [1], [8191, 8192, 8193], [100, 100, 40_000], [69_999], [0, 0, 35_000, 70_000]]) {
      const pieces = split(cuts);
      for (const limit of [MAX_STREAM_DATA, PORTHOLE_STREAM_DATA, 1000]) {
        expect(Buffer.concat(dataFramePieces(4, pieces, limit, target)).equals(packDataFrames(4, payload, limit, target))).toBe(true);
        expect(Buffer.concat(dataFramePieces(4, pieces, limit)).equals(packDataFrames(4, payload, limit))).toBe(true);
      }
    }
    expect(Buffer.concat(dataFramePieces(4, [Buffer.alloc(0)], MAX_STREAM_DATA)).toString('hex')).toBe('000400040200');
  });

  it('does not copy the payload: its pieces are views of the caller\'s buffers', () => {
    const pieces = split([50_000]);
    const frames = dataFramePieces(2, pieces, PORTHOLE_STREAM_DATA);
    const payloadViews = frames.filter((frame) => frame.buffer === payload.buffer);
    expect(payloadViews.reduce((sum, view) => sum + view.length, 0)).toBe(payload.length);
    // Headers only besides them: 1 + 2 frames' worth of 8 bytes.
    expect(frames.filter((frame) => frame.buffer !== payload.buffer).map((frame) => frame.length)).toEqual([8, 8, 8]);
  });

  it('rejects a frame limit outside 1…65535', () => {
    expect(() => dataFramePieces(2, [Buffer.from('x')], 0)).toThrow(BugError);
    expect(() => dataFramePieces(2, [Buffer.from('x')], MAX_FRAME_DATA + 1)).toThrow(BugError);
  });
});
