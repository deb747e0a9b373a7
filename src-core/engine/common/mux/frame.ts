/**
 * Mux.Cool frames (shared/docs/v2ray-wire-protocol.md §4.2; v4.34.0 `common/mux/frame.go`, `writer.go`).
 *
 *   off  len  field
 *   0    2    ML: metadata length, counted from the session ID to the end of the address
 *   2    2    session ID
 *   4    1    status: 0x01 New, 0x02 Keep, 0x03 End, 0x04 KeepAlive
 *   5    1    option bits: 0x01 Data, 0x02 Error
 *   6    1    New only: network 0x01 TCP, 0x02 UDP
 *   7    2    New only: port
 *   9    1+n  New only: address (see address.ts)
 *   2+ML 2    if Data: data length D
 *   4+ML D    if Data: data
 *
 * Example, New + Data to TCP example.com:443 on session 1:
 *   0014 0001 01 01 01 01bb 02 0b "example.com" 0005 "hello"
 *
 * A stream (TCP) writer puts at most 8192 bytes in a frame and splits larger payloads; a packet (UDP)
 * session carries one datagram (≤ 2048 bytes) per frame. Everything is big-endian. There is no
 * Global ID / XUDP field in 4.34.
 */

import { BugError, PortholeError } from '../errors.js';
import { PieceCursor, totalLength } from '../pieces.js';
import { type MuxAddress, decodeAddress, encodeAddress } from './address.js';
import {
  MAX_FRAME_DATA,
  MAX_METADATA_LENGTH,
  MAX_STREAM_DATA,
  MIN_METADATA_LENGTH,
  PORTHOLE_STREAM_DATA,
  MIN_NEW_METADATA_LENGTH,
} from './consts.js';

/** Session status byte. */
export const FrameStatus = {
  New: 0x01,
  Keep: 0x02,
  End: 0x03,
  KeepAlive: 0x04,
} as const;
export type FrameStatus = (typeof FrameStatus)[keyof typeof FrameStatus];

/** Option bits. Unknown bits are kept as they are (4.34 ignores them). */
export const FrameOption = {
  Data: 0x01,
  Error: 0x02,
} as const;
export type FrameOption = (typeof FrameOption)[keyof typeof FrameOption];

/** Network byte of a New frame. */
export const TargetNetwork = {
  TCP: 0x01,
  UDP: 0x02,
} as const;
export type TargetNetwork = (typeof TargetNetwork)[keyof typeof TargetNetwork];

/** Where a New frame asks the peer to connect. */
export interface MuxTarget {
  readonly network: TargetNetwork;
  readonly address: MuxAddress;
  /** 0–65535. */
  readonly port: number;
}

/** Metadata of a New frame: it alone carries a target. */
export interface NewFrameMetadata {
  readonly sessionId: number;
  readonly status: typeof FrameStatus.New;
  /** Option byte as on the wire; see {@link FrameOption}. */
  readonly option: number;
  readonly target: MuxTarget;
}

/** Metadata of a Keep, End or KeepAlive frame (any extra metadata bytes were skipped). */
export interface FollowupFrameMetadata {
  readonly sessionId: number;
  readonly status: typeof FrameStatus.Keep | typeof FrameStatus.End | typeof FrameStatus.KeepAlive;
  /** Option byte as on the wire; see {@link FrameOption}. */
  readonly option: number;
}

/** Everything in a frame except its data. */
export type FrameMetadata = NewFrameMetadata | FollowupFrameMetadata;

/** One parsed frame. `data` is present exactly when the Data option bit is set (it may be empty). */
export interface MuxFrame {
  readonly meta: FrameMetadata;
  readonly data?: Buffer;
}

/** True when `option` bit `bit` is set in the frame's metadata. */
export function hasOption(meta: Pick<FrameMetadata, 'option'>, bit: FrameOption): boolean {
  return (meta.option & bit) !== 0;
}

