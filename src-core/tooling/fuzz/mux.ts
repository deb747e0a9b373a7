/**
 * Fuzz targets for the Mux.Cool side: the frame reader, the reverse proxy's Control message and
 * Porthole's flow-control messages. See targets.ts for the table and the contract.
 */
import fc from 'fast-check';
import type { ErrorCode } from '../../engine/common/errors.js';
import { AddressType, decodeAddress as decodeMuxAddress, formatIPv6, parseIPv6, type MuxAddress } from '../../engine/common/mux/address.js';
import { CONTROL_SESSION_ID, MAX_PACKET_DATA, MAX_STREAM_DATA } from '../../engine/common/mux/consts.js';
import { decodeFlowMessage, encodeFlowMessage, MAX_UPDATES_PER_MESSAGE, type FlowMessage } from '../../engine/common/mux/flow.js';
import {
  encodeDataFrames,
  encodeFrame,
  FrameOption,
  FrameStatus,
  TargetNetwork,
  type FrameMetadata,
  type MuxFrame,
  type MuxTarget,
} from '../../engine/common/mux/frame.js';
import { FrameReader, isNewUdpFrame, ReaderState } from '../../engine/common/mux/reader.js';
import { encodeEndFrame, encodeNewFrame } from '../../engine/common/mux/writer.js';
import { CONTROL_TARGET, encodeControlFrame, encodeControlNewFrame, encodeKeepAliveFrame, encodeKeepFrame, encodePacketFrame } from '../../engine/common/mux/testdata/frames.js';
import { decodeControl, encodeControl, EXPOSURE_OFFER_FIELD, EXPOSURE_REPLY_FIELD } from '../../engine/app/reverse/control.js';
import {
  applyMutations,
  check,
  checkEqual,
  checkReported,
  guard,
  noThrow,
  mutationsArbitrary,
  randomBytesArbitrary,
  splitArbitrary,
  splitBytes,
  type Mutation,
  type Split,
} from './bytes.js';
import { defineTarget, type FuzzTarget } from './target.js';

const BAD_FRAME: readonly ErrorCode[] = ['PH_MUX_BAD_FRAME'];

// ---------------------------------------------------------------------------------------------
// Frame reader

/** Which frames follow packet rules (D ≤ 2048): the reader's default, none, or all. */
type PacketRule = 'default' | 'never' | 'always';
const packetRules = fc.constantFrom<PacketRule>('default', 'never', 'always');

function packetPredicate(rule: PacketRule): (meta: FrameMetadata) => boolean {
  return rule === 'default' ? isNewUdpFrame : rule === 'always' ? () => true : () => false;
}

interface ReaderRun {
  readonly frames: readonly MuxFrame[];
  readonly error?: string;
  readonly finish?: string;
}

/** Feeds `pieces` to a fresh reader, checking its contract at every step. */
function runReader(pieces: readonly Buffer[], rule: PacketRule): ReaderRun {
  const reader = new FrameReader({ isPacketSession: packetPredicate(rule) });
  const frames: MuxFrame[] = [];
  let pushed = 0;
  let dataBytes = 0;
  for (const piece of pieces) {
    pushed += piece.length;
    const result = noThrow('FrameReader.push', () => reader.push(piece));
    check(Array.isArray(result.frames), 'FrameReader.push must return frames');
    for (const frame of result.frames) {
      checkFrame(frame, rule);
      dataBytes += frame.data?.length ?? 0;
    }
    check(dataBytes <= pushed, () => `frames carry ${dataBytes} data bytes out of ${pushed} pushed`);
    check(reader.bufferedBytes >= 0 && reader.bufferedBytes <= pushed, `bufferedBytes ${reader.bufferedBytes} of ${pushed} pushed`);
    frames.push(...result.frames);
    if (result.error !== undefined) {
      checkReported('FrameReader.push', result.error, BAD_FRAME);
      // Failure is final: the same error from push, read and finish, nothing buffered.
      const again = noThrow('FrameReader.push after failure', () => reader.push(Buffer.from([0, 4, 0, 1, 2, 0])));
      check(again.frames.length === 0 && again.error === result.error, 'a failed reader must keep its error');
      check(reader.state === ReaderState.Failed && reader.bufferedBytes === 0, 'a failed reader drops its bytes');
      const read = noThrow('FrameReader.read after failure', () => reader.read());
      check(read.kind === 'error' && read.error === result.error, 'read() after failure');
      check(reader.finish() === result.error, 'finish() after failure');
      return { frames, error: result.error.message };
    }
  }
  const end = noThrow('FrameReader.finish', () => reader.finish());
  if (end === undefined) return { frames };
  checkReported('FrameReader.finish', end, BAD_FRAME);
  return { frames, finish: end.message };
}

