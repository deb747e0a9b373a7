/**
 * Fuzz targets for the WebSocket framing (transport/internet/websocket-frame.ts): the frame reader
 * every link byte passes through, on random bytes and on mutated encoder output. See targets.ts
 * for the table and the contract.
 *
 * Beyond "PH_WEBSOCKET_BAD_FRAME or nothing": the reader must agree with a reference parser
 * written here (whole-buffer, byte by byte, after RFC 6455 §5 and the reader's documented order of
 * checks) on the data bytes, the control frames and where and why it fails; splitting the stream
 * into pushes must change nothing; a data piece must not change after it was handed out.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import type { ErrorCode } from '../../engine/common/errors.js';
import {
  closePayload,
  encodeFrame,
  encodeFrameHeader,
  FrameReader,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
  parseClosePayload,
  WebSocketProtocolError,
  type WebSocketRole,
} from '../../engine/transport/internet/websocket-frame.js';
import {
  applyMutations,
  bulkBytesArbitrary,
  check,
  checkEqual,
  guard,
  mutationsArbitrary,
  noThrow,
  randomBytesArbitrary,
  splitArbitrary,
  splitBytes,
  type Mutation,
  type Split,
} from './bytes.js';
import { defineTarget, type FuzzTarget } from './target.js';

const BAD_FRAME: readonly ErrorCode[] = ['PH_WEBSOCKET_BAD_FRAME'];
const ROLES: readonly WebSocketRole[] = ['client', 'server'];

/** Why a stream was refused, and the close code that goes with it. */
type Cause = 'extension-bits' | 'masking' | 'length-2^53' | 'unknown-opcode' | 'fragmented-control' | 'long-control' | 'continuation' | 'new-message' | 'too-big';

/** The reader's messages, by cause (each must name its cause), with the close code each must carry. */
const CAUSES: readonly (readonly [Cause, RegExp, number])[] = [
  ['extension-bits', /extension bits/, 1002],
  ['masking', /unmasked frame from the client|masked frame from the server/, 1002],
  ['length-2^53', /2\^53/, 1009],
  ['unknown-opcode', /unknown opcode \d+/, 1002],
  ['fragmented-control', /fragmented control frame/, 1002],
  ['long-control', /control frame of \d+ bytes/, 1002],
  ['continuation', /continuation frame outside a fragmented message/, 1002],
  ['new-message', /new message inside a fragmented one/, 1002],
  ['too-big', /a frame of \d+ bytes \(at most \d+\)/, 1009],
];

type WsEvent = { readonly kind: 'data'; readonly bytes: Buffer } | { readonly kind: 'control'; readonly opcode: number; readonly payload: Buffer };

interface WsRun {
  /** Data bytes joined while no control frame comes between them; control frames whole. */
  readonly events: readonly WsEvent[];
  readonly error?: { readonly cause: Cause; readonly closeCode: number };
}

/** Collects events, joining data pieces that follow one another. */
class EventLog {
  private readonly runs: (Buffer[] | { opcode: number; payload: Buffer })[] = [];

  data(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const last = this.runs.at(-1);
    if (Array.isArray(last)) last.push(bytes);
    else this.runs.push([bytes]);
  }

  control(opcode: number, payload: Buffer): void {
    this.runs.push({ opcode, payload });
  }

  events(): WsEvent[] {
    return this.runs.map((run): WsEvent => (Array.isArray(run) ? { kind: 'data', bytes: Buffer.concat(run) } : { kind: 'control', ...run }));
  }
}

