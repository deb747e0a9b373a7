/**
 * Bodies for display: a captured body decoded from its Content-Encoding (gzip, br, deflate,
 * several in order) with the output bounded, and a guess of how to show it (JSON, form, text or
 * hex). A body cut at the capture cap decodes as far as its bytes go.
 */
import zlib from 'node:zlib';
import type { CapturedBody } from './captured-entry.js';
import { headerValue } from './captured-entry.js';
import type { HeaderField } from '../../common/http-parser.js';

/** Most bytes a decoded body may grow to (default). */
export const DEFAULT_DECODED_CAP = 4 * 1024 * 1024;

export interface DecodedBody {
  data: Buffer;
  /** The codings undone, in the order applied by the sender (e.g. ['gzip']). */
  codings: string[];
  /** True when the output stopped at the cap, or the input was cut (captured body truncated). */
  partial: boolean;
  /** Set when a coding is unknown or its data is corrupt: `data` is then what decoded before it. */
  problem: string | null;
}

/** Decodes `body` as its `Content-Encoding` says. Never throws. */
export async function decodeBody(body: CapturedBody, headers: readonly HeaderField[], maxBytes = DEFAULT_DECODED_CAP): Promise<DecodedBody> {
  const header = headers.filter(([name]) => name.toLowerCase() === 'content-encoding').map(([, value]) => value).join(',');
  const codings = header.split(',').map((coding) => coding.trim().toLowerCase()).filter((coding) => coding !== '' && coding !== 'identity');
  let data = body.data;
  let partial = body.truncated;
  const undone: string[] = [];
  // Codings are listed in the order applied: undo them from the last.
  for (const coding of [...codings].reverse()) {
    const result = await decodeOne(coding, data, maxBytes);
    if (result.problem) return { data, codings: undone, partial, problem: result.problem };
    data = result.data;
    partial ||= result.partial;
    undone.unshift(coding);
  }
  return { data, codings: undone, partial, problem: null };
}

function decompressorFor(coding: string, first: number | undefined): zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress | undefined {
  if (coding === 'gzip' || coding === 'x-gzip') return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  if (coding === 'br') return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  // "deflate" is zlib-wrapped (RFC 9110 §8.4.1.2), but some servers send it raw: a zlib header's first byte has 8 in its low nibble.
  if (coding === 'deflate') return first !== undefined && (first & 0x0f) === 8 ? zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH }) : zlib.createInflateRaw({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return undefined;
}

function decodeOne(coding: string, input: Buffer, maxBytes: number): Promise<{ data: Buffer; partial: boolean; problem: string | null }> {
  const stream = decompressorFor(coding, input[0]);
  if (!stream) return Promise.resolve({ data: input, partial: false, problem: `unknown content coding "${coding}"` });
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (partial: boolean, problem: string | null) => {
      if (done) return;
      done = true;
      stream.destroy();
      resolve({ data: Buffer.concat(parts).subarray(0, maxBytes), partial, problem });
    };
    stream.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) finish(size > maxBytes, null);
    });
    stream.once('end', () => finish(false, null));
    stream.once('error', (error) => finish(true, parts.length > 0 ? null : `${coding}: ${error.message}`));
    stream.end(input);
  });
}

/** How to show a body: by its Content-Type, else by its bytes. */
export type BodyView = 'json' | 'form' | 'text' | 'hex' | 'empty';

export function bodyViewOf(data: Buffer, headers: readonly HeaderField[]): BodyView {
  if (data.length === 0) return 'empty';
  const type = (headerValue(headers, 'content-type') ?? '').toLowerCase();
  if (/[/+]json\b/.test(type)) return 'json';
  if (type.startsWith('application/x-www-form-urlencoded')) return 'form';
  if (type.startsWith('text/') || /xml|javascript|ecmascript/.test(type)) return 'text';
  return looksLikeText(data) ? 'text' : 'hex';
}

function looksLikeText(data: Buffer): boolean {
  const sample = data.subarray(0, 4096);
  for (const byte of sample) if (byte < 0x09 || (byte > 0x0d && byte < 0x20) || byte === 0x7f) return false;
  // Valid UTF-8 (a cut multibyte sequence at the end of the sample is fine).
  return !new TextDecoder('utf-8', { fatal: false }).decode(sample).slice(0, -1).includes('\uFFFD');
}
