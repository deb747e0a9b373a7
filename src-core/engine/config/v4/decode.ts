/**
 * Reading JSON values the way Go's `encoding/json` fills V2Ray's config structs:
 * keys match case-insensitively (`"Inbounds"`, `"PROTOCOL"`), a repeated key means the last one
 * wins, `null` means "not set", unknown keys are ignored (Porthole warns), and integers must be
 * written as plain integers that fit the Go field type (`1.0`, `1e3`, `-1` into unsigned fail).
 */
import type { ErrorCode } from '../../common/errors.js';
import { PortholeError } from '../../common/errors.js';
import type { ConfigOrigin } from '../types.js';
import { FIELD_ORIGINS, ITEM_ORIGINS } from '../origins.js';
import type { JsonFile, JsonNode, JsonNull } from './jsonc.js';
import { childPath, placeAt, placeOf } from './jsonc.js';

/** Shared state while building one config. */
export interface BuildContext {
  /** Environment for `"port": "env:NAME"` (V2Ray reads the process environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly warnings: PortholeError[];
  /**
   * Set when validating for the editor (`validateConfig`): each element's error is collected here
   * and the next element is still checked. Unset when loading: the first error is thrown.
   */
  readonly errors?: PortholeError[];
}

export function createBuildContext(env: Readonly<Record<string, string | undefined>>, options: { collectErrors?: boolean } = {}): BuildContext {
  return options.collectErrors ? { env, warnings: [], errors: [] } : { env, warnings: [] };
}

/** Throws `error` when loading; when validating, collects it so that checking goes on. */
export function reportError(ctx: BuildContext, error: PortholeError): void {
  if (!ctx.errors) throw error;
  ctx.errors.push(error);
}

/**
 * Builds one element (an inbound, a rule, a section). When loading its error is thrown as is;
 * when validating it is collected and the result is `undefined`, so the caller moves on to the
 * next element. Only config errors are collected: anything else is a bug and still throws.
 */
export function attempt<T>(ctx: BuildContext, build: () => T): T | undefined {
  if (!ctx.errors) return build();
  try {
    return build();
  } catch (error) {
    if (!(error instanceof PortholeError) || !error.code.startsWith('PH_CONFIG_')) throw error;
    ctx.errors.push(error);
    return undefined;
  }
}

/** `items` built one by one with `attempt`: the ones that failed are left out. */
export function buildEach<T>(ctx: BuildContext, items: readonly JsonNode[], build: (node: JsonNode) => T): T[] {
  const built: T[] = [];
  for (const item of items) {
    const result = attempt(ctx, () => build(item));
    if (result !== undefined) built.push(result);
  }
  return built;
}

export function configError(code: ErrorCode, node: JsonNode, message: string): PortholeError {
  return new PortholeError(code, message, placeOf(node));
}

/** Throws a config error at `node`. */
export function fail(code: ErrorCode, node: JsonNode, message: string): never {
  throw configError(code, node, message);
}

export function warn(ctx: BuildContext, node: JsonNode, message: string): void {
  ctx.warnings.push(new PortholeError('PH_CONFIG_VALUE', message, { ...placeOf(node), severity: 'warning' }));
}

/** Records where `item` came from and returns it. */
export function record<T extends object>(_ctx: BuildContext, item: T, node: JsonNode, fields?: Readonly<Record<string, JsonNode | undefined>>): T {
  ITEM_ORIGINS.set(item, placeOf(node));
  if (fields) {
    const map = new Map<string, ConfigOrigin>();
    for (const [name, fieldNode] of Object.entries(fields)) {
      if (fieldNode) map.set(name, placeOf(fieldNode));
    }
    FIELD_ORIGINS.set(item, map);
  }
  return item;
}

function truncate(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `"abc"`, `80`, `true`, `null`, `an object`, `a list`: for "got ..." in messages. */
export function describeValue(node: JsonNode): string {
  switch (node.kind) {
    case 'object': return 'an object';
    case 'array': return 'a list';
    case 'string': return truncate(JSON.stringify(node.value));
    case 'number': return truncate(node.raw);
    case 'boolean': return String(node.value);
    default: return 'null';
  }
}

export function typeError(node: JsonNode, expected: string): never {
  fail('PH_CONFIG_TYPE', node, `expected ${expected}, got ${describeValue(node)}`);
}

/**
 * Go's case-insensitive key match (`encoding/json` `foldFunc`): ASCII letters fold, and so do
 * U+017F (long s) to "s" and U+212A (Kelvin sign) to "k". Nothing else does.
 */
export function foldKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (ch >= 'A' && ch <= 'Z') out += ch.toLowerCase();
    else if (ch === '\u017f') out += 's';
    else if (ch === '\u212a') out += 'k';
    else out += ch;
  }
  return out;
}

/** A JSON object read as a Go struct with the given field names. */
export class Struct {
  readonly node: JsonNode;
  private readonly values = new Map<string, JsonNode>();