/** Size of the metadata (the ML value) that `meta` encodes to. */
function metadataLength(meta: FrameMetadata, address: Buffer | undefined): number {
  return meta.status === FrameStatus.New ? MIN_METADATA_LENGTH + 1 + 2 + (address?.length ?? 0) : MIN_METADATA_LENGTH;
}

/**
 * Encodes ML + metadata, and, when `dataLength` is given, the Data option bit and the data length field.
 * The data itself is not included, so a caller can `writev([header, data])` without copying the payload.
 * The Data bit on the wire follows `dataLength`, whatever `meta.option` says; other bits come from
 * `meta.option`. Throws `PortholeError` (PH_MUX_BAD_FRAME) for a target a 4.34 peer would reject, and
 * `BugError` for out-of-range numbers.
 */
export function encodeFrameHeader(meta: FrameMetadata, dataLength?: number): Buffer {
  checkUint16(meta.sessionId, 'session ID');
  if (!Number.isInteger(meta.option) || meta.option < 0 || meta.option > 0xff) {
    throw new BugError(`mux: option ${meta.option} is not a byte`);
  }
  if (dataLength !== undefined) checkUint16(dataLength, 'data length');
  const address = meta.status === FrameStatus.New ? encodeAddress(meta.target.address) : undefined;
  const ml = metadataLength(meta, address);
  const header = Buffer.allocUnsafe(2 + ml + (dataLength === undefined ? 0 : 2));
  header.writeUInt16BE(ml, 0);
  header.writeUInt16BE(meta.sessionId, 2);
  header[4] = meta.status;
  header[5] = dataLength === undefined ? meta.option & ~FrameOption.Data : meta.option | FrameOption.Data;
  let at = 6;
  if (meta.status === FrameStatus.New && address) {
    const { network, port } = meta.target;
    if (network !== TargetNetwork.TCP && network !== TargetNetwork.UDP) {
      throw new BugError(`mux: unknown network ${String(network)}`);
    }
    checkUint16(port, 'port');
    header[at] = network;
    header.writeUInt16BE(port, at + 1);
    address.copy(header, at + 3);
    at += 3 + address.length;
  }
  if (dataLength !== undefined) header.writeUInt16BE(dataLength, at);
  return header;
}

/** One frame in one Buffer: metadata, then (when `data` is given) its length and a copy of it. */
export function encodeFrame(meta: FrameMetadata, data?: Buffer): Buffer {
  const header = encodeFrameHeader(meta, data?.length);
  return data === undefined ? header : Buffer.concat([header, data], header.length + data.length);
}

/**
 * A stream payload as frames of at most 8192 bytes, the way 4.34's `Writer.WriteMultiBuffer` splits it.
 * The result alternates header and payload view (`[header, view, header, view, …]`); the views are
 * `subarray`s of `payload`, never copies, so keep `payload` unchanged until they are written.
 * With status New, the first frame is New (to `target`) and the rest are Keep, as 4.34 sends them.
 * An empty payload gives one frame without the Data bit (4.34's `writeMetaOnly`).
 */
export function encodeDataFrames(
  sessionId: number,
  status: FrameStatus,
  payload: Buffer,
  target?: MuxTarget,
): Buffer[] {
  if (status === FrameStatus.New && target === undefined) throw new BugError('mux: a New frame needs a target');
  const metaFor = (first: boolean): FrameMetadata =>
    first && status === FrameStatus.New && target
      ? { sessionId, status: FrameStatus.New, option: 0, target }
      : { sessionId, status: status === FrameStatus.New ? FrameStatus.Keep : status, option: 0 };
  if (payload.length === 0) return [encodeFrameHeader(metaFor(true))];
  const out: Buffer[] = [];
  for (let at = 0; at < payload.length; at += MAX_STREAM_DATA) {
    const view = payload.subarray(at, Math.min(at + MAX_STREAM_DATA, payload.length));
    out.push(encodeFrameHeader(metaFor(at === 0), view.length), view);
  }
  return out;
}

