/**
 * Shared pieces of the fuzz targets: byte mutations, ways to split a byte stream into pushes, and
 * the checks that turn "a decoder misbehaved" into a thrown {@link FuzzViolation}.
 *
 * Every random choice comes from fast-check, so a seed and a path replay a run exactly.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { ERROR_CODES, PortholeError, type ErrorCode } from '../../engine/common/errors.js';

/** A broken property: what the target expected and what the decoder did instead. */
export class FuzzViolation extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FuzzViolation';
  }
}

export function check(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new FuzzViolation(typeof message === 'string' ? message : message());
}

/**
 * Deep equality of plain data: objects compare by own enumerable keys whatever their prototype
 * (fast-check builds records without one), byte arrays by content.
 */
export function sameData(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(plain(a), plain(b));
}

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = plain(item);
    return out;
  }
  return value;
}

export function checkEqual(actual: unknown, expected: unknown, what: string): void {
  if (!sameData(actual, expected)) {
    throw new FuzzViolation(`${what}: expected ${describeValue(expected)}, got ${describeValue(actual)}`);
  }
}

/** True for a PortholeError with one of the stable `PH_` codes. */
export function isPortholeError(error: unknown): error is PortholeError {
  return (
    error instanceof PortholeError &&
    typeof error.code === 'string' &&
    error.code.startsWith('PH_') &&
    (ERROR_CODES as readonly string[]).includes(error.code)
  );
}

export type Guarded<R> = { ok: true; value: R } | { ok: false; error: PortholeError };

/**
 * Calls a decoder. A `PortholeError` whose code is in `allowed` comes back as `{ ok: false }`;
 * anything else that is thrown (a TypeError, a RangeError, a BugError, a PortholeError with a code
 * the decoder's contract does not allow) is a violation.
 */
export function guard<R>(what: string, allowed: readonly ErrorCode[], call: () => R): Guarded<R> {
  try {
    return { ok: true, value: call() };
  } catch (error) {
    if (isPortholeError(error) && allowed.includes(error.code)) return { ok: false, error };
    const contract = allowed.length === 0 ? 'must never throw' : `may only throw PortholeError ${allowed.join(' | ')}`;
    throw new FuzzViolation(`${what} ${contract}, but threw ${describeError(error)}`, { cause: error });
  }
}

/** Calls something that must never throw (a decoder that reports errors, or an encoder fed valid data). */
export function noThrow<R>(what: string, call: () => R): R {
  const result = guard(what, [], call);
  if (!result.ok) throw new FuzzViolation(`${what} must never throw`);
  return result.value;
}

/** Checks that a reported (returned) error is a PortholeError with an allowed code. */
export function checkReported(what: string, error: unknown, allowed: readonly ErrorCode[]): asserts error is PortholeError {
  check(isPortholeError(error) && allowed.includes(error.code), () => `${what} reported ${describeError(error)}; allowed: PortholeError ${allowed.join(' | ')}`);
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  }
  return `non-error value ${describeValue(error)}`;
}

function describeValue(value: unknown): string {
  try {
    return fc.stringify(value).slice(0, 400);
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** A change to a byte string; positions are taken modulo the current length, so any nat fits. */
export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly mask: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'uint16'; readonly at: number; readonly value: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly length: number; readonly to: number }
  | { readonly op: 'truncate'; readonly at: number };

/** Length-field values worth trying: limits of the VMess and Mux.Cool parsers and their neighbours. */
export const INTERESTING_UINT16 = [
  0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 18, 20, 32, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100, 0x1ff, 0x200, 0x201, 0x7ff, 0x800,
  0x801, 0x7ee, 0x7fe, 0x1fff, 0x2000, 0x2001, 0x3fff, 0x7fff, 0x8000, 0xfffe, 0xffff,
] as const;

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xfe, 0xff] as const;

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.oneof(fc.constantFrom(1, 2, 4, 8, 16, 32, 64, 128), fc.integer({ min: 1, max: 255 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('uint16' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING_UINT16), fc.integer({ min: 0, max: 0xffff })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }), to: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
);