/** A parsed frame is well formed, and it encodes back to bytes that parse to the same frame. */
function checkFrame(frame: MuxFrame, rule: PacketRule): void {
  const { meta } = frame;
  check(Number.isInteger(meta.sessionId) && meta.sessionId >= 0 && meta.sessionId <= 0xffff, `session ID ${meta.sessionId}`);
  check([FrameStatus.New, FrameStatus.Keep, FrameStatus.End, FrameStatus.KeepAlive].includes(meta.status), `status ${meta.status}`);
  check(Number.isInteger(meta.option) && meta.option >= 0 && meta.option <= 0xff, `option ${meta.option}`);
  check(((meta.option & FrameOption.Data) !== 0) === (frame.data !== undefined), 'data present exactly when the Data bit is set');
  if (frame.data) check(Buffer.isBuffer(frame.data) && frame.data.length <= 0xffff, 'data is a Buffer of at most 65535 bytes');
  if (meta.status === FrameStatus.New) {
    const { target } = meta;
    check(target.network === TargetNetwork.TCP || target.network === TargetNetwork.UDP, `network ${target.network}`);
    check(Number.isInteger(target.port) && target.port >= 0 && target.port <= 0xffff, `port ${target.port}`);
  }
  const encoded = noThrow('encodeFrame of a parsed frame', () => encodeFrame(meta, frame.data));
  const reparsed = new FrameReader({ isPacketSession: packetPredicate(rule) }).push(encoded);
  checkEqual(reparsed, { frames: [frame] }, 'parsed → encoded → parsed frame');
}

/** A frame as the reference parser sees it: addresses as raw IP bytes or domain text. */
interface ReferenceFrame {
  readonly sessionId: number;
  readonly status: number;
  readonly option: number;
  readonly target?: { readonly network: number; readonly port: number; readonly address: { readonly ip: Buffer } | { readonly domain: string } };
  readonly data?: Buffer;
}

const PLAIN_DOMAIN = /^[0-9A-Za-z._-]+$/;

function ipBytes(ip: Buffer): Buffer {
  const mapped = ip.length === 16 && ip.subarray(0, 10).every((byte) => byte === 0) && ip[10] === 0xff && ip[11] === 0xff;
  return Buffer.from(mapped ? ip.subarray(12) : ip);
}

/**
 * An independent reading of a Mux.Cool stream, after v4.34.0 `FrameMetadata.Unmarshal`,
 * `reader.go` and the status switch of `handleFrame`: the frames, and whether the stream ended
 * cleanly between frames. Only domains that may be IP literals (first byte a digit or `[`) are
 * handed to Porthole's address parser, since reading them takes Go's `net.ParseIP`.
 */
export function referenceFrames(bytes: Buffer, rule: PacketRule): { frames: ReferenceFrame[]; clean: boolean } {
  const frames: ReferenceFrame[] = [];
  let at = 0;
  const stop = { frames, clean: false };
  for (;;) {
    if (at === bytes.length) return { frames, clean: true };
    if (at + 2 > bytes.length) return stop;
    const metaLength = bytes.readUInt16BE(at);
    at += 2;
    if (metaLength > 512 || metaLength < 4 || at + metaLength > bytes.length) return stop;
    const meta = bytes.subarray(at, at + metaLength);
    at += metaLength;
    const frame: { -readonly [K in keyof ReferenceFrame]: ReferenceFrame[K] } = { sessionId: meta.readUInt16BE(0), status: meta[2]!, option: meta[3]! };
    if (frame.status < 1 || frame.status > 4) return stop;
    if (frame.status === 1) {
      if (metaLength < 8) return stop;
      const network = meta[4]!;
      const port = meta.readUInt16BE(5);
      const type = meta[7]!;
      let address: { ip: Buffer } | { domain: string };
      if (type === 1 || type === 3) {
        const size = type === 1 ? 4 : 16;
        if (8 + size > metaLength) return stop;
        address = { ip: ipBytes(meta.subarray(8, 8 + size)) };
      } else if (type === 2) {
        if (metaLength < 9 || 9 + meta[8]! > metaLength) return stop;
        const name = meta.subarray(9, 9 + meta[8]!);
        const first = name[0];
        if (first === undefined) return stop;
        if (first === 0x5b || (first >= 0x30 && first <= 0x39)) {
          const parsed = guard('decodeAddress', BAD_FRAME, () => decodeMuxAddress(meta, 7));
          if (!parsed.ok) return stop;
          address = referenceAddress(parsed.value.address);
        } else {
          if (!PLAIN_DOMAIN.test(name.toString('latin1'))) return stop;
          address = { domain: name.toString('latin1') };
        }
      } else return stop;
      if (network !== 1 && network !== 2) return stop;
      frame.target = { network, port, address };
    }
    if ((frame.option & 1) !== 0) {
      if (at + 2 > bytes.length) return stop;
      const length = bytes.readUInt16BE(at);
      at += 2;
      const packet = rule === 'always' || (rule === 'default' && frame.status === 1 && frame.target?.network === 2);
      if (packet && length > 2048) return stop;
      if (at + length > bytes.length) return stop;
      frame.data = Buffer.from(bytes.subarray(at, at + length));
      at += length;
    }
    frames.push(frame);
  }
}

