/**
 * Porthole's Mux.Cool extension: per-stream flow control between two Porthole peers, so one
 * stream whose reader stops does not stall its link (Mux.Cool itself has no per-stream window).
 *
 * Negotiation (never visible to a 4.34 peer):
 *   1. The portal offers a window in its first reverse Control message (protobuf field 1000,
 *      which a 4.34 bridge skips as unknown; see app/reverse/control.ts).
 *   2. A Porthole bridge answers with an `ack` carrying its own window. A 4.34 bridge answers
 *      nothing, so the portal never sends it anything else.
 * After that, each receiver grants bytes back (`window` updates) as its reader consumes them, and
 * each sender keeps at most window − unacknowledged bytes in flight per stream.
 *
 * Messages travel as the data of a KeepAlive frame (status 0x04) on session 0:
 *
 *   off len field
 *   0   4   magic "PHFC"
 *   4   1   version 0x01
 *   5   1   type: 0x01 ack, 0x02 window update
 *   ack:    6 4  window (uint32): initial bytes the sender may have in flight per stream
 *   window: 6 2  count N (uint16), then N × { session ID (uint16), increment (uint32) }
 *
 * All integers are big-endian, like the rest of Mux.Cool.
 */
import { MAX_STREAM_DATA } from './consts.js';

/**
 * Per-stream window. Large enough that one stream still fills a long fat link (2 MiB in flight is
 * 160 Mbit/s at 100 ms RTT), small enough that a stuck reader parks little memory.
 */
export const DEFAULT_FLOW_WINDOW = 2 * 1024 * 1024;

export const FLOW_MAGIC = Buffer.from('PHFC', 'latin1');
export const FLOW_VERSION = 0x01;
const TYPE_ACK = 0x01;
const TYPE_WINDOW = 0x02;
const HEADER_LENGTH = 6;
const ENTRY_LENGTH = 6;
/** Window updates that fit one frame's data. */
export const MAX_UPDATES_PER_MESSAGE = Math.floor((MAX_STREAM_DATA - HEADER_LENGTH - 2) / ENTRY_LENGTH);

export interface WindowUpdate {
  sessionId: number;
  increment: number;
}

export type FlowMessage = { kind: 'ack'; window: number } | { kind: 'window'; updates: WindowUpdate[] };

function header(type: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + length);
  FLOW_MAGIC.copy(out, 0);
  out[4] = FLOW_VERSION;
  out[5] = type;
  return out;
}

export function encodeFlowMessage(message: FlowMessage): Buffer {
  if (message.kind === 'ack') {
    const out = header(TYPE_ACK, 4);
    out.writeUInt32BE(message.window, HEADER_LENGTH);
    return out;
  }
  const out = header(TYPE_WINDOW, 2 + message.updates.length * ENTRY_LENGTH);
  out.writeUInt16BE(message.updates.length, HEADER_LENGTH);
  let at = HEADER_LENGTH + 2;
  for (const update of message.updates) {
    out.writeUInt16BE(update.sessionId, at);
    out.writeUInt32BE(update.increment, at + 2);
    at += ENTRY_LENGTH;
  }
  return out;
}

/** Decodes a KeepAlive payload; undefined when it is not a well-formed Porthole flow message. */
export function decodeFlowMessage(data: Buffer): FlowMessage | undefined {
  if (data.length < HEADER_LENGTH || !data.subarray(0, 4).equals(FLOW_MAGIC) || data[4] !== FLOW_VERSION) return undefined;
  if (data[5] === TYPE_ACK) {
    return data.length === HEADER_LENGTH + 4 ? { kind: 'ack', window: data.readUInt32BE(HEADER_LENGTH) } : undefined;
  }
  if (data[5] !== TYPE_WINDOW || data.length < HEADER_LENGTH + 2) return undefined;
  const count = data.readUInt16BE(HEADER_LENGTH);
  if (data.length !== HEADER_LENGTH + 2 + count * ENTRY_LENGTH) return undefined;
  const updates: WindowUpdate[] = [];
  for (let i = 0, at = HEADER_LENGTH + 2; i < count; i += 1, at += ENTRY_LENGTH) {
    updates.push({ sessionId: data.readUInt16BE(at), increment: data.readUInt32BE(at + 2) });
  }
  return { kind: 'window', updates };
}