/** Header of a Keep + Data frame: ML (4) ‖ session ID ‖ 02 ‖ 01 ‖ D. */
const KEEP_DATA_HEADER_LENGTH = 2 + MIN_METADATA_LENGTH + 2;

/**
 * A stream payload as frames of at most `maxFrameData` bytes, packed into one Buffer: each header
 * followed by a copy of its part of the payload. The first frame is New to `target` when one is
 * given (an opener's first write), the rest Keep. Same bytes as {@link encodeDataFrames} joined,
 * for `maxFrameData` = 8192. One buffer costs a copy, but it crosses the link and the VMess
 * encoder as one write instead of a header and a view per frame, which costs more for a small
 * payload (a large one goes as {@link dataFramePieces}). The payload may come in pieces (a batch
 * of writes): they are framed as if joined, still with one copy.
 */
export function packDataFrames(sessionId: number, payload: Buffer | readonly Buffer[], maxFrameData: number, target?: MuxTarget): Buffer {
  const pieces = Buffer.isBuffer(payload) ? [payload] : payload;
  const { firstMeta, total } = dataFramePlan(sessionId, pieces, maxFrameData, target);
  if (total === 0) return encodeFrameHeader(firstMeta);
  const first = encodeFrameHeader(firstMeta, Math.min(maxFrameData, total));
  const keepFrames = Math.ceil(total / maxFrameData) - 1;
  const out = Buffer.allocUnsafe(first.length + total + keepFrames * KEEP_DATA_HEADER_LENGTH);
  let at = 0;
  const cursor = new PieceCursor(pieces);
  for (let from = 0; from < total; from += maxFrameData) {
    const length = Math.min(maxFrameData, total - from);
    at = from === 0 ? first.copy(out, 0) : writeKeepDataHeader(out, at, sessionId, length);
    at = cursor.copyTo(length, out, at);
  }
  return out;
}

/**
 * The frames of {@link packDataFrames}, as pieces to be written in order instead of one buffer:
 * each frame's header, then views of the payload's pieces (a frame may take from two pieces).
 * Nothing of the payload is copied, so keep its pieces unchanged until they are written. Worth it
 * for a large payload, whose copy costs more than the extra pieces: a VMess encoder seals from
 * pieces directly (BodyEncoder.encode).
 */
export function dataFramePieces(sessionId: number, payload: readonly Buffer[], maxFrameData: number, target?: MuxTarget): Buffer[] {
  const { firstMeta, total } = dataFramePlan(sessionId, payload, maxFrameData, target);
  if (total === 0) return [encodeFrameHeader(firstMeta)];
  const out: Buffer[] = [];
  // All Keep headers in one small buffer, handed out as views.
  const keepHeaders = Buffer.allocUnsafe((Math.ceil(total / maxFrameData) - 1) * KEEP_DATA_HEADER_LENGTH);
  let headerAt = 0;
  const cursor = new PieceCursor(payload);
  const view = (source: Buffer, from: number, to: number): void => {
    out.push(to - from === source.length ? source : source.subarray(from, to));
  };
  for (let from = 0; from < total; from += maxFrameData) {
    const length = Math.min(maxFrameData, total - from);
    if (from === 0) {
      out.push(encodeFrameHeader(firstMeta, length));
    } else {
      const end = writeKeepDataHeader(keepHeaders, headerAt, sessionId, length);
      out.push(keepHeaders.subarray(headerAt, end));
      headerAt = end;
    }
    cursor.take(length, view);
  }
  return out;
}

/**
 * A write of at least this many bytes leaves as frame headers and views of its data
 * ({@link dataFramePieces}), which the link's VMess encoder seals without joining; a smaller one is
 * packed into one buffer ({@link packDataFrames}), since copying a few KiB costs less than writing
 * several pieces.
 */
export const GATHER_MIN_BYTES = 16 * 1024;

/**
 * One write of a byte-stream session (`length` payload bytes) as frames, New first when `target`
 * is given: split at 8192 bytes, or at `PORTHOLE_STREAM_DATA` towards a Porthole peer (one that
 * agreed to flow control); nothing for no bytes.
 */