function referenceAddress(address: MuxAddress): { ip: Buffer } | { domain: string } {
  if (address.type === AddressType.Domain) return { domain: address.host };
  if (address.type === AddressType.IPv4) return { ip: Buffer.from(address.host.split('.').map(Number)) };
  return { ip: ipBytes(parseIPv6(address.host) ?? Buffer.alloc(0)) };
}

function asReference(frame: MuxFrame): ReferenceFrame {
  const { meta } = frame;
  return {
    sessionId: meta.sessionId,
    status: meta.status,
    option: meta.option,
    ...(meta.status === FrameStatus.New ? { target: { network: meta.target.network, port: meta.target.port, address: referenceAddress(meta.target.address) } } : {}),
    ...(frame.data === undefined ? {} : { data: frame.data }),
  };
}

/** One push and random pieces give the same frames and the same error, and the reference agrees. */
function runReaderBothWays(bytes: Buffer, split: Split, rule: PacketRule): ReaderRun {
  const whole = runReader([bytes], rule);
  const pieces = runReader(splitBytes(bytes, split), rule);
  checkEqual(pieces, whole, 'frames and error with random splits vs in one push');
  const reference = referenceFrames(bytes, rule);
  checkEqual(whole.frames.map(asReference), reference.frames, 'frames vs the reference parser');
  checkEqual(whole.error === undefined && whole.finish === undefined, reference.clean, 'clean end vs the reference parser');
  return whole;
}

function readerLabel(run: ReaderRun): string {
  const frames = run.frames.length === 0 ? '0' : run.frames.length < 4 ? '1-3' : '4+';
  return `${run.error ? 'error' : run.finish ? 'cut' : 'clean'}-${frames}-frames`;
}

interface RandomReaderInput {
  readonly bytes: Buffer;
  readonly rule: PacketRule;
  readonly split: Split;
}

/**
 * A frame assembled field by field from random values: any status, network and address type, an
 * address cut short or running long, a metadata length off by a little, data of any length.
 */
const rawFrameArbitrary: fc.Arbitrary<Buffer> = fc
  .record({
    sessionId: fc.integer({ min: 0, max: 0xffff }),
    status: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 1, 2, 3, 4) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    option: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    network: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    port: fc.integer({ min: 0, max: 0xffff }),
    addressType: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    address: fc.oneof(
      fc.uint8Array({ maxLength: 20, size: 'max' }),
      fc.constantFrom('example.com', '1.2.3.4', '[::1]', '::ffff:1.2.3.4', ' 1.2.3.4', '1.2.3.4\xa0', '01.2.3.4', '1a', '[]', 'a b', '').map((text) => Buffer.from(text, 'latin1')),
    ),
    lengthByteDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
    extra: fc.oneof({ weight: 6, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }) }),
    metaLengthDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: -4, max: 4 }) }),
    data: fc.uint8Array({ maxLength: 40, size: 'max' }),
    dataLength: fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.constantFrom(0, 2048, 2049, 8192, 0xffff) }),
  })
  .map((f) => {
    const head = Buffer.from([f.sessionId >> 8, f.sessionId & 0xff, f.status, f.option]);
    let address = Buffer.from(f.address);
    if (f.addressType === 2) address = Buffer.concat([Buffer.from([Math.max(0, Math.min(255, address.length + f.lengthByteDelta))]), address]);
    const target = f.status === 1 ? Buffer.concat([Buffer.from([f.network, f.port >> 8, f.port & 0xff, f.addressType]), address]) : Buffer.alloc(0);
    const meta = Buffer.concat([head, target, f.extra]);
    const length = Math.max(0, Math.min(0xffff, meta.length + f.metaLengthDelta));
    const data = (f.option & 1) !== 0 ? Buffer.from([(f.dataLength < 0 ? f.data.length : f.dataLength) >> 8, (f.dataLength < 0 ? f.data.length : f.dataLength) & 0xff, ...f.data]) : Buffer.alloc(0);
    return Buffer.concat([Buffer.from([length >> 8, length & 0xff]), meta, data]);
  });

