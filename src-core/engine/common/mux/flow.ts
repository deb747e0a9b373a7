/**
 * Porthole's Mux.Cool extension: per-stream flow control between two Porthole peers, so one
 * stream whose reader stops does not stall its link (Mux.Cool itself has no per-stream window).
 * The messages (this file is their codec; flow-control.ts runs them on a connection).
 *
 * Negotiation (never visible to a 4.34 peer, which discards KeepAlive data):
 *   1. Each Porthole end's first frame on a connection is an `announce` carrying the window it
 *      grants the peer per stream. An end that has not written yet when the peer's announcement
 *      arrives sends its own then.
 *   2. An end turns flow control on when it sees the peer's announcement. A 4.34 peer never
 *      announces, so towards it flow control stays off.
 * After that, each receiver grants bytes back (`window` updates) as its reader consumes them, and
 * each sender keeps at most window − unacknowledged bytes in flight per stream.
 *
 * Messages travel as the data of a KeepAlive frame (status 0x04) on session 0:
 *
 *   off len field
 *   0   4   magic "PHFC"
 *   4   1   version 0x02
 *   5   1   type: 0x01 announce, 0x02 window update
 *   announce: 6 4  window (uint32): initial bytes the peer may have in flight per stream
 *   window:   6 2  count N (uint16), then N × { session ID (uint16), increment (uint32) }
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
/**
 * 0x02: announced by each end in its first frame. Version 0x01 was offered in the reverse Control
 * message and answered with the same type-0x01 bytes; a version-0x01 end ignores 0x02 messages,
 * and a version-0x02 end ignores 0x01 ones, so mixed ends both leave flow control off.
 */
export const FLOW_VERSION = 0x02;
const TYPE_ANNOUNCE = 0x01;
const TYPE_WINDOW = 0x02;
const HEADER_LENGTH = 6;
const ENTRY_LENGTH = 6;
/** Window updates that fit one frame's data. */
export const MAX_UPDATES_PER_MESSAGE = Math.floor((MAX_STREAM_DATA - HEADER_LENGTH - 2) / ENTRY_LENGTH);

export interface WindowUpdate {
  sessionId: number;
  increment: number;
}

export type FlowMessage = { kind: 'announce'; window: number } | { kind: 'window'; updates: WindowUpdate[] };

function header(type: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + length);
  FLOW_MAGIC.copy(out, 0);
  out[4] = FLOW_VERSION;
  out[5] = type;
  return out;
}

export function encodeFlowMessage(message: FlowMessage): Buffer {
  if (message.kind === 'announce') {
    const out = header(TYPE_ANNOUNCE, 4);
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
  if (data[5] === TYPE_ANNOUNCE) {
    return data.length === HEADER_LENGTH + 4 ? { kind: 'announce', window: data.readUInt32BE(HEADER_LENGTH) } : undefined;
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
