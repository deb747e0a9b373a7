/**
 * What the inspector keeps of one request (or one connection that was not HTTP). Entries are
 * plain data, so the host can send them across IPC as they are; bodies are Buffers the host
 * encodes for its transport.
 */
import type { HeaderField } from '../../common/http-parser.js';
import type { WebSocketSummary } from './websocket-summary.js';

/** A body as kept: at most the cap, with its full size. */
export interface CapturedBody {
  /** The first bytes (transfer framing removed; content encoding, e.g. gzip, kept). */
  data: Buffer;
  /** Every byte of the body, kept or not. */
  size: number;
  /** True when `size` exceeds what was kept (the cap). */
  truncated: boolean;
}

export interface CapturedRequest {
  method: string;
  /** The request-target as sent (path and query, usually). */
  target: string;
  httpVersion: '1.0' | '1.1';
  /** As sent: names' case and order kept, values as latin1 strings (one char per byte). */
  headers: HeaderField[];
  body: CapturedBody;
  /** Bytes on the wire: head plus body with its framing. */
  size: number;
  /** Bytes of the head (start line and fields). */
  headSize: number;
}

export interface CapturedResponse {
  status: number;
  reason: string;
  httpVersion: '1.0' | '1.1';
  headers: HeaderField[];
  body: CapturedBody;
  size: number;
  headSize: number;
  /** Interim (1xx) statuses before this one, e.g. [100] after `Expect: 100-continue`. */
  interim: number[];
}

/**
 * - `http`: a request and (once it came) its response;
 * - `websocket`: an upgrade to WebSocket: one entry, its messages summarised;
 * - `tunnel`: another upgrade, or CONNECT: bytes counted only;
 * - `not-http`: a connection that is not HTTP/1.1 (or stopped being), passed on untouched.
 */
export type EntryKind = 'http' | 'websocket' | 'tunnel' | 'not-http';

export interface CapturedEntry {
  /** Unique in the process, increasing. */
  readonly id: number;
  readonly exposureId: string;
  /** The engine's session id of the connection (several requests share one with keep-alive). */
  readonly connectionId: number;
  kind: EntryKind;
  /** Epoch milliseconds of the request's first byte. */
  readonly startedAt: number;
  /** First request byte to last response byte; for an upgrade or not-http, until the connection closed. */
  durationMs: number | null;
  state: 'open' | 'complete' | 'aborted';
  /** The visitor's address (X-Forwarded-For from the portal's edge), or 'unknown' (a raw port). */
  visitor: string;
  request: CapturedRequest | null;
  response: CapturedResponse | null;
  /** The entry this one replayed, or null. */
  replayOf: number | null;
  websocket: WebSocketSummary | null;
  /** Bytes each way after the point where parsing stopped (not-http, tunnel). */
  rawBytes: { fromVisitor: number; fromService: number } | null;
  /** Why an entry is not-http, aborted or incomplete. */
  note: string | null;
}

/** Copies the first `cap` bytes of a body as it passes, counting all of it. */
export class BodyCollector {
  private parts: Buffer[] | null = null;
  private kept = 0;
  size = 0;

  constructor(private readonly cap: number) {}

  add(data: Buffer, start: number, end: number): void {
    this.size += end - start;
    const room = this.cap - this.kept;
    if (room <= 0 || end === start) return;
    const take = Math.min(room, end - start);
    // Copied: the chunk belongs to the data path and may be reused once passed on.
    (this.parts ??= []).push(Buffer.from(data.subarray(start, start + take)));
    this.kept += take;
  }

  /** The body as kept; the collector starts afresh. */
  take(): CapturedBody {
    const parts = this.parts;
    const data = !parts ? EMPTY : parts.length === 1 ? (parts[0] ?? EMPTY) : Buffer.concat(parts);
    const body = { data, size: this.size, truncated: this.size > this.kept };
    this.parts = null;
    this.kept = 0;
    this.size = 0;
    return body;
  }
}

/** Shared by every empty body: a zero-length buffer holds nothing to change. */
const EMPTY = Buffer.alloc(0);

export function emptyBody(): CapturedBody {
  return { data: EMPTY, size: 0, truncated: false };
}

/** The first value of a header (case-insensitive name), or undefined. */
export function headerValue(headers: readonly HeaderField[], name: string): string | undefined {
  const key = name.toLowerCase();
  return headers.find(([field]) => field.toLowerCase() === key)?.[1];
}