const readerRandom = defineTarget<RandomReaderInput>({
  name: 'mux-reader-random',
  summary: 'FrameReader on random bytes and on frames assembled from random fields (random pushes, every packet rule): PH_MUX_BAD_FRAME only, final failure, frames re-encode to themselves, splits change nothing, same frames as a reference parser',
  weight: 2,
  testRuns: 800,
  arbitrary: fc.record({
    bytes: fc.oneof(
      randomBytesArbitrary(3000),
      fc.array(rawFrameArbitrary, { minLength: 1, maxLength: 6 }).map((frames) => Buffer.concat(frames)),
    ),
    rule: packetRules,
    split: splitArbitrary,
  }),
  run(input) {
    return readerLabel(runReaderBothWays(input.bytes, input.split, input.rule));
  },
});

const DOMAIN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._';

/** Addresses that parse back to themselves. */
const addressArbitrary: fc.Arbitrary<MuxAddress> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 51 }), fc.array(fc.integer({ min: 0, max: DOMAIN_CHARS.length - 1 }), { maxLength: 254, size: 'medium' }))
    .map(([first, rest]): MuxAddress => ({ type: AddressType.Domain, host: [first, ...rest].map((i) => DOMAIN_CHARS[i]).join('') })),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((ip): MuxAddress => ({ type: AddressType.IPv4, host: ip.join('.') })),
  fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .filter((ip) => !(ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff))
    .map((ip): MuxAddress => ({ type: AddressType.IPv6, host: formatIPv6(ip) })),
);

const port = fc.integer({ min: 0, max: 0xffff });
const sessionId = fc.oneof(fc.constantFrom(0, 1, 2, 0xffff), fc.integer({ min: 0, max: 0xffff }));
const tcpTarget = fc.record({ network: fc.constant(TargetNetwork.TCP), address: addressArbitrary, port });
const udpTarget = fc.record({ network: fc.constant(TargetNetwork.UDP), address: addressArbitrary, port });
const data = (max: number): fc.Arbitrary<Buffer> =>
  fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 64, size: 'max' }) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: max, size: 'max' }) }).map((b) => Buffer.from(b));

const flowMessageArbitrary: fc.Arbitrary<FlowMessage> = fc.oneof(
  fc.record({ kind: fc.constant('announce' as const), window: fc.nat({ max: 0xffffffff }) }),
  fc.record({
    kind: fc.constant('window' as const),
    updates: fc.array(fc.record({ sessionId: fc.nat({ max: 0xffff }), increment: fc.nat({ max: 0xffffffff }) }), { maxLength: 20, size: 'medium' }),
  }),
);

/** One writer call: what a 4.34 peer or a Porthole peer puts on a link. */
type FrameSpec =
  | { readonly kind: 'new'; readonly sessionId: number; readonly target: MuxTarget; readonly data: Buffer | undefined }
  | { readonly kind: 'keep'; readonly sessionId: number; readonly data: Buffer }
  | { readonly kind: 'packet'; readonly sessionId: number; readonly data: Buffer; readonly target: MuxTarget | undefined }
  | { readonly kind: 'end'; readonly sessionId: number; readonly error: boolean }
  | { readonly kind: 'keepalive'; readonly sessionId: number; readonly data: Buffer | undefined }
  | { readonly kind: 'control'; readonly first: boolean; readonly state: number; readonly random: Buffer; readonly exposureOffer: boolean }
  | { readonly kind: 'meta'; readonly meta: FrameMetadata; readonly data: Buffer | undefined }
  | { readonly kind: 'stream'; readonly sessionId: number; readonly status: typeof FrameStatus.New | typeof FrameStatus.Keep; readonly target: MuxTarget; readonly payload: Buffer };

const frameSpecArbitrary: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.record({ kind: fc.constant('new' as const), sessionId, target: tcpTarget, data: fc.option(data(MAX_STREAM_DATA), { nil: undefined }) }),
  fc.record({ kind: fc.constant('new' as const), sessionId, target: udpTarget, data: fc.option(data(MAX_PACKET_DATA), { nil: undefined }) }),
  fc.record({ kind: fc.constant('keep' as const), sessionId, data: data(MAX_STREAM_DATA) }),
  fc.record({ kind: fc.constant('packet' as const), sessionId, data: data(MAX_PACKET_DATA), target: fc.option(udpTarget, { nil: undefined }) }),
  fc.record({ kind: fc.constant('end' as const), sessionId, error: fc.boolean() }),
  fc.record({
    kind: fc.constant('keepalive' as const),
    sessionId,
    data: fc.option(fc.oneof(flowMessageArbitrary.map(encodeFlowMessage), data(300)), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('control' as const),
    first: fc.boolean(),
    state: fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
    random: fc.uint8Array({ maxLength: 63 }).map((b) => Buffer.from(b)),
    exposureOffer: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('meta' as const),
    meta: fc.oneof(
      fc.record({ sessionId, status: fc.constant(FrameStatus.New), option: fc.integer({ min: 0, max: 255 }), target: fc.oneof(tcpTarget, udpTarget) }),
      fc.record({ sessionId, status: fc.constantFrom(FrameStatus.Keep, FrameStatus.End, FrameStatus.KeepAlive), option: fc.integer({ min: 0, max: 255 }) }),
    ),
    data: fc.option(data(MAX_PACKET_DATA), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('stream' as const),
    sessionId,
    status: fc.constantFrom(FrameStatus.New, FrameStatus.Keep),
    target: tcpTarget,
    payload: fc.oneof({ weight: 3, arbitrary: fc.uint8Array({ maxLength: 100 }) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20_000, size: 'max' }) }).map((b) => Buffer.from(b)),
  }),
);