/** Feeds copies of `pieces` (the reader unmasks in place) to a fresh reader, checking its contract at every step. */
function runReader(role: WebSocketRole, maxFramePayload: number, pieces: readonly Buffer[]): WsRun {
  const log = new EventLog();
  const handedOut: { readonly view: Buffer; readonly copy: Buffer }[] = [];
  let pushed = 0;
  let received = 0;
  const reader = new FrameReader(role, maxFramePayload, {
    data(payload) {
      check(Buffer.isBuffer(payload), 'data() must get a Buffer');
      received += payload.length;
      check(received <= pushed, () => `data() handed out ${received} bytes of ${pushed} pushed`);
      const copy = Buffer.from(payload);
      handedOut.push({ view: payload, copy });
      log.data(copy);
    },
    control(opcode, payload) {
      check(opcode === OPCODE_CLOSE || opcode === OPCODE_PING || opcode === OPCODE_PONG, `control() with opcode ${opcode}`);
      check(Buffer.isBuffer(payload) && payload.length <= 125, () => `control() with a payload of ${payload.length} bytes`);
      received += payload.length;
      check(received <= pushed, () => `control() handed out ${received} bytes of ${pushed} pushed`);
      if (opcode === OPCODE_CLOSE) checkClose(payload);
      log.control(opcode, Buffer.from(payload));
    },
  });
  let error: WsRun['error'];
  for (const piece of pieces) {
    pushed += piece.length;
    const result = guard('FrameReader.push', BAD_FRAME, () => reader.push(Buffer.from(piece)));
    if (!result.ok) {
      check(result.error instanceof WebSocketProtocolError, 'FrameReader.push must throw a WebSocketProtocolError');
      const { message, closeCode } = result.error;
      const known = CAUSES.find(([, pattern]) => pattern.test(message));
      check(known !== undefined, `FrameReader.push threw "${message}", which names no known cause`);
      checkEqual(closeCode, known[2], `close code for "${message}"`);
      error = { cause: known[0], closeCode };
      break;
    }
  }
  for (const { view, copy } of handedOut) check(view.equals(copy), 'a data piece changed after it was handed out');
  return { events: log.events(), ...(error ? { error } : {}) };
}

/** A received close payload either parses to a valid code or is refused with PH_WEBSOCKET_BAD_FRAME. */
function checkClose(payload: Buffer): void {
  const parsed = guard('parseClosePayload', BAD_FRAME, () => parseClosePayload(Buffer.from(payload)));
  // RFC 6455 §7.4: the codes an endpoint may send (1004 is reserved, 1005, 1006 and 1015 never sent); §8.1: the reason is UTF-8.
  const valid = payload.length === 0 || (payload.length >= 2 && isSendableCloseCode(payload.readUInt16BE(0)) && isUtf8(payload.subarray(2)));
  checkEqual(parsed.ok, valid, `parseClosePayload's verdict on ${payload.subarray(0, 2).toString('hex')}… (${payload.length} bytes)`);
  if (!parsed.ok) return;
  const { code, reason } = parsed.value;
  if (payload.length === 0) {
    checkEqual(parsed.value, { code: 1005, reason: '' }, 'an empty close payload');
    return;
  }
  checkEqual(code, payload.readUInt16BE(0), 'close code');
  checkEqual(reason, payload.subarray(2).toString('utf8'), 'close reason');
  if (Buffer.byteLength(reason, 'utf8') <= 123) {
    const again = noThrow('parseClosePayload of closePayload of a parsed close', () => parseClosePayload(closePayload(code, reason)));
    checkEqual(again, parsed.value, 'close payload parsed → encoded → parsed');
  }
}

const isSendableCloseCode = (code: number): boolean => [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014].includes(code) || (code >= 3000 && code <= 4999);

const unmasked = (bytes: Buffer, key: Buffer | undefined): Buffer => Buffer.from(key ? bytes.map((byte, i) => byte ^ key[i % 4]!) : bytes);

/**
 * An independent reading of a whole stream, in the reader's order of checks: extension bits,
 * masking, the extended length (refusing 2^53 and more), then for a control frame its opcode, FIN
 * and length as soon as they are known, and for a data frame (once its masking key is in) its
 * opcode, its place in a fragmented message and its size. Data is handed out as far as it goes.
 */