/** Zero to `max` mutations; an empty list (the unmutated input) is drawn often enough to check the happy path. */
export function mutationsArbitrary(max = 6): fc.Arbitrary<readonly Mutation[]> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 5, arbitrary: fc.array(mutationArbitrary, { minLength: 1, maxLength: max }) });
}

/** Applies `mutations` in order to a copy of `input`; the result never exceeds `maxLength` bytes. */
export function applyMutations(input: Uint8Array, mutations: readonly Mutation[], maxLength = 1 << 16): Buffer {
  let bytes = Buffer.from(input);
  for (const mutation of mutations) {
    const length = bytes.length;
    switch (mutation.op) {
      case 'flip':
        if (length > 0) bytes[mutation.at % length]! ^= mutation.mask;
        break;
      case 'set':
        if (length > 0) bytes[mutation.at % length] = mutation.value;
        break;
      case 'uint16':
        if (length >= 2) bytes.writeUInt16BE(mutation.value, mutation.at % (length - 1));
        break;
      case 'insert': {
        const at = mutation.at % (length + 1);
        bytes = Buffer.concat([bytes.subarray(0, at), mutation.bytes, bytes.subarray(at)]);
        break;
      }
      case 'delete': {
        if (length === 0) break;
        const at = mutation.at % length;
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + mutation.length)]);
        break;
      }
      case 'duplicate': {
        if (length === 0) break;
        const from = mutation.at % length;
        const piece = bytes.subarray(from, from + mutation.length);
        const to = mutation.to % (length + 1);
        bytes = Buffer.concat([bytes.subarray(0, to), piece, bytes.subarray(to)]);
        break;
      }
      case 'truncate':
        bytes = bytes.subarray(0, mutation.at % (length + 1));
        break;
    }
    if (bytes.length > maxLength) bytes = bytes.subarray(0, maxLength);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Splits

/** How a byte stream is cut into pushes: given piece sizes (0 allowed) then the rest, or fixed-size pieces. */
export type Split = { readonly kind: 'sizes'; readonly sizes: readonly number[] } | { readonly kind: 'every'; readonly size: number };

export const splitArbitrary: fc.Arbitrary<Split> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('sizes' as const), sizes: fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('every' as const), size: fc.integer({ min: 1, max: 7 }) }) },
);

/** The pieces of `bytes` under `split` (views, never copies); they always add up to `bytes`. */
export function splitBytes(bytes: Buffer, split: Split): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  if (split.kind === 'every') {
    for (; at < bytes.length; at += split.size) pieces.push(bytes.subarray(at, at + split.size));
    return pieces;
  }
  for (const size of split.sizes) {
    pieces.push(bytes.subarray(at, at + size));
    at = Math.min(bytes.length, at + size);
  }
  pieces.push(bytes.subarray(at));
  return pieces;
}

/** Random bytes, mostly short; the length bound keeps every run fast. */
export function randomBytesArbitrary(maxLength: number): fc.Arbitrary<Buffer> {
  return fc
    .oneof({ weight: 3, arbitrary: fc.uint8Array({ maxLength: Math.min(64, maxLength), size: 'max' }) }, { weight: 2, arbitrary: fc.uint8Array({ maxLength, size: 'max' }) })
    .map((bytes) => Buffer.from(bytes));
}

/**
 * Large buffers whose content does not matter, cheaply: a length and a seed expanded by
 * xorshift32 (drawing tens of kilobytes byte by byte from fast-check would dominate a run).
 */
export function bulkBytesArbitrary(minLength: number, maxLength: number): fc.Arbitrary<Buffer> {
  return fc.record({ length: fc.integer({ min: minLength, max: maxLength }), seed: fc.integer({ min: 1, max: 0x7fffffff }) }).map(({ length, seed }) => {
    const out = Buffer.allocUnsafe(length);
    let state = seed;
    for (let i = 0; i < length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      out[i] = state & 0xff;
    }
    return out;
  });
}

export const bytes16: fc.Arbitrary<Buffer> = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes));
