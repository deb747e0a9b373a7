/**
 * The dashboard's built files, sent compressed when the browser accepts it: brotli or gzip, made
 * with node:zlib on the first request for a file and kept in memory (the renderer is a few files,
 * about 1 MB), so the 900 KB script crosses a slow link as about 270 KB. Each encoding has its own
 * ETag, so a reload answers 304 without a body. No build step: `dist/renderer` stays as vite wrote it.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { chooseEncoding, etagMatches, type ContentEncoding } from './content-encoding.js';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** Files larger than this are sent as they are and not kept (the renderer ships nothing near it). */
const MAX_CACHED_BYTES = 16 << 20;
/** Below this, compression saves less than its headers cost. */
const MIN_COMPRESSED_BYTES = 256;
/**
 * Brotli quality 9: the renderer's script in about 0.3 s, once. 11 (zlib's default) is 8 % smaller
 * and takes seconds, which the first page load would wait for.
 */
const BROTLI_QUALITY = 9;

const COMPRESSIBLE = /^(?:text\/|application\/(?:json|javascript|xml)|image\/svg\+xml)/;

interface CachedFile {
  size: number;
  mtimeMs: number;
  body: Buffer;
  /** Of the bytes as stored; each encoding adds its name, so the ETags differ (RFC 9110 §8.8.3). */
  hash: string;
  encoded: Map<Exclude<ContentEncoding, 'identity'>, Promise<Buffer>>;
}

interface Representation {
  body: Buffer;
  encoding: ContentEncoding;
  etag: string;
}

function compress(body: Buffer, encoding: Exclude<ContentEncoding, 'identity'>): Promise<Buffer> {
  if (encoding === 'gzip') return gzipped(body, { level: 9 });
  return brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
}

export class StaticFiles {
  private readonly cache = new Map<string, CachedFile>();

  /**
   * Answers GET or HEAD for `file` (already checked to lie inside the folder; `info` its stat):
   * the encoding `request` accepts, Vary, ETag, `cacheControl`, and 304 when If-None-Match holds.
   */
  async send(file: string, info: Stats, type: string, cacheControl: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const compressible = COMPRESSIBLE.test(type) && info.size >= MIN_COMPRESSED_BYTES;
    const chosen = await this.representation(file, info, compressible ? chooseEncoding(request.headers['accept-encoding']) : 'identity');
    const headers: Record<string, string | number> = { 'Content-Type': type, 'Cache-Control': cacheControl, ETag: chosen.etag };
    // Caches must keep one copy per encoding, whichever this one is.
    if (compressible) headers.Vary = 'Accept-Encoding';
    if (etagMatches(request.headers['if-none-match'], chosen.etag)) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    if (chosen.encoding !== 'identity') headers['Content-Encoding'] = chosen.encoding;
    headers['Content-Length'] = chosen.body.length;
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : chosen.body);
  }

  private async representation(file: string, info: Stats, encoding: ContentEncoding): Promise<Representation> {
    const cached = await this.load(file, info);
    const identity: Representation = { body: cached.body, encoding: 'identity', etag: `"${cached.hash}"` };
    if (encoding === 'identity') return identity;
    let pending = cached.encoded.get(encoding);
    if (!pending) {
      pending = compress(cached.body, encoding);
      cached.encoded.set(encoding, pending);
      // A failed compression is not kept: the next request tries again, this one gets the plain bytes.
      pending.catch(() => cached.encoded.delete(encoding));
    }
    const body = await pending.catch(() => undefined);
    // Already compressed (or tiny): the plain bytes are smaller, send those.
    if (!body || body.length >= cached.body.length) return identity;
    return { body, encoding, etag: `"${cached.hash}-${encoding}"` };
  }

  /** The file's bytes and hash, read again when its size or time changed (a rebuild while running). */
  private async load(file: string, info: Stats): Promise<CachedFile> {
    const cached = this.cache.get(file);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return cached;
    const body = await readFile(file);
    const entry: CachedFile = {
      size: info.size,
      mtimeMs: info.mtimeMs,
      body,
      hash: createHash('sha256').update(body).digest('base64url').slice(0, 22),
      encoded: new Map(),
    };
    if (body.length <= MAX_CACHED_BYTES) this.cache.set(file, entry);
    else this.cache.delete(file);
    return entry;
  }
}