/** The bytes a writer call produces and the frames a reader must see in them. */
function writeFrames(spec: FrameSpec): { bytes: Buffer; frames: MuxFrame[] } {
  const one = (meta: FrameMetadata, frameData?: Buffer): MuxFrame => (frameData === undefined ? { meta } : { meta, data: frameData });
  const call = <R>(what: string, write: () => R): R => {
    return noThrow(what, write);
  };
  switch (spec.kind) {
    case 'new':
      return {
        bytes: call('encodeNewFrame', () => encodeNewFrame(spec.sessionId, spec.target, spec.data)),
        frames: [one({ sessionId: spec.sessionId, status: FrameStatus.New, option: spec.data ? FrameOption.Data : 0, target: spec.target }, spec.data)],
      };
    case 'keep':
      return {
        bytes: call('encodeKeepFrame', () => encodeKeepFrame(spec.sessionId, spec.data)),
        frames: [one({ sessionId: spec.sessionId, status: FrameStatus.Keep, option: FrameOption.Data }, spec.data)],
      };
    case 'packet':
      return {
        bytes: call('encodePacketFrame', () => encodePacketFrame(spec.sessionId, spec.data, spec.target)),
        frames: [
          spec.target
            ? one({ sessionId: spec.sessionId, status: FrameStatus.New, option: FrameOption.Data, target: spec.target }, spec.data)
            : one({ sessionId: spec.sessionId, status: FrameStatus.Keep, option: FrameOption.Data }, spec.data),
        ],
      };
    case 'end':
      return {
        bytes: call('encodeEndFrame', () => encodeEndFrame(spec.sessionId, spec.error)),
        frames: [one({ sessionId: spec.sessionId, status: FrameStatus.End, option: spec.error ? FrameOption.Error : 0 })],
      };
    case 'keepalive': {
      const bytes = spec.data
        ? call('encodeFrame', () => encodeFrame({ sessionId: spec.sessionId, status: FrameStatus.KeepAlive, option: 0 }, spec.data))
        : call('encodeKeepAliveFrame', () => encodeKeepAliveFrame(spec.sessionId));
      return { bytes, frames: [one({ sessionId: spec.sessionId, status: FrameStatus.KeepAlive, option: spec.data ? FrameOption.Data : 0 }, spec.data)] };
    }
    case 'control': {
      const control = call('encodeControl', () => encodeControl(spec.state, spec.random, { exposureOffer: spec.exposureOffer }));
      if (spec.first) {
        return {
          bytes: call('encodeControlNewFrame', () => encodeControlNewFrame(control)),
          frames: [one({ sessionId: CONTROL_SESSION_ID, status: FrameStatus.New, option: FrameOption.Data, target: CONTROL_TARGET }, control)],
        };
      }
      return {
        bytes: call('encodeControlFrame', () => encodeControlFrame(control)),
        frames: [one({ sessionId: CONTROL_SESSION_ID, status: FrameStatus.Keep, option: FrameOption.Data }, control)],
      };
    }
    case 'meta': {
      const option = spec.data === undefined ? spec.meta.option & ~FrameOption.Data : spec.meta.option | FrameOption.Data;
      return { bytes: call('encodeFrame', () => encodeFrame(spec.meta, spec.data)), frames: [one({ ...spec.meta, option }, spec.data)] };
    }
    case 'stream': {
      const parts = call('encodeDataFrames', () => encodeDataFrames(spec.sessionId, spec.status, spec.payload, spec.target));
      const frames: MuxFrame[] = [];
      const metaFor = (first: boolean, option: number): FrameMetadata =>
        first && spec.status === FrameStatus.New
          ? { sessionId: spec.sessionId, status: FrameStatus.New, option, target: spec.target }
          : { sessionId: spec.sessionId, status: FrameStatus.Keep, option };
      if (spec.payload.length === 0) frames.push(one(metaFor(true, 0)));
      for (let at = 0; at < spec.payload.length; at += MAX_STREAM_DATA) {
        frames.push(one(metaFor(at === 0, FrameOption.Data), spec.payload.subarray(at, at + MAX_STREAM_DATA)));
      }
      return { bytes: Buffer.concat(parts), frames };
    }
  }
}

