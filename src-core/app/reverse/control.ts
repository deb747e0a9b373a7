/**
 * The reverse proxy's control message (shared/docs/v2ray-wire-protocol.md §5.3; v4.34.0
 * `app/reverse/config.proto`, `config.go` `FillInRandom`, `portal.go` `heartbeat`, `bridge.go`
 * `handleInternalConn`): protobuf `v2ray.core.app.reverse.Control`, proto3.
 *
 *   field 1  `state`   varint (wire type 0), enum State { ACTIVE = 0; DRAIN = 1 }; omitted when ACTIVE
 *   field 99 `random`  bytes  (wire type 2), 0–63 random bytes; omitted when empty
 *
 *   DRAIN:   08 01 ‖ 9a 06 ‖ len ‖ random…
 *   ACTIVE:  9a 06 ‖ len ‖ random…      (or nothing at all: a 0-byte message is ACTIVE)
 *
 * One message travels per Mux.Cool frame on session 1. Decoding follows protobuf-go: fields in any
 * order, the last occurrence wins, unknown fields (and known fields with an unexpected wire type) are
 * skipped whatever their wire type, groups included; a truncated or overlong varint, a length past the
 * end, field number 0 or above 2^29−1, wire types 6 and 7 and an unmatched end-group are errors.
 * The enum is open: any int32 `state` is kept (4.34's bridge treats every non-ACTIVE value as not active).
 */

import { randomBytes, randomInt } from 'node:crypto';
import { BugError, PortholeError } from '../../common/errors.js';

/** `Control.State`. */
export const ControlState = {
  Active: 0,
  Drain: 1,
} as const;
export type ControlState = (typeof ControlState)[keyof typeof ControlState];

/** A decoded Control message. */
export interface ControlMessage {
  /** An int32; 0 (ACTIVE) and 1 (DRAIN) are the defined values. */
  readonly state: number;
  /** The padding; a view into the decoded buffer. */
  readonly random: Buffer;
  /**
   * Porthole extension: the per-stream flow-control window a Porthole portal offers. A 4.34
   * bridge skips the field as an unknown protobuf field, so only Porthole bridges see it.
   */
  readonly flowWindow?: number;
}

/** Field number of the Porthole flow-control offer (far from V2Ray's 1 and 99). */
export const FLOW_WINDOW_FIELD = 1000;

/** 4.34 `dice.Roll(64)`: up to this many random bytes (exclusive). */
export const CONTROL_RANDOM_LIMIT = 64;

const STATE_TAG = (1 << 3) | 0;
const RANDOM_FIELD = 99;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
const MAX_FIELD_NUMBER = 2 ** 29 - 1;
/** protowire's default recursion limit for nested groups. */
const MAX_GROUP_DEPTH = 10_000;

/** 0–63 random bytes, as the portal's heartbeat draws them. */
export function randomControlPadding(): Buffer {
  return randomBytes(randomInt(CONTROL_RANDOM_LIMIT));
}

/**
 * Encodes a Control message as proto.Marshal does (field 1, then field 99). Without `random`, draws
 * 0–63 random bytes as 4.34 does.
 */
export function encodeControl(state: number, random: Buffer = randomControlPadding(), extension: { flowWindow?: number } = {}): Buffer {
  if (!Number.isInteger(state) || state < -(2 ** 31) || state > 2 ** 31 - 1) {
    throw new BugError(`reverse: control state ${state} is not an int32`);
  }
  const parts: Buffer[] = [];
  if (state !== ControlState.Active) parts.push(Buffer.of(STATE_TAG), encodeInt32Varint(state));
  if (random.length > 0) {
    parts.push(encodeVarint((RANDOM_FIELD << 3) | WIRE_BYTES), encodeVarint(random.length), random);
  }
  if (extension.flowWindow !== undefined) parts.push(encodeVarint((FLOW_WINDOW_FIELD << 3) | WIRE_VARINT), encodeVarint(extension.flowWindow));
  return Buffer.concat(parts);
}

