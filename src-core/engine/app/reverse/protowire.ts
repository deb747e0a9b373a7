/**
 * Protobuf wire primitives (protowire's rules, as protobuf-go applies them) shared by the reverse
 * proxy's Control message and Porthole's exposure extension: varints, tags, lengths, skipping
 * unknown fields (groups included), and small encoders. Malformed input throws
 * `PortholeError('PH_MUX_BAD_FRAME')` and nothing else.
 */
import { PortholeError } from '../../common/errors.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;
export const MAX_FIELD_NUMBER = 2 ** 29 - 1;
/** protowire's default recursion limit for nested groups. */
const MAX_GROUP_DEPTH = 10_000;

export interface Varint {
  /** Low 32 bits, unsigned. */
  readonly low: number;
  /** High 32 bits, unsigned. */
  readonly high: number;
  readonly end: number;
}

/** protowire `ConsumeVarint`: at most 10 bytes, the 10th ≤ 1. */
export function readVarint(bytes: Buffer, offset: number): Varint {
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

export function readTag(bytes: Buffer, offset: number, maxNumber = MAX_FIELD_NUMBER): { number: number; wireType: number; end: number } {
  const { low, high, end } = readVarint(bytes, offset);
  // The tag is a varint up to 64 bits; field number = tag >> 3 (high bits included).
  const number = high * 2 ** 29 + (low >>> 3);
  if (number < 1 || number > maxNumber) throw malformed('invalid field number');
  return { number, wireType: low & 7, end };
}

export function readLength(bytes: Buffer, offset: number): { start: number; end: number } {
  const { low, high, end } = readVarint(bytes, offset);
  if (high !== 0 || low > bytes.length - end) throw malformed('length past the end');
  return { start: end, end: end + low };
}

/** protowire `ConsumeFieldValue`; groups are skipped with an explicit stack, not recursion. */
export function skipField(bytes: Buffer, offset: number, number: number, wireType: number): number {
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

export function encodeVarint(value: number): Buffer {
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
export function encodeInt32Varint(value: number): Buffer {
  return value >= 0 ? encodeVarint(value) : encodeUint64Varint(BigInt.asUintN(64, BigInt(value)));
}

export function encodeUint64Varint(value: bigint): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}


/** A field of a message: varints as a number (only when they fit 32 bits unsigned), bytes as a view. */
export type ProtoField =
  | { readonly number: number; readonly wireType: typeof WIRE_VARINT; readonly value: number | undefined }
  | { readonly number: number; readonly wireType: typeof WIRE_BYTES; readonly value: Buffer };

/**
 * Every varint and length-delimited field in order (repeated fields appear repeatedly); others
 * are skipped as protobuf-go skips unknown fields.
 */
export function readFields(bytes: Buffer, what: string): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  try {
    while (at < bytes.length) {
      const { number, wireType, end } = readTag(bytes, at);
      at = end;
      if (wireType === WIRE_VARINT) {
        const value = readVarint(bytes, at);
        fields.push({ number, wireType, value: value.high === 0 ? value.low : undefined });
        at = value.end;
      } else if (wireType === WIRE_BYTES) {
        const { start, end: stop } = readLength(bytes, at);
        fields.push({ number, wireType, value: bytes.subarray(start, stop) });
        at = stop;
      } else {
        at = skipField(bytes, at, number, wireType);
      }
    }
  } catch (error) {
    if (error instanceof PortholeError) throw new PortholeError('PH_MUX_BAD_FRAME', `${what}: ${error.message.replace(/^reverse: bad control message: /, '')}`);
    throw error;
  }
  return fields;
}

/** A varint field (non-negative integer below 2^53). */
export function varintField(number: number, value: number): Buffer {
  return Buffer.concat([encodeVarint((number << 3) | WIRE_VARINT), encodeVarint(value)]);
}

/** A length-delimited field (bytes, a string as UTF-8, or an embedded message). */
export function bytesField(number: number, value: Buffer | string): Buffer {
  const payload = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([encodeVarint(number * 8 + WIRE_BYTES), encodeVarint(payload.length), payload]);
}

function malformed(what: string): PortholeError {
  return new PortholeError('PH_MUX_BAD_FRAME', `reverse: bad control message: ${what}`);
}
