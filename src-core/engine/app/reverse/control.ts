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
import { BugError } from '../../common/errors.js';
import {
  WIRE_BYTES, WIRE_VARINT, encodeInt32Varint, encodeVarint, readLength, readTag, readVarint, skipField,
} from './protowire.js';

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
  /** Porthole extension: the portal takes exposure requests (a Porthole portal always says so). */
  readonly exposureOffer?: boolean;
  /** Porthole extension: answers to the bridge's exposure requests (encoded `ExposureReply`s). */
  readonly exposureReplies?: readonly Buffer[];
}

/** What a Porthole portal may add to a Control message; a 4.34 bridge skips all of it. */
export interface ControlExtension {
  exposureOffer?: boolean;
  exposureReplies?: readonly Buffer[];
}

/**
 * Porthole exposure extension, far from V2Ray's field numbers 1 and 99: the offer (varint 1) and
 * the replies (repeated bytes). Field 1000 carried an older flow-control offer; it is skipped.
 */
export const EXPOSURE_OFFER_FIELD = 1001;
export const EXPOSURE_REPLY_FIELD = 1002;

/** 4.34 `dice.Roll(64)`: up to this many random bytes (exclusive). */
export const CONTROL_RANDOM_LIMIT = 64;

const STATE_TAG = (1 << 3) | 0;
const RANDOM_FIELD = 99;

/** 0–63 random bytes, as the portal's heartbeat draws them. */
export function randomControlPadding(): Buffer {
  return randomBytes(randomInt(CONTROL_RANDOM_LIMIT));
}

/**
 * Encodes a Control message as proto.Marshal does (field 1, then field 99). Without `random`, draws
 * 0–63 random bytes as 4.34 does.
 */
export function encodeControl(state: number, random: Buffer = randomControlPadding(), extension: ControlExtension = {}): Buffer {
  if (!Number.isInteger(state) || state < -(2 ** 31) || state > 2 ** 31 - 1) {
    throw new BugError(`reverse: control state ${state} is not an int32`);
  }
  const parts: Buffer[] = [];
  if (state !== ControlState.Active) parts.push(Buffer.of(STATE_TAG), encodeInt32Varint(state));
  if (random.length > 0) {
    parts.push(encodeVarint((RANDOM_FIELD << 3) | WIRE_BYTES), encodeVarint(random.length), random);
  }
  if (extension.exposureOffer) parts.push(encodeVarint((EXPOSURE_OFFER_FIELD << 3) | WIRE_VARINT), encodeVarint(1));
  for (const reply of extension.exposureReplies ?? []) {
    parts.push(encodeVarint((EXPOSURE_REPLY_FIELD << 3) | WIRE_BYTES), encodeVarint(reply.length), reply);
  }
  return Buffer.concat(parts);
}

/** Decodes a Control message. Throws `PortholeError` (PH_MUX_BAD_FRAME) when it is malformed, nothing else. */
export function decodeControl(bytes: Buffer): ControlMessage {
  let state = 0;
  let random: Buffer = Buffer.alloc(0);
  let exposureOffer = false;
  const exposureReplies: Buffer[] = [];
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
    } else if (number === EXPOSURE_OFFER_FIELD && wireType === WIRE_VARINT) {
      const value = readVarint(bytes, at);
      exposureOffer = value.low !== 0 || value.high !== 0;
      at = value.end;
    } else if (number === EXPOSURE_REPLY_FIELD && wireType === WIRE_BYTES) {
      const { start, end: stop } = readLength(bytes, at);
      exposureReplies.push(bytes.subarray(start, stop));
      at = stop;
    } else {
      at = skipField(bytes, at, number, wireType);
    }
  }
  return {
    state,
    random,
    ...(exposureOffer ? { exposureOffer } : {}),
    ...(exposureReplies.length > 0 ? { exposureReplies } : {}),
  };
}