export function referenceRead(bytes: Buffer, role: WebSocketRole, maxFramePayload: number): WsRun & { readonly end: 'clean' | 'cut' | 'error' } {
  const log = new EventLog();
  let at = 0;
  let fragmented = false;
  const stop = (end: 'clean' | 'cut') => ({ events: log.events(), end });
  const fail = (cause: Cause, closeCode = 1002) => ({ events: log.events(), end: 'error' as const, error: { cause, closeCode } });
  for (;;) {
    const left = bytes.length - at;
    if (left === 0) return stop('clean');
    if (left < 2) return stop('cut');
    const first = bytes[at]!;
    const second = bytes[at + 1]!;
    if ((first & 0x70) !== 0) return fail('extension-bits');
    const masked = second >= 0x80;
    if (masked !== (role === 'server')) return fail('masking');
    let length = second & 0x7f;
    let headerLength = 2;
    if (length === 126) {
      headerLength = 4;
      if (left < headerLength) return stop('cut');
      length = bytes.readUInt16BE(at + 2);
    } else if (length === 127) {
      headerLength = 10;
      if (left < headerLength) return stop('cut');
      const long = bytes.readBigUInt64BE(at + 2);
      if (long >= 2n ** 53n) return fail('length-2^53', 1009);
      length = Number(long);
    }
    const keyAt = at + headerLength;
    const payloadAt = keyAt + (masked ? 4 : 0);
    const fin = first >= 0x80;
    const opcode = first & 0x0f;
    if (opcode >= 8) {
      if (opcode !== OPCODE_CLOSE && opcode !== OPCODE_PING && opcode !== OPCODE_PONG) return fail('unknown-opcode');
      if (!fin) return fail('fragmented-control');
      if (length > 125) return fail('long-control');
      if (bytes.length < payloadAt + length) return stop('cut');
      log.control(opcode, unmasked(bytes.subarray(payloadAt, payloadAt + length), masked ? bytes.subarray(keyAt, payloadAt) : undefined));
      at = payloadAt + length;
      continue;
    }
    if (bytes.length < payloadAt) return stop('cut');
    if (opcode === OPCODE_CONTINUATION) {
      if (!fragmented) return fail('continuation');
    } else if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) {
      if (fragmented) return fail('new-message');
    } else return fail('unknown-opcode');
    if (length > maxFramePayload) return fail('too-big', 1009);
    fragmented = !fin;
    const end = Math.min(bytes.length, payloadAt + length);
    log.data(unmasked(bytes.subarray(payloadAt, end), masked ? bytes.subarray(keyAt, payloadAt) : undefined));
    if (end < payloadAt + length) return stop('cut');
    at = end;
  }
}

/** Reads `bytes` in one push and in `split`'s pieces; both must match the reference. Returns the outcome label. */
function readBothWays(bytes: Buffer, role: WebSocketRole, maxFramePayload: number, split: Split): string {
  const whole = runReader(role, maxFramePayload, [bytes]);
  const pieces = runReader(role, maxFramePayload, splitBytes(bytes, split));
  checkEqual(pieces, whole, `${role} reader: events and error with random splits vs in one push`);
  const { end, ...reference } = referenceRead(bytes, role, maxFramePayload);
  checkEqual(whole, reference, `${role} reader vs the reference parser`);
  return end === 'error' ? whole.error!.cause : end;
}

const maxFramePayloadArbitrary: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 125, 126, 65535, 65536, 1 << 20, Number.MAX_SAFE_INTEGER) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4000 }) },
);

// ---------------------------------------------------------------------------------------------
// Random bytes

/** Which frames of a stream set the mask bit. */
type MaskRule = 'all' | 'none' | 'mixed';

/**
 * A frame assembled field by field: RSV bits now and then, any opcode (mostly valid ones), FIN
 * either way, the mask bit per the stream's rule, a declared length that may lie (huge, non-minimal
 * forms, 2^53 and past it) and a payload that may be cut short or run long.
 */