  /**
   * @param node an object, or null/undefined for "not set" (an empty struct).
   * @param fields the Go struct's JSON field names, in V2Ray's spelling.
   * @param what how to name the value in a type error ("an object" by default).
   */
  constructor(ctx: BuildContext, node: JsonNode, fields: readonly string[], options: { what?: string; ignoreUnknown?: boolean } = {}) {
    this.node = node;
    if (node.kind === 'null') return;
    if (node.kind !== 'object') typeError(node, options.what ?? 'an object');
    const byFold = new Map(fields.map((field) => [foldKey(field), field]));
    const seen = new Map<string, number>();
    for (const member of node.members) {
      const field = byFold.get(foldKey(member.key));
      if (field === undefined) {
        if (!options.ignoreUnknown) {
          ctx.warnings.push(new PortholeError('PH_CONFIG_VALUE', `unknown key ${JSON.stringify(member.key)} is ignored`, {
            ...placeAt(node.file, member.keyOffset, member.value.path), severity: 'warning',
          }));
        }
        continue;
      }
      if (seen.has(field)) {
        ctx.warnings.push(new PortholeError('PH_CONFIG_VALUE', `duplicate key ${JSON.stringify(member.key)}: the last one wins, this one is ignored`, {
          ...placeAt(node.file, seen.get(field) ?? member.keyOffset, childPath(node.path, field)), severity: 'warning',
        }));
      }
      seen.set(field, member.keyOffset);
      if (member.value.kind === 'null') this.values.delete(field);
      else this.values.set(field, member.value);
    }
  }

  /** The value of a field, or undefined when missing or null. */
  get(field: string): JsonNode | undefined {
    return this.values.get(field);
  }

  has(field: string): boolean {
    return this.values.has(field);
  }

  /** A place for "field is missing" errors: the object itself, with the field's path. */
  missing(code: ErrorCode, field: string, message: string): never {
    const place = placeOf(this.node);
    throw new PortholeError(code, message, { ...place, path: childPath(place.path, field) });
  }

  get file(): JsonFile {
    return this.node.file;
  }
}

/** A null node standing for a missing field (`"settings"` left out reads as `{}` in V2Ray). */
export function absentNode(parent: JsonNode, field: string): JsonNull {
  return { kind: 'null', file: parent.file, offset: parent.offset, length: parent.length, path: childPath(parent.path, field) };
}

export function readString(node: JsonNode | undefined, what = 'a string'): string | undefined {
  if (node === undefined) return undefined;
  if (node.kind !== 'string') typeError(node, what);
  return node.value;
}

export function readBool(node: JsonNode | undefined): boolean | undefined {
  if (node === undefined) return undefined;
  if (node.kind !== 'boolean') typeError(node, 'true or false');
  return node.value;
}

/** Go unsigned integer field of `bits` bits (8, 16, 32). */
export function readUint(node: JsonNode | undefined, bits: 8 | 16 | 32): number | undefined {
  if (node === undefined) return undefined;
  const max = 2 ** bits - 1;
  if (node.kind !== 'number' || !/^\d+$/.test(node.raw) || BigInt(node.raw) > BigInt(max)) {
    typeError(node, `an integer from 0 to ${max}`);
  }
  return Number(node.raw);
}

/** Go signed integer field of `bits` bits (16, 32). */
export function readInt(node: JsonNode | undefined, bits: 16 | 32): number | undefined {
  if (node === undefined) return undefined;
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  if (node.kind !== 'number' || !/^-?\d+$/.test(node.raw) || BigInt(node.raw) > BigInt(max) || BigInt(node.raw) < BigInt(min)) {
    typeError(node, `an integer from ${min} to ${max}`);
  }
  return Number(node.raw);
}

/** The items of a JSON list; null items read as null nodes (Go: zero values). */
export function readArray(node: JsonNode | undefined, what = 'a list'): readonly JsonNode[] | undefined {
  if (node === undefined) return undefined;
  if (node.kind !== 'array') typeError(node, what);
  return node.items;
}

/** One entry of a V2Ray `StringList`, with the node to blame for it. */
export interface ListEntry {
  readonly value: string;
  readonly node: JsonNode;
}

/**
 * V2Ray's `StringList`: a list of strings, or one string split at "," (not trimmed). A null
 * item reads as "" (Go's zero value).
 */
export function readStringList(node: JsonNode | undefined): readonly ListEntry[] | undefined {
  if (node === undefined) return undefined;
  if (node.kind === 'string') return node.value.split(',').map((value) => ({ value, node }));
  if (node.kind === 'array' && node.items.every((item) => item.kind === 'string' || item.kind === 'null')) {
    return node.items.map((item) => ({ value: item.kind === 'string' ? item.value : '', node: item }));
  }
  return typeError(node, 'a list of strings or a comma-separated string');
}