/** Decodes a Control message. Throws `PortholeError` (PH_MUX_BAD_FRAME) when it is malformed, nothing else. */
export function decodeControl(bytes: Buffer): ControlMessage {
  let state = 0;
  let random: Buffer = Buffer.alloc(0);
  let flowWindow: number | undefined;
  let at = 0;
  while (at < bytes.length) {
    const { number, wireType, end } = readTag(bytes, at);
    at = end;
    if (number === 1 && wireType === WIRE_VARINT) {
      const value = readVarint(bytes, at);
      state = value.low | 0;
      at = value.end;
    } else if (number === RANDOM_FIELD && wireType === WIRE_BYTES) {
      const { start, end: stop } = readLength(bytes, at);
      random = bytes.subarray(start, stop);
      at = stop;
    } else if (number === FLOW_WINDOW_FIELD && wireType === WIRE_VARINT) {
      const value = readVarint(bytes, at);
      flowWindow = value.high === 0 ? value.low : undefined;
      at = value.end;
    } else {
      at = skipField(bytes, at, number, wireType);
    }
  }
  return flowWindow === undefined ? { state, random } : { state, random, flowWindow };
}

interface Varint {
  /** Low 32 bits, unsigned. */
  readonly low: number;
  /** High 32 bits, unsigned. */
  readonly high: number;
  readonly end: number;
}

/** protowire `ConsumeVarint`: at most 10 bytes, the 10th ≤ 1. */
function readVarint(bytes: Buffer, offset: number): Varint {
  let low = 0;
  let high = 0;
  for (let i = 0; i < 10; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) throw malformed('truncated varint');
    const bits = byte & 0x7f;
    if (i < 4) {
      low |= bits << (7 * i);
    } else if (i === 4) {
      low |= (bits & 0x0f) << 28;
      high |= bits >>> 4;
    } else {
      if (i === 9 && byte > 1) throw malformed('varint overflows 64 bits');
      high |= bits << (7 * i - 32);
    }
    if (byte < 0x80) return { low: low >>> 0, high: high >>> 0, end: offset + i + 1 };
  }
  throw malformed('varint longer than 10 bytes');
}

/** Inside a skipped group protobuf-go checks field numbers only against the int32 range. */
const MAX_GROUP_FIELD_NUMBER = 2 ** 31 - 1;

function readTag(bytes: Buffer, offset: number, maxNumber = MAX_FIELD_NUMBER): { number: number; wireType: number; end: number } {
  const { low, high, end } = readVarint(bytes, offset);
  // The tag is a varint up to 64 bits; field number = tag >> 3 (high bits included).
  const number = high * 2 ** 29 + (low >>> 3);
  if (number < 1 || number > maxNumber) throw malformed('invalid field number');
  return { number, wireType: low & 7, end };
}

function readLength(bytes: Buffer, offset: number): { start: number; end: number } {
  const { low, high, end } = readVarint(bytes, offset);
  if (high !== 0 || low > bytes.length - end) throw malformed('length past the end');
  return { start: end, end: end + low };
}

/** protowire `ConsumeFieldValue`; groups are skipped with an explicit stack, not recursion. */
function skipField(bytes: Buffer, offset: number, number: number, wireType: number): number {
  const groups: number[] = [];
  let at = offset;
  let currentNumber = number;
  let currentType = wireType;
  for (;;) {
    switch (currentType) {
      case WIRE_VARINT:
        at = readVarint(bytes, at).end;
        break;
      case WIRE_FIXED64:
        if (at + 8 > bytes.length) throw malformed('truncated fixed64');
        at += 8;
        break;
      case WIRE_FIXED32:
        if (at + 4 > bytes.length) throw malformed('truncated fixed32');
        at += 4;
        break;
      case WIRE_BYTES:
        at = readLength(bytes, at).end;
        break;
      case WIRE_START_GROUP:
        if (groups.length >= MAX_GROUP_DEPTH) throw malformed('groups nested too deep');
        groups.push(currentNumber);
        break;
      case WIRE_END_GROUP:
        if (groups.pop() !== currentNumber) throw malformed('unmatched end group');
        break;
      default:
        throw malformed(`reserved wire type ${currentType}`);
    }
    if (groups.length === 0) return at;
    if (at >= bytes.length) throw malformed('truncated group');
    const tag = readTag(bytes, at, MAX_GROUP_FIELD_NUMBER);
    at = tag.end;
    currentNumber = tag.number;
    currentType = tag.wireType;
  }
}

function encodeVarint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** An int32 enum as protobuf writes it: negative values sign-extended to 64 bits (10 bytes). */
function encodeInt32Varint(value: number): Buffer {
  return value >= 0 ? encodeVarint(value) : encodeUint64Varint(BigInt.asUintN(64, BigInt(value)));
}

function encodeUint64Varint(value: bigint): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

function malformed(what: string): PortholeError {
  return new PortholeError('PH_MUX_BAD_FRAME', `reverse: bad control message: ${what}`);
}