interface MutatedReaderInput {
  readonly specs: readonly FrameSpec[];
  readonly rule: PacketRule;
  readonly mutations: readonly Mutation[];
  readonly split: Split;
}

const readerMutated = defineTarget<MutatedReaderInput>({
  name: 'mux-reader-mutated',
  summary: 'FrameReader on frame streams from encodeFrame / encodeDataFrames / the writer helpers (New, Keep, packet, End, KeepAlive + flow, Control), mutated and split; untouched streams must parse to exactly the frames written',
  weight: 3,
  testRuns: 500,
  arbitrary: fc.record({
    specs: fc.array(frameSpecArbitrary, { minLength: 1, maxLength: 8 }),
    rule: packetRules,
    mutations: mutationsArbitrary(6),
    split: splitArbitrary,
  }),
  run(input) {
    const written = input.specs.map(writeFrames);
    const stream = Buffer.concat(written.map((w) => w.bytes));
    const bytes = applyMutations(stream, input.mutations);
    const run = runReaderBothWays(bytes, input.split, input.rule);
    if (input.mutations.length === 0) {
      // Untouched: every frame written, up to the first one the packet rule refuses.
      const isPacket = packetPredicate(input.rule);
      const all = written.flatMap((w) => w.frames);
      const refused = all.findIndex((frame) => frame.data !== undefined && frame.data.length > MAX_PACKET_DATA && isPacket(frame.meta));
      checkEqual(run.frames, refused < 0 ? all : all.slice(0, refused), 'untouched stream: frames');
      checkEqual(run.error !== undefined, refused >= 0, 'untouched stream: refused only for a packet over 2048 bytes');
      checkEqual(run.finish, undefined, 'untouched stream: ends between frames');
    }
    return `${input.mutations.length === 0 ? 'untouched' : 'mutated'}-${readerLabel(run)}`;
  },
});

// ---------------------------------------------------------------------------------------------
// Reverse Control message

type Reference = { readonly ok: false } | { readonly ok: true; readonly state: number; readonly random: Buffer; readonly exposureOffer: boolean };

const MAX_VALID_NUMBER = 2n ** 29n - 1n;
const MAX_INT32 = 2n ** 31n - 1n;

/**
 * An independent decoder with protobuf-go's semantics (v1.25, as V2Ray 4.34 links it): the
 * top-level loop of `impl/decode.go` (field numbers 1…2^29−1) and `protowire.ConsumeFieldValue`
 * for skipped fields, whose groups read inner tags with `ConsumeTag` (field numbers 1…2^31−1).
 * Plus Porthole's exposure offer (field 1001, a varint: the last one read counts, non-zero is true).
 */
