/**
 * One captured request as a `curl` command line for a POSIX shell (bash, zsh: the body may use
 * ANSI-C `$'…'` quoting). Secret header values are masked unless revealed (masking.ts), and a
 * body cut at the capture cap is said to be cut in a comment line above the command.
 */
import type { CapturedEntry } from './captured-entry.js';
import { headerValue } from './captured-entry.js';
import { maskHeaderValue } from './masking.js';

export interface CurlOptions {
  /** Scheme and authority to send to, e.g. `http://127.0.0.1:3000`; default `http://<Host>`. */
  baseUrl?: string;
  /** Show Authorization and Cookie values as sent. */
  reveal?: boolean;
}

/** Fields curl writes itself from the command line (or that would break it). */
const LEFT_TO_CURL = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);
const PLAIN = /^[A-Za-z0-9_\-.,:/@%+=]+$/;

/**
 * `bytes` as one shell word: bare, in single quotes, or ANSI-C quoted (`$'…'`) when they hold
 * control or non-UTF-8 bytes. Not for NUL, which no shell word can hold (see `printfWord`).
 */
export function shellQuote(bytes: Buffer | string): string {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const text = data.toString('utf8');
  const roundTrips = Buffer.from(text, 'utf8').equals(data);
  if (roundTrips && PLAIN.test(text)) return text;
  // Newlines and tabs are safe inside single quotes; other control bytes are not visible, so escape them.
  if (roundTrips && !hasHiddenControl(text)) return `'${text.replace(/'/g, `'\\''`)}'`;
  let quoted = "$'";
  for (const byte of data) {
    if (byte === 0x27) quoted += "\\'";
    else if (byte === 0x5c) quoted += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) quoted += String.fromCharCode(byte);
    else quoted += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${quoted}'`;
}

/**
 * Any bytes (NUL too) as the argument of `printf %b`, which writes them back exactly: POSIX
 * `\0ddd` octal escapes, which dash's printf knows as well as bash's (`\x` is bash only).
 */
export function printfWord(data: Buffer): string {
  let escaped = '';
  for (const byte of data) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x5c) escaped += String.fromCharCode(byte);
    else escaped += `\\0${byte.toString(8).padStart(3, '0')}`;
  }
  return `'${escaped.replace(/'/g, `'\\''`)}'`;
}

/** Control characters other than tab, LF and CR: invisible inside quotes, so escaped. */
function hasHiddenControl(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

/** Text a single-quoted shell word holds as it is. */
function isPlainText(data: Buffer): boolean {
  const text = data.toString('utf8');
  return Buffer.from(text, 'utf8').equals(data) && !hasHiddenControl(text);
}

/** Headers curl adds unless told not to (an empty `-H 'Name:'` removes one). */
const CURL_DEFAULTS = ['User-Agent', 'Accept'];

/** The command line, or undefined for an entry without a request (not HTTP). */
export function toCurl(entry: CapturedEntry, options: CurlOptions = {}): string | undefined {
  const request = entry.request;
  if (!request) return undefined;
  const host = headerValue(request.headers, 'host');
  const base = (options.baseUrl ?? `http://${host ?? 'localhost'}`).replace(/\/+$/, '');
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(request.target) ? request.target : `${base}${request.target.startsWith('/') ? '' : '/'}${request.target}`;
  const words = ['curl'];
  if (request.httpVersion === '1.0') words.push('--http1.0');
  else words.push('--http1.1');
  const hasBody = request.body.size > 0;
  if (request.method === 'HEAD') words.push('--head');
  else if (request.method !== 'GET' || hasBody) words.push('-X', shellQuote(request.method));
  words.push(shellQuote(url));
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase();
    if (LEFT_TO_CURL.has(key) || (key === 'host' && options.baseUrl === undefined)) continue;
    const shown = options.reveal ? value : maskHeaderValue(name, value);
    // Header values are kept as latin1 (one char per byte): give curl the same bytes (the mask is not latin1).
    const line = `${name}: ${shown}`;
    words.push('-H', shellQuote(Buffer.from(line, [...line].some((char) => char.charCodeAt(0) > 0xff) ? 'utf8' : 'latin1')));
  }
  const names = new Set(request.headers.map(([name]) => name.toLowerCase()));
  // Sent as captured: curl's own defaults are removed when the visitor did not send them.
  for (const name of [...CURL_DEFAULTS, ...(hasBody ? ['Content-Type'] : [])]) if (!names.has(name.toLowerCase())) words.push('-H', shellQuote(`${name}:`));
  let prefix = '';
  if (hasBody && isPlainText(request.body.data)) words.push('--data-binary', shellQuote(request.body.data));
  else if (hasBody) {
    // A shell word cannot hold NUL: binary bodies come from printf on standard input.
    prefix = `printf %b ${printfWord(request.body.data)} | `;
    words.push('--data-binary', '@-');
  }
  const command = prefix + words.join(' ');
  return request.body.truncated ? `# the body was cut at ${request.body.data.length} of ${request.body.size} bytes\n${command}` : command;
}