const rawFrameArbitrary = fc.record({
  fin: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  rsv: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
  opcode: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  flipMask: fc.boolean(),
  key: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  length: fc.oneof(
    { weight: 8, arbitrary: fc.constant(-1) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(0n, 1n, 125n, 126n, 127n, 0xffffn, 0x10000n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n),
        fc.bigInt({ min: 0n, max: 300n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      ),
    },
  ),
  form: fc.oneof({ weight: 6, arbitrary: fc.constant('minimal' as const) }, { weight: 1, arbitrary: fc.constantFrom(16 as const, 64 as const) }),
  payload: fc.uint8Array({ maxLength: 200, size: 'max' }),
});

type RawFrameSpec = typeof rawFrameArbitrary extends fc.Arbitrary<infer T> ? T : never;

function rawFrameBytes(frame: RawFrameSpec, maskRule: MaskRule): Buffer {
  const length = frame.length === -1 ? BigInt(frame.payload.length) : frame.length;
  const masked = maskRule === 'all' || (maskRule === 'mixed' && frame.flipMask);
  const form = frame.form === 'minimal' ? (length < 126n ? 7 : length <= 0xffffn ? 16 : 64) : length > 0xffffn ? 64 : frame.form;
  const first = (frame.fin ? 0x80 : 0) | (frame.rsv << 4) | frame.opcode;
  const maskBit = masked ? 0x80 : 0;
  let head: Buffer;
  if (form === 7) head = Buffer.from([first, maskBit | Number(length)]);
  else if (form === 16) {
    head = Buffer.from([first, maskBit | 126, 0, 0]);
    head.writeUInt16BE(Number(length), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(length, 2);
  }
  const key = Buffer.from(frame.key);
  return masked ? Buffer.concat([head, key, unmasked(Buffer.from(frame.payload), key)]) : Buffer.concat([head, frame.payload]);
}

interface RandomInput {
  readonly bytes: Buffer;
  readonly maxFramePayload: number;
  readonly split: Split;
}

const readerRandom = defineTarget<RandomInput>({
  name: 'websocket-reader-random',
  summary: 'FrameReader.push (client and server roles, random pushes) on random bytes and on frames assembled from random fields: PH_WEBSOCKET_BAD_FRAME only, with the right close code and a message naming the cause; splits change nothing; same data, control frames and failure as a reference parser',
  weight: 2,
  testRuns: 600,
  arbitrary: fc.record({
    bytes: fc.oneof(
      randomBytesArbitrary(3000),
      fc
        .record({ frames: fc.array(rawFrameArbitrary, { minLength: 1, maxLength: 8 }), maskRule: fc.constantFrom<MaskRule>('all', 'none', 'mixed') })
        .map(({ frames, maskRule }) => Buffer.concat(frames.map((frame) => rawFrameBytes(frame, maskRule)))),
    ),
    maxFramePayload: maxFramePayloadArbitrary,
    split: splitArbitrary,
  }),
  run(input) {
    return ROLES.map((role) => `${role}:${readBothWays(input.bytes, role, input.maxFramePayload, input.split)}`).join('/');
  },
});

// ---------------------------------------------------------------------------------------------
// Mutated encoder output

type ControlSpec =
  | { readonly opcode: typeof OPCODE_PING | typeof OPCODE_PONG; readonly payload: Buffer }
  | { readonly opcode: typeof OPCODE_CLOSE; readonly code: number | undefined; readonly reason: string }
  /** A close payload that parseClosePayload must refuse (the reader passes it on all the same). */
  | { readonly opcode: typeof OPCODE_CLOSE; readonly raw: Buffer };

/** A data message in one or more frames, with control frames between them; or a control frame alone. */
type MessageSpec =
  | { readonly kind: 'message'; readonly opcode: typeof OPCODE_TEXT | typeof OPCODE_BINARY; readonly fragments: readonly Buffer[]; readonly between: readonly (ControlSpec | undefined)[] }
  | { readonly kind: 'control'; readonly control: ControlSpec };

const dataPayload: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 64, size: 'max' }).map((bytes) => Buffer.from(bytes)) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 125, 126, 127).map((length) => Buffer.alloc(length, 0x5a)) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(65535, 65536).map((length) => Buffer.alloc(length, 0xa5)), bulkBytesArbitrary(60000, 70000)) },
);

const validCloseCode = fc.oneof(fc.constantFrom(1000, 1001, 1002, 1003), fc.integer({ min: 1007, max: 1014 }), fc.integer({ min: 3000, max: 4999 }));

const controlArbitrary: fc.Arbitrary<ControlSpec> = fc.oneof(
  fc.record({ opcode: fc.constantFrom(OPCODE_PING, OPCODE_PONG), payload: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 120, maxLength: 125 })).map((b) => Buffer.from(b)) }),
  fc.record({
    opcode: fc.constant(OPCODE_CLOSE),
    code: fc.option(validCloseCode, { nil: undefined }),
    // ASCII: a longer reason is cut at 123 bytes, which for other text may fall inside a character.
    reason: fc.string({ maxLength: 130, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
  }),
  fc.record({
    opcode: fc.constant(OPCODE_CLOSE),
    raw: fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((byte) => Buffer.from([byte])),
      fc
        .tuple(fc.oneof(fc.constantFrom(0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 0xffff), fc.integer({ min: 0, max: 0xffff })), fc.uint8Array({ maxLength: 8 }))
        .map(([code, rest]) => Buffer.concat([Buffer.from([code >> 8, code & 0xff]), rest])),
    ),
  }),
);

const messageArbitrary: fc.Arbitrary<MessageSpec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({ opcode: fc.constantFrom(OPCODE_TEXT, OPCODE_BINARY), fragments: fc.array(dataPayload, { minLength: 1, maxLength: 4 }), between: fc.array(fc.option(controlArbitrary, { nil: undefined, freq: 2 }), { maxLength: 3 }) })
      .map(({ opcode, fragments, between }) => ({ kind: 'message' as const, opcode, fragments, between })),
  },
  { weight: 1, arbitrary: controlArbitrary.map((control) => ({ kind: 'control' as const, control })) },
);

function controlPayload(control: ControlSpec): Buffer {
  if (control.opcode !== OPCODE_CLOSE) return control.payload;
  if ('raw' in control) return control.raw;
  return control.code === undefined ? Buffer.alloc(0) : closePayload(control.code, control.reason);
}

