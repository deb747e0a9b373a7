/**
 * Content types of the renderer's built files, by extension: one table for the dashboard and the
 * tray app's `app://` protocol, so both serve each file the same way (and `nosniff` holds).
 */
import { extname } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The Content-Type for `path`, or undefined for an extension the renderer does not ship. */
export function contentTypeOf(path: string): string | undefined {
  const extension = extname(path).toLowerCase();
  return Object.prototype.hasOwnProperty.call(CONTENT_TYPES, extension) ? CONTENT_TYPES[extension] : undefined;
}
