/**
 * Choosing a VLESS fallback (V2Ray 4.34 `proxy/vless/inbound/inbound.go`, `New` and `Process`).
 * Pure: the table is built once per inbound; `pickFallback` looks at the connection's first read
 * and its TLS ALPN (when a TLS layer negotiated one).
 *
 * Table: fallbacks keyed by alpn, then path. Entries without alpn are copied into every other
 * alpn's map where that path is missing. Picking: the alpn map is chosen only when the table
 * has more than one alpn or no alpn-less one; the path is read from an HTTP/1 request line
 * ("GET /path HTTP/1.1": a "/" at bytes 4..8 right after a space, up to the next space within
 * 64 bytes) only when the chosen map has more than one path or no path-less entry. A path or alpn
 * with no entry of its own falls back to the empty one.
 */
import { FALLBACK_MIN_FIRST_BYTES, FALLBACK_PATH_SEARCH_BYTES } from './consts.js';

/** One `fallbacks` entry as the inbound uses it. */
export interface FallbackTarget {
  readonly alpn: string;
  readonly path: string;
  /** `tcp`: `dest` is host:port; `unix`: `dest` is a socket path (a leading "@" is Linux's abstract namespace). */
  readonly type: 'tcp' | 'unix';
  readonly dest: string;
}

export type FallbackTable = ReadonlyMap<string, ReadonlyMap<string, FallbackTarget>>;

export function buildFallbackTable(fallbacks: readonly FallbackTarget[]): FallbackTable {
  const table = new Map<string, Map<string, FallbackTarget>>();
  for (const fallback of fallbacks) {
    let byPath = table.get(fallback.alpn);
    if (!byPath) table.set(fallback.alpn, (byPath = new Map()));
    byPath.set(fallback.path, fallback);
  }
  const defaults = table.get('');
  if (defaults) {
    for (const [alpn, byPath] of table) {
      if (alpn === '') continue;
      for (const [path, fallback] of defaults) if (!byPath.has(path)) byPath.set(path, fallback);
    }
  }
  return table;
}

/** The path of an HTTP/1 request line in `first`, as 4.34 finds it; undefined when there is none. */
export function requestPathOf(first: Buffer): string | undefined {
  // "PRI * HTTP/2.0" (h2c) has "*" at byte 4.
  if (first.length < FALLBACK_MIN_FIRST_BYTES || first[4] === 0x2a) return undefined;
  for (let i = 4; i <= 8; i += 1) {
    if (first[i] !== 0x2f || first[i - 1] !== 0x20) continue;
    const search = Math.min(first.length, FALLBACK_PATH_SEARCH_BYTES);
    for (let j = i + 1; j < search; j += 1) {
      const byte = first[j];
      if (byte === 0x0d || byte === 0x0a) return undefined;
      if (byte === 0x20) return first.toString('latin1', i, j);
    }
    return undefined;
  }
  return undefined;
}

export type FallbackPick =
  | { readonly fallback: FallbackTarget; readonly path?: string }
  | { readonly error: string };

export function pickFallback(table: FallbackTable, first: Buffer, alpnProtocol: string | undefined): FallbackPick {
  let alpn = '';
  if (table.size > 1 || !table.has('')) {
    alpn = alpnProtocol ?? '';
    if (!table.has(alpn)) alpn = '';
  }
  const byPath = table.get(alpn);
  if (!byPath) return { error: 'failed to find the default "alpn" config' };
  let path = '';
  let seen: string | undefined;
  if (byPath.size > 1 || !byPath.has('')) {
    seen = requestPathOf(first);
    if (seen !== undefined && byPath.has(seen)) path = seen;
  }
  const fallback = byPath.get(path);
  if (!fallback) return { error: 'failed to find the default "path" config' };
  return { fallback, ...(seen !== undefined ? { path: seen } : {}) };
}