/** One frame from the encoder (or, for a server, encodeFrameHeader + payload, which must be the same bytes); FIN cleared on request. */
function encode(opcode: number, payload: Buffer, sender: WebSocketRole, fin: boolean, viaHeader: boolean): Buffer {
  const before = Buffer.from(payload);
  const frame = noThrow('encodeFrame', () => encodeFrame(opcode, payload, sender));
  check(payload.equals(before), 'encodeFrame modified its payload');
  let bytes = frame;
  if (sender === 'server') {
    const split = noThrow('encodeFrameHeader', () => Buffer.concat([encodeFrameHeader(opcode, payload.length), payload]));
    check(split.equals(frame), 'encodeFrameHeader + payload differs from encodeFrame');
    if (viaHeader) bytes = split;
  }
  if (!fin) bytes[0]! &= 0x7f;
  return bytes;
}

/** The stream the sender writes, and what a reader with `maxFramePayload` must make of it. */
function writeStream(messages: readonly MessageSpec[], sender: WebSocketRole, maxFramePayload: number, viaHeader: boolean): { bytes: Buffer; expected: WsRun } {
  const frames: Buffer[] = [];
  const log = new EventLog();
  let refused = false;
  const control = (spec: ControlSpec): void => {
    const payload = controlPayload(spec);
    frames.push(encode(spec.opcode, payload, sender, true, viaHeader));
    if (!refused) log.control(spec.opcode, payload);
  };
  for (const message of messages) {
    if (message.kind === 'control') {
      control(message.control);
      continue;
    }
    message.fragments.forEach((fragment, i) => {
      const last = i === message.fragments.length - 1;
      frames.push(encode(i === 0 ? message.opcode : OPCODE_CONTINUATION, fragment, sender, last, viaHeader));
      if (fragment.length > maxFramePayload) refused = true;
      if (!refused) log.data(fragment);
      const between = message.between[i];
      if (!last && between) control(between);
    });
  }
  return { bytes: Buffer.concat(frames), expected: { events: log.events(), ...(refused ? { error: { cause: 'too-big' as const, closeCode: 1009 } } : {}) } };
}

interface MutatedInput {
  readonly sender: WebSocketRole;
  readonly messages: readonly MessageSpec[];
  readonly maxFramePayload: number;
  readonly viaHeader: boolean;
  readonly mutations: readonly Mutation[];
  readonly split: Split;
}

const readerMutated = defineTarget<MutatedInput>({
  name: 'websocket-reader-mutated',
  summary: 'FrameReader.push on encodeFrame / encodeFrameHeader output (text and binary messages, fragmented with FIN cleared, ping/pong/close between fragments, both roles), mutated and split: PH_WEBSOCKET_BAD_FRAME only, matches the reference parser; untouched streams give back exactly what was written (1009 at the first frame over the bound)',
  weight: 2,
  testRuns: 300,
  arbitrary: fc.record({
    sender: fc.constantFrom(...ROLES),
    messages: fc.array(messageArbitrary, { minLength: 1, maxLength: 6 }),
    maxFramePayload: fc.oneof({ weight: 3, arbitrary: fc.constant(1 << 20) }, { weight: 1, arbitrary: maxFramePayloadArbitrary }),
    viaHeader: fc.boolean(),
    mutations: mutationsArbitrary(4),
    split: splitArbitrary,
  }),
  run(input) {
    const receiver: WebSocketRole = input.sender === 'client' ? 'server' : 'client';
    const { bytes: stream, expected } = writeStream(input.messages, input.sender, input.maxFramePayload, input.viaHeader);
    const bytes = applyMutations(stream, input.mutations, 1 << 17);
    const outcome = readBothWays(bytes, receiver, input.maxFramePayload, input.split);
    if (input.mutations.length === 0) {
      checkEqual(runReader(receiver, input.maxFramePayload, [bytes]), expected, 'untouched stream: what was written');
      // The sender's own role refuses its frames: the mask bit is the wrong way round.
      checkEqual(runReader(input.sender, input.maxFramePayload, [bytes]), { events: [], error: { cause: 'masking', closeCode: 1002 } }, 'untouched stream read with the sender\'s role');
    }
    return `${input.mutations.length === 0 ? 'untouched' : 'mutated'}-${outcome}`;
  },
});

export const websocketTargets: readonly FuzzTarget<unknown>[] = [readerRandom, readerMutated];