export function referenceDecodeControl(bytes: Buffer, groupFieldLimit = MAX_INT32): Reference {
  let at = 0;
  const varint = (): bigint | undefined => {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = bytes[at];
      if (byte === undefined) return undefined;
      at += 1;
      if (i === 9 && byte >= 2) return undefined;
      value |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  const skip = (num: bigint, wire: number): boolean => {
    switch (wire) {
      case 0:
        return varint() !== undefined;
      case 1:
        if (at + 8 > bytes.length) return false;
        at += 8;
        return true;
      case 5:
        if (at + 4 > bytes.length) return false;
        at += 4;
        return true;
      case 2: {
        const length = varint();
        if (length === undefined || length > BigInt(bytes.length - at)) return false;
        at += Number(length);
        return true;
      }
      case 3:
        for (;;) {
          const tag = varint();
          if (tag === undefined) return false;
          const inner = tag >> 3n;
          if (inner < 1n || inner > groupFieldLimit) return false;
          const innerWire = Number(tag & 7n);
          if (innerWire === 4) return inner === num;
          if (!skip(inner, innerWire)) return false;
        }
      default:
        return false;
    }
  };
  let state = 0;
  let random: Buffer = Buffer.alloc(0);
  let exposureOffer = false;
  while (at < bytes.length) {
    const tag = varint();
    if (tag === undefined) return { ok: false };
    const num = tag >> 3n;
    const wire = Number(tag & 7n);
    if (num < 1n || num > MAX_VALID_NUMBER || wire === 4) return { ok: false };
    if (num === 1n && wire === 0) {
      const value = varint();
      if (value === undefined) return { ok: false };
      state = Number(BigInt.asIntN(32, value));
    } else if (num === 99n && wire === 2) {
      const length = varint();
      if (length === undefined || length > BigInt(bytes.length - at)) return { ok: false };
      random = bytes.subarray(at, at + Number(length));
      at += Number(length);
    } else if (num === BigInt(EXPOSURE_OFFER_FIELD) && wire === 0) {
      const value = varint();
      if (value === undefined) return { ok: false };
      exposureOffer = value !== 0n;
    } else if (!skip(num, wire)) return { ok: false };
  }
  return { ok: true, state, random, exposureOffer };
}

function checkControl(bytes: Buffer): string {
  const decoded = guard('decodeControl', BAD_FRAME, () => decodeControl(bytes));
  const reference = referenceDecodeControl(bytes);
  if (!decoded.ok) {
    checkEqual(reference.ok, false, `decodeControl refused what protobuf-go accepts (${decoded.error.message})`);
    return 'refused';
  }
  check(reference.ok, 'decodeControl accepted what protobuf-go refuses');
  const message = decoded.value;
  checkEqual(
    { state: message.state, random: Buffer.from(message.random), exposureOffer: message.exposureOffer === true },
    { state: reference.state, random: Buffer.from(reference.random), exposureOffer: reference.exposureOffer },
    'decodeControl vs protobuf-go',
  );
  check(Number.isInteger(message.state) && message.state >= -(2 ** 31) && message.state < 2 ** 31, 'state is an int32');
  const encoded = noThrow('encodeControl of a decoded message', () =>
    encodeControl(message.state, message.random, {
      ...(message.exposureOffer ? { exposureOffer: true } : {}),
      ...(message.exposureReplies ? { exposureReplies: message.exposureReplies } : {}),
    }),
  );
  const again = noThrow('decodeControl of a re-encoded message', () => decodeControl(encoded));
  checkEqual({ ...again, random: Buffer.from(again.random) }, { ...message, random: Buffer.from(message.random) }, 'decoded → encoded → decoded Control');
  return message.state === 0 ? 'active' : message.state === 1 ? 'drain' : 'other-state';
}

const controlRandom = defineTarget<Buffer>({
  name: 'reverse-control-random',
  summary: 'decodeControl on random bytes: PH_MUX_BAD_FRAME only, same verdict and fields as a protobuf-go reference decoder, decoded messages re-encode',
  weight: 1,
  testRuns: 800,
  arbitrary: randomBytesArbitrary(200),
  run: checkControl,
});

/** A protobuf record, possibly malformed on purpose. */
type ProtoNode =
  | { readonly t: 'varint'; readonly num: bigint; readonly value: bigint; readonly overlong: number }
  | { readonly t: 'fixed'; readonly num: bigint; readonly wide: boolean; readonly bytes: Uint8Array }
  | { readonly t: 'bytes'; readonly num: bigint; readonly content: Uint8Array; readonly lengthDelta: number }
  | { readonly t: 'group'; readonly num: bigint; readonly children: readonly ProtoNode[]; readonly end: 'match' | 'other' | 'none'; readonly otherNum: bigint }
  | { readonly t: 'tag'; readonly num: bigint; readonly wire: number; readonly overlong: number }
  | { readonly t: 'raw'; readonly bytes: Uint8Array }
  /** A varint of exactly `length` bytes (continuation bits set before the last byte), last byte as given. */
  | { readonly t: 'long-varint'; readonly num: bigint; readonly wire: number; readonly low: Uint8Array; readonly last: number };

const fieldNumber: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(1n, 99n, 1000n, BigInt(EXPOSURE_OFFER_FIELD), BigInt(EXPOSURE_REPLY_FIELD)) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 2n, 15n, 16n, 2047n, 2048n, MAX_VALID_NUMBER, MAX_VALID_NUMBER + 1n, MAX_INT32, MAX_INT32 + 1n, 2n ** 61n - 1n) },
  { weight: 2, arbitrary: fc.bigInt({ min: 1n, max: 2n ** 30n }) },
);
const varintValue: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.constantFrom(0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 2n ** 31n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);
const overlong = fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) });

const protoNodes: fc.Arbitrary<readonly ProtoNode[]> = fc.letrec<{ node: ProtoNode; nodes: readonly ProtoNode[] }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ t: fc.constant('varint' as const), num: fieldNumber, value: varintValue, overlong }),
    fc.record({ t: fc.constant('fixed' as const), num: fieldNumber, wide: fc.boolean(), bytes: fc.uint8Array({ maxLength: 9 }) }),
    fc.record({ t: fc.constant('bytes' as const), num: fieldNumber, content: fc.uint8Array({ maxLength: 70, size: 'medium' }), lengthDelta: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }) }),
    fc.record({ t: fc.constant('group' as const), num: fieldNumber, children: tie('nodes'), end: fc.constantFrom('match' as const, 'match' as const, 'other' as const, 'none' as const), otherNum: fieldNumber }),
    fc.record({ t: fc.constant('tag' as const), num: fieldNumber, wire: fc.integer({ min: 0, max: 7 }), overlong }),
    fc.record({ t: fc.constant('raw' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
    fc.record({
      t: fc.constant('long-varint' as const),
      num: fieldNumber,
      wire: fc.constantFrom(0, 0, 2, 3),
      low: fc.uint8Array({ minLength: 8, maxLength: 10 }),
      last: fc.oneof(fc.constantFrom(0, 1, 2, 3, 0x7f), fc.integer({ min: 0, max: 255 })),
    }),
  ),
  nodes: fc.array(tie('node'), { maxLength: 5, size: 'medium' }),
})).nodes;

