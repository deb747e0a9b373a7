/**
 * Replay: sends a captured request again, as it was or edited, straight to the exposure's local
 * service (TCP to localHost:localPort, HTTP/1.1), and captures the answer into the store as a
 * new entry whose `replayOf` names the original.
 *
 * The body is sent with a Content-Length (a chunked original is sent de-chunked, as captured);
 * a body cut at the capture cap cannot be replayed as it was, and upgrades are not replayed.
 */
import { PortholeError } from '../../common/errors.js';
import { dialTcp } from '../../transport/tcp.js';
import type { CapturedEntry } from './captured-entry.js';
import type { CaptureStore } from './capture-store.js';
import { ConnectionTap } from './connection-tap.js';
import type { HeaderField } from '../../common/http-parser.js';

/** What to change of the captured request; fields left out are sent as captured. */
export interface ReplayEdits {
  method?: string;
  /** The request-target, e.g. `/api/items?id=2`. */
  target?: string;
  /** Replace all fields (Content-Length and Transfer-Encoding are set by the replay). */
  headers?: HeaderField[];
  body?: Buffer;
}

export interface ReplayTarget {
  exposureId: string;
  host: string;
  port: number;
  store: CaptureStore;
  bodyCapBytes: number;
  /** Whole replay, dial included (default 30 s): then the entry is kept as aborted. */
  timeoutMs?: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^[\x21-\x7e]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const FRAMING = new Set(['content-length', 'transfer-encoding']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The request's bytes: start line, fields in order, a Content-Length for the body, the body. */
export function replayRequestBytes(original: CapturedEntry, edits: ReplayEdits = {}): Buffer {
  const request = original.request;
  if (!request) throw new PortholeError('PH_INSPECTOR', `inspector: entry ${original.id} has no request to replay (the connection was not HTTP)`);
  if (original.kind === 'websocket' || original.kind === 'tunnel') throw new PortholeError('PH_INSPECTOR', `inspector: entry ${original.id} is an upgrade (${original.kind}); upgrades are not replayed`);
  if (edits.body === undefined && request.body.truncated) {
    throw new PortholeError('PH_INSPECTOR', `inspector: entry ${original.id}'s body was cut at ${request.body.data.length} of ${request.body.size} bytes; replay it with an edited body, or raise the body cap`);
  }
  const method = edits.method ?? request.method;
  const target = edits.target ?? request.target;
  if (!TOKEN.test(method)) throw new PortholeError('PH_INSPECTOR', `inspector: replay method "${method.slice(0, 40)}" is not an HTTP token`);
  if (!TARGET.test(target)) throw new PortholeError('PH_INSPECTOR', 'inspector: replay path must be visible ASCII without spaces');
  const headers = (edits.headers ?? request.headers).filter(([name]) => !FRAMING.has(name.toLowerCase()));
  for (const [name, value] of headers) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) throw new PortholeError('PH_INSPECTOR', `inspector: replay header "${name.slice(0, 40)}" has an invalid name or value`);
  }
  const body = edits.body ?? request.body.data;
  const hadLength = request.headers.some(([name]) => FRAMING.has(name.toLowerCase()));
  if (body.length > 0 || hadLength || BODY_METHODS.has(method)) headers.push(['Content-Length', String(body.length)]);
  const head = `${method} ${target} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Sends the replay and resolves with its entry once answered (or aborted: timeout, reset). */
export async function replay(original: CapturedEntry, edits: ReplayEdits, target: ReplayTarget): Promise<CapturedEntry> {
  const bytes = replayRequestBytes(original, edits);
  let entry: CapturedEntry | undefined;
  const tap = new ConnectionTap({
    exposureId: target.exposureId,
    connectionId: 0,
    store: target.store,
    bodyCapBytes: target.bodyCapBytes,
    replayOf: original.id,
    visitorFallback: 'replay',
    onEntry: (added) => {
      entry ??= added;
    },
  });
  const timeoutMs = target.timeoutMs ?? 30_000;
  const socket = await dialTcp(target.host, target.port, timeoutMs);
  return new Promise((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      tap.close();
      socket.destroy();
      if (entry) resolve(entry);
      else reject(new PortholeError('PH_INSPECTOR', `inspector: the replay of entry ${original.id} was not captured`));
    };
    const timer = setTimeout(() => {
      if (entry) entry.note = `no complete answer within ${timeoutMs} ms`;
      finish();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      tap.fromService(chunk);
      if (entry && entry.state !== 'open') finish();
    });
    socket.once('end', () => tap.serviceEnded());
    socket.once('close', finish);
    socket.once('error', () => {});
    tap.fromVisitor(bytes);
    socket.write(bytes);
  });
}