export function streamDataFrames(sessionId: number, payload: Buffer | readonly Buffer[], length: number, portholePeer: boolean, target?: MuxTarget): Buffer[] {
  if (length === 0) return [];
  const maxFrameData = portholePeer ? PORTHOLE_STREAM_DATA : MAX_STREAM_DATA;
  if (length < GATHER_MIN_BYTES) return [packDataFrames(sessionId, payload, maxFrameData, target)];
  return dataFramePieces(sessionId, Buffer.isBuffer(payload) ? [payload] : payload, maxFrameData, target);
}

/** What both data-frame encoders need first: the limit checked, the first frame's metadata, the payload's size. */
function dataFramePlan(sessionId: number, pieces: readonly Buffer[], maxFrameData: number, target: MuxTarget | undefined): { firstMeta: FrameMetadata; total: number } {
  if (!Number.isInteger(maxFrameData) || maxFrameData < 1 || maxFrameData > MAX_FRAME_DATA) {
    throw new BugError(`mux: frame data limit ${maxFrameData} is not in 1…${MAX_FRAME_DATA}`);
  }
  const total = totalLength(pieces);
  const firstMeta: FrameMetadata =
    target === undefined
      ? { sessionId, status: FrameStatus.Keep, option: 0 }
      : { sessionId, status: FrameStatus.New, option: 0, target };
  return { firstMeta, total };
}

/** Writes a Keep + Data header (ML = 4) for `length` bytes at `out[at…]`; returns where it ends. */
function writeKeepDataHeader(out: Buffer, at: number, sessionId: number, length: number): number {
  out.writeUInt16BE(MIN_METADATA_LENGTH, at);
  out.writeUInt16BE(sessionId, at + 2);
  out[at + 4] = FrameStatus.Keep;
  out[at + 5] = FrameOption.Data;
  out.writeUInt16BE(length, at + 6);
  return at + KEEP_DATA_HEADER_LENGTH;
}

/**
 * Parses the ML bytes of metadata that follow the length field (Go `UnmarshalFromBuffer`, plus the
 * status check that 4.34 does right after it). Extra bytes after the address, or after the option byte of
 * a non-New frame, are skipped. Throws `PortholeError` (PH_MUX_BAD_FRAME), never anything else.
 */
export function decodeFrameMetadata(metadata: Buffer): FrameMetadata {
  if (metadata.length > MAX_METADATA_LENGTH) {
    throw badFrame(`metadata length ${metadata.length} exceeds ${MAX_METADATA_LENGTH}`);
  }
  if (metadata.length < MIN_METADATA_LENGTH) throw badFrame(`metadata length ${metadata.length} is below 4`);
  const sessionId = metadata.readUInt16BE(0);
  const status = metadata[2] ?? 0;
  const option = metadata[3] ?? 0;
  switch (status) {
    case FrameStatus.Keep:
    case FrameStatus.End:
    case FrameStatus.KeepAlive:
      return { sessionId, status, option };
    case FrameStatus.New:
      break;
    default:
      throw badFrame(`unknown status 0x${status.toString(16).padStart(2, '0')}`);
  }
  if (metadata.length < MIN_NEW_METADATA_LENGTH) {
    throw badFrame(`New metadata length ${metadata.length} is below 8`);
  }
  const network = metadata[4] ?? 0;
  const port = metadata.readUInt16BE(5);
  const { address } = decodeAddress(metadata, 7);
  if (network !== TargetNetwork.TCP && network !== TargetNetwork.UDP) {
    throw badFrame(`unknown network type ${network}`);
  }
  return { sessionId, status, option, target: { network, address, port } };
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_FRAME_DATA) {
    throw new BugError(`mux: ${what} ${value} is not a uint16`);
  }
}

function badFrame(what: string): PortholeError {
  return new PortholeError('PH_MUX_BAD_FRAME', `mux: bad frame: ${what}`);
}
