/**
 * Serves the built renderer (`dist/renderer`) on `app://porthole/` for `protocol.handle`. It
 * decides everything that matters here without Electron: which file a URL names (never one
 * outside the folder, whatever the encoding), its Content-Type (only types the renderer ships),
 * and the response headers (the CSP, nosniff). The Electron side only registers the handler.
 */
import { readFile as readFileFromDisk } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { contentTypeOf } from '../src-core/host/dashboard/content-types.js';
import { APP_ORIGIN, isAppUrl } from './app-protocol.js';
import { RENDERER_CSP } from './web-preferences.js';

export type RendererFile =
  | { ok: true; path: string; contentType: string }
  | { ok: false; status: 400 | 404 };

/**
 * The file `url` names under `rendererFolder`, or why not. The path is decoded segment by
 * segment and every segment checked after decoding, so `%2e%2e`, `%2f`, `..%5c` or a NUL cannot
 * climb out; the joined path is checked to be inside the folder as well.
 */
export function resolveRendererFile(url: string, rendererFolder: string): RendererFile {
  if (!isAppUrl(url)) return { ok: false, status: 404 };
  const { pathname } = new URL(url);
  const segments: string[] = [];
  for (const raw of pathname.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400 };
    }
    // Dot files, parent or current folder, separators of any platform, NUL, drive letters.
    if (segment.startsWith('.') || /[/\\\0:]/.test(segment)) return { ok: false, status: 404 };
    segments.push(segment);
  }
  if (segments.length === 0 || segments.at(-1) === '') segments.splice(-1, 1, 'index.html');
  if (segments.includes('')) return { ok: false, status: 404 };
  const root = resolve(rendererFolder);
  const path = join(root, ...segments);
  if (!path.startsWith(root + sep)) return { ok: false, status: 404 };
  const contentType = contentTypeOf(path);
  if (!contentType) return { ok: false, status: 404 };
  return { ok: true, path, contentType };
}

/** The headers every answer carries; the CSP is also in the page's meta tag. */
function baseHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': RENDERER_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

function refusal(status: number): Response {
  return new Response(null, { status, headers: baseHeaders() });
}

export interface RendererFileHandlerOptions {
  /** Reads a file (Electron's fs reads inside app.asar); tests pass their own. */
  readFile?: (path: string) => Promise<Uint8Array>;
}

/**
 * The `protocol.handle('app', …)` handler. Only GET and HEAD; a request that web content made
 * from another origin is refused (Electron sets `initiatorOrigin` on those; the window's own
 * navigations have none), so no other page can embed or read our files.
 */
export function createRendererFileHandler(rendererFolder: string, options: RendererFileHandlerOptions = {}): (request: Request) => Promise<Response> {
  const read = options.readFile ?? ((path: string) => readFileFromDisk(path));
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405);
    const initiator = (request as Request & { initiatorOrigin?: string }).initiatorOrigin;
    if (initiator !== undefined && initiator !== APP_ORIGIN) return refusal(403);
    const file = resolveRendererFile(request.url, rendererFolder);
    if (!file.ok) return refusal(file.status);
    let body: Uint8Array;
    try {
      body = await read(file.path);
    } catch {
      return refusal(404);
    }
    const headers = { ...baseHeaders(), 'Content-Type': file.contentType, 'Content-Length': String(body.byteLength) };
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers });
  };
}