function varintBytes(value: bigint, extra: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  for (let i = 0; i < extra; i++) {
    out[out.length - 1]! |= 0x80;
    out.push(0);
  }
  return out;
}

const tagBytes = (num: bigint, wire: number, extra = 0): number[] => varintBytes((num << 3n) | BigInt(wire), extra);

function protoBytes(nodes: readonly ProtoNode[]): number[] {
  const out: number[] = [];
  for (const node of nodes) {
    switch (node.t) {
      case 'varint':
        out.push(...tagBytes(node.num, 0), ...varintBytes(node.value, node.overlong));
        break;
      case 'fixed':
        out.push(...tagBytes(node.num, node.wide ? 1 : 5), ...node.bytes.subarray(0, node.wide ? 8 : 4));
        break;
      case 'bytes':
        out.push(...tagBytes(node.num, 2), ...varintBytes(BigInt(Math.max(0, node.content.length + node.lengthDelta)), 0), ...node.content);
        break;
      case 'group':
        out.push(...tagBytes(node.num, 3), ...protoBytes(node.children));
        if (node.end !== 'none') out.push(...tagBytes(node.end === 'match' ? node.num : node.otherNum, 4));
        break;
      case 'tag':
        out.push(...tagBytes(node.num, node.wire, node.overlong));
        break;
      case 'long-varint':
        // As a value after a tag, or (wire 3) as the tag itself.
        if (node.wire !== 3) out.push(...tagBytes(node.num, node.wire));
        out.push(...[...node.low].map((byte) => byte | 0x80), node.last);
        break;
      case 'raw':
        out.push(...node.bytes);
        break;
    }
  }
  return out;
}

interface StructuredControlInput {
  readonly nodes: readonly ProtoNode[];
  readonly mutations: readonly Mutation[];
}

const controlStructured = defineTarget<StructuredControlInput>({
  name: 'reverse-control-structured',
  summary: 'decodeControl on protobuf-shaped input (known and unknown fields, every wire type, nested and mismatched groups, overlong varints, lying lengths), mutated; checked against the protobuf-go reference',
  weight: 2,
  testRuns: 800,
  arbitrary: fc.record({ nodes: protoNodes, mutations: mutationsArbitrary(3) }),
  run(input) {
    return checkControl(applyMutations(Buffer.from(protoBytes(input.nodes)), input.mutations, 8192));
  },
});

// ---------------------------------------------------------------------------------------------
// Flow-control messages

interface FlowInput {
  readonly message: FlowMessage | undefined;
  readonly random: Buffer;
  readonly mutations: readonly Mutation[];
}

const flowMessages = defineTarget<FlowInput>({
  name: 'mux-flow-message',
  summary: 'decodeFlowMessage on random bytes and on mutated encodeFlowMessage output: never throws, accepts exactly the canonical encodings',
  weight: 1,
  testRuns: 800,
  arbitrary: fc.record({
    message: fc.option(
      fc.oneof(
        flowMessageArbitrary,
        fc.record({
          kind: fc.constant('window' as const),
          updates: fc.array(fc.record({ sessionId: fc.nat({ max: 0xffff }), increment: fc.nat({ max: 0xffffffff }) }), { minLength: MAX_UPDATES_PER_MESSAGE - 2, maxLength: MAX_UPDATES_PER_MESSAGE }),
        }),
      ),
      { nil: undefined, freq: 3 },
    ),
    random: randomBytesArbitrary(80),
    mutations: mutationsArbitrary(3),
  }),
  run(input) {
    const original = input.message ? encodeFlowMessage(input.message) : Buffer.concat([Buffer.from('PHFC\x02', 'latin1').subarray(0, input.random.length % 6), input.random]);
    const bytes = applyMutations(original, input.mutations, 9000);
    const decoded = noThrow('decodeFlowMessage', () => decodeFlowMessage(bytes));
    if (input.message && input.mutations.length === 0) checkEqual(decoded, input.message, 'untouched flow message');
    if (decoded === undefined) return 'ignored';
    const encoded = noThrow('encodeFlowMessage of a decoded message', () => encodeFlowMessage(decoded));
    check(encoded.equals(bytes), 'decodeFlowMessage accepted a non-canonical encoding');
    return decoded.kind;
  },
});

export const muxTargets: readonly FuzzTarget<unknown>[] = [readerRandom, readerMutated, controlRandom, controlStructured, flowMessages];
