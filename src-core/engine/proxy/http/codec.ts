/**
 * HTTP/1.x proxy codec, pure: request and response heads parsed and written back as V2Ray 4.34's
 * `proxy/http/server.go` does through Go's `net/http` (`ReadRequest`/`Request.Write`,
 * `ReadResponse`/`Response.Write`), so the bytes that leave equal 4.34's:
 * ```
 * request in    METHOD SP absolute-URI | authority (CONNECT) | origin-form SP HTTP/x.y CRLF headers CRLF
 * request out   METHOD SP path[?query] SP HTTP/1.1 CRLF
 *               Host: h CRLF [User-Agent: ua CRLF] [Transfer-Encoding: chunked | Content-Length: n CRLF]
 *               other headers sorted by canonical name, hop-by-hop removed, Connection: close CRLF CRLF
 * response out  HTTP/x.y code text CRLF [Connection: close CRLF] [Transfer-Encoding: chunked | Content-Length: n CRLF]
 *               sorted headers (+ Connection/Proxy-Connection: keep-alive, Keep-Alive: timeout=4 when
 *               the length is known) [Content-Length: 0 CRLF] CRLF
 * ```
 * Header names are canonicalised as Go's `textproto` does (`x-foo` → `X-Foo`); values are trimmed.
 * shared/docs/v2ray-wire-protocol.md has no HTTP proxy section; RFC 7230 §5.3 (request targets)
 * and §6.1 (Connection) are the references.
 */
import { PortholeError } from '../../common/errors.js';

/** A parsed head's headers, in arrival order, names canonicalised. */
export type HeaderList = Array<[name: string, value: string]>;

export interface RequestHead {
  method: string;
  /** The request target as written. */
  target: string;
  /** Scheme of an absolute URI (lowercase), or '' (origin-form, CONNECT). */
  scheme: string;
  /** Host of an absolute URI or of CONNECT (Go's `URL.Host`); '' for origin-form. */
  urlHost: string;
  /** Path and query to forward (Go's `URL.RequestURI()`). */
  requestUri: string;
  major: number;
  minor: number;
  headers: HeaderList;
  /** Bytes of body after the head: chunked, a length, or none. */
  body: { kind: 'chunked' } | { kind: 'length'; length: number };
}

export interface ResponseHead {
  major: number;
  minor: number;
  code: number;
  /** The reason text (`OK`). */
  text: string;
  headers: HeaderList;
  /** `length` 0 for responses without a body (HEAD, 1xx, 204, 304); `close`: until EOF. */
  body: { kind: 'chunked' } | { kind: 'length'; length: number } | { kind: 'close' };
}

/** A request or response head larger than this is refused (Go's server default is 1 MiB; 4.34 reads without a cap). */
export const MAX_HEAD_BYTES = 64 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function badRequest(message: string): PortholeError {
  return new PortholeError('PH_HTTP_BAD_REQUEST', `http: ${message}`, { severity: 'warning' });
}

/** Go `textproto.CanonicalMIMEHeaderKey`: a name with a character outside a token is left as is. */
export function canonicalHeaderName(name: string): string {
  if (!TOKEN.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** Go `Header.Get`: the first value, or ''. */
export function headerValue(headers: HeaderList, name: string): string {
  return headers.find(([key]) => key === name)?.[1] ?? '';
}

function removeHeader(headers: HeaderList, name: string): HeaderList {
  return headers.filter(([key]) => key !== name);
}

/** Go `Header.Set`: replaces every value of `name` with `value`. */
function setHeader(headers: HeaderList, name: string, value: string): HeaderList {
  return [...removeHeader(headers, name), [name, value]];
}

/** 4.34 `RemoveHopByHopHeaders`: the fixed list, then the names the first Connection value lists. */
export function removeHopByHopHeaders(headers: HeaderList): HeaderList {
  let out = headers;
  for (const name of ['Proxy-Connection', 'Proxy-Authenticate', 'Proxy-Authorization', 'Te', 'Trailers', 'Transfer-Encoding', 'Upgrade']) out = removeHeader(out, name);
  const listed = headerValue(out, 'Connection');
  out = removeHeader(out, 'Connection');
  if (listed === '') return out;
  for (const name of listed.split(',')) out = removeHeader(out, canonicalHeaderName(name.trim()));
  return out;
}

/** Where the head ends (after its empty line), or -1. Go accepts bare LF line ends too. */
export function headEnd(bytes: Buffer): number {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return -1;
  if (lf < 0 || (crlf >= 0 && crlf + 1 < lf)) return crlf + 4;
  return lf + 2;
}

/** Go textproto's `trim`: spaces and tabs only (JS `trim` would take \v, \f and U+00A0 too). */
function trimSpaceTab(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * Header lines as Go 1.19's `textproto.ReadMIMEHeader` (the real v2ray's) reads them: a line
 * starting with a space or tab continues the previous one (obs-fold, joined with one space), a
 * line without a colon is an error, an empty name is skipped, and a name that is no token is kept
 * as written (the encoders drop it, as Go's `Header.Write` does).
 */
function parseHeaderLines(lines: string[]): HeaderList | string {
  const headers: HeaderList = [];
  const first = lines[0];
  if (first !== undefined && /^[ \t]/.test(first)) return `malformed MIME header initial line: ${first.slice(0, 60)}`;
  const joined: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && joined.length > 0) joined[joined.length - 1] += ` ${trimSpaceTab(line)}`;
    else joined.push(trimSpaceTab(line));
  }
  for (const line of joined) {
    const colon = line.indexOf(':');
    if (colon < 0) return `malformed MIME header line: ${line.slice(0, 60)}`;
    if (colon === 0) continue;
    headers.push([canonicalHeaderName(line.slice(0, colon)), trimSpaceTab(line.slice(colon + 1))]);
  }
  return headers;
}

function splitHead(head: Buffer): string[] {
  return head.toString('latin1').replace(/\r?\n\r?\n$/, '').split(/\r?\n/);
}

function parseVersion(text: string): { major: number; minor: number } | undefined {
  const match = /^HTTP\/(\d)\.(\d)$/.exec(text);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/** `Content-Length` values that must agree, as Go checks them. */
function contentLength(headers: HeaderList): number | undefined | 'bad' {
  const values = headers.filter(([key]) => key === 'Content-Length').map(([, value]) => value);
  if (values.length === 0) return undefined;
  if (values.some((value) => value !== values[0]) || !/^\d{1,15}$/.test(values[0]!)) return 'bad';
  return Number(values[0]);
}

function isChunked(headers: HeaderList): boolean | 'bad' {
  const values = headers.filter(([key]) => key === 'Transfer-Encoding').map(([, value]) => value.toLowerCase());
  if (values.length === 0) return false;
  return values.length === 1 && values[0] === 'chunked' ? true : 'bad';
}

/** Go `url.Parse` checks an authority's port: digits only, or none ("0x50" is refused there). */
function validUrlPort(host: string): boolean {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end >= 0 && /^(?::\d*)?$/.test(host.slice(end + 1));
  }
  const colon = host.lastIndexOf(':');
  return colon < 0 || /^:\d*$/.test(host.slice(colon));
}

/** Parses a request head (`head` ends with its empty line). */
export function parseRequestHead(head: Buffer): RequestHead | { error: PortholeError } {
  const [requestLine = '', ...lines] = splitHead(head);
  const parts = requestLine.split(' ');
  const version = parts.length === 3 ? parseVersion(parts[2]!) : undefined;
  if (!version || !TOKEN.test(parts[0]!) || parts[1] === '') return { error: badRequest(`malformed HTTP request ${JSON.stringify(requestLine.slice(0, 60))}`) };
  const method = parts[0]!;
  const target = parts[1]!;
  const headers = parseHeaderLines(lines);
  if (typeof headers === 'string') return { error: badRequest(headers) };
  let scheme = '';
  let urlHost = '';
  let requestUri = target;
  if (method === 'CONNECT' && !target.startsWith('/')) {
    // Go parses it as "http://" + target: the authority ends at a "/" or "?".
    urlHost = target.replace(/[/?].*$/s, '').replace(/^.*@/s, '');
  } else if (!target.startsWith('/') && target !== '*') {
    const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?]*)(.*)$/s.exec(target);
    if (!match) return { error: badRequest(`invalid URI for request ${JSON.stringify(target.slice(0, 60))}`) };
    scheme = match[1]!.toLowerCase();
    urlHost = match[2]!.replace(/^.*@/s, '');
    const rest = match[3]!;
    requestUri = rest.startsWith('/') ? rest : `/${rest}`;
  }
  if (!validUrlPort(urlHost)) return { error: badRequest(`invalid port in ${JSON.stringify(urlHost.slice(0, 60))}`) };
  const chunked = isChunked(headers);
  const length = contentLength(headers);
  if (chunked === 'bad') return { error: badRequest('unsupported transfer encoding') };
  if (length === 'bad') return { error: badRequest('bad Content-Length') };
  return {
    method, target, scheme, urlHost, requestUri, ...version, headers,
    body: chunked ? { kind: 'chunked' } : { kind: 'length', length: length ?? 0 },
  };
}

/** The destination's host: the URI's, else the Host header's (Go's `Request.Host`). */
export function requestHost(request: RequestHead): string {
  return request.urlHost !== '' ? request.urlHost : headerValue(request.headers, 'Host');
}

/** Go's `Header.Write`: sorted by name, names that are no token dropped. */
function sortedHeaderLines(headers: HeaderList, exclude: readonly string[]): string[] {
  const names = [...new Set(headers.map(([name]) => name))].filter((name) => !exclude.includes(name) && TOKEN.test(name)).sort();
  return names.flatMap((name) => headers.filter(([key]) => key === name).map(([key, value]) => `${key}: ${value}`));
}

/**
 * Go `net.SplitHostPort`, as 4.34's `http_proto.ParseHost` uses it: `host:port`, `[v6]:port`; a
 * missing port is no error there (the whole text is the host), any other complaint is.
 */
function splitHostPort(text: string): { host: string; port: string } | 'missing port' | 'bad' {
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return 'missing port';
  let host: string;
  let from = 0;
  let afterBracket = 0;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return 'bad';
    if (end + 1 === text.length) return 'missing port';
    if (end + 1 !== lastColon) return text[end + 1] === ':' ? 'bad' : 'missing port';
    host = text.slice(1, end);
    from = 1;
    afterBracket = end + 1;
  } else {
    host = text.slice(0, lastColon);
    if (host.includes(':')) return 'bad';
  }
  if (text.indexOf('[', from) >= 0 || text.indexOf(']', afterBracket) >= 0) return 'bad';
  return { host, port: text.slice(lastColon + 1) };
}

/**
 * Go `strconv.ParseUint(text, 0, 16)`: decimal, or 0x/0o/0b/0 (octal) prefixed, with "_" only
 * between digits or after a prefix; undefined when it is no number of 16 bits.
 */
export function parseGoPort(text: string): number | undefined {
  const match = /^(0[xXoObB]|0(?=.))?(.*)$/s.exec(text);
  if (!match) return undefined;
  const prefix = (match[1] ?? '').toLowerCase();
  const digits = match[2]!;
  const radix = prefix === '0x' ? 16 : prefix === '0o' || prefix === '0' ? 8 : prefix === '0b' ? 2 : 10;
  const alphabet = { 16: '[0-9a-fA-F]', 8: '[0-7]', 2: '[01]', 10: '[0-9]' }[radix];
  // "_" may follow a prefix; a plain decimal may carry "_" between digits too.
  const shape = new RegExp(`^${prefix !== '' ? '_?' : ''}${alphabet}+(?:_${alphabet}+)*$`);
  if (!shape.test(digits)) return undefined;
  const value = parseInt(digits.replaceAll('_', ''), radix);
  return value <= 0xffff ? value : undefined;
}

/**
 * 4.34 `http_proto.ParseHost`: the request's host and port (the scheme's default without one);
 * undefined when Go refuses it ("malformed proxy host").
 */
export function parseProxyHost(raw: string, defaultPort: number): { host: string; port: number } | undefined {
  const split = splitHostPort(raw);
  if (split === 'bad') return undefined;
  if (split === 'missing port') return { host: raw, port: defaultPort };
  if (split.port === '') return { host: split.host, port: defaultPort };
  const port = parseGoPort(split.port);
  return port === undefined ? undefined : { host: split.host, port };
}

const SENDS_EMPTY_LENGTH = ['POST', 'PUT', 'PATCH'];

/** The request as 4.34 forwards it (Go's `Request.Write` after `RemoveHopByHopHeaders` and `Connection: close`). */
export function encodeForwardedRequest(request: RequestHead): Buffer {
  const host = requestHost(request).replace(/[/ ].*$/, '');
  const userAgent = headerValue(request.headers, 'User-Agent');
  const lines = [`${request.method} ${request.requestUri} HTTP/1.1`, `Host: ${host}`];
  if (userAgent !== '') lines.push(`User-Agent: ${userAgent}`);
  if (request.body.kind === 'chunked') lines.push('Transfer-Encoding: chunked');
  else if (request.body.length > 0 || SENDS_EMPTY_LENGTH.includes(request.method)) lines.push(`Content-Length: ${request.body.length}`);
  const headers = setHeader(removeHopByHopHeaders(request.headers), 'Connection', 'close');
  lines.push(...sortedHeaderLines(headers, ['Host', 'User-Agent', 'Content-Length', 'Transfer-Encoding', 'Trailer']));
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function bodyAllowed(code: number): boolean {
  return !((code >= 100 && code < 200) || code === 204 || code === 304);
}

/** Parses a response head to `method`'s request. */
export function parseResponseHead(head: Buffer, method: string): ResponseHead | { error: PortholeError } {
  const [statusLine = '', ...lines] = splitHead(head);
  const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
  const version = match ? parseVersion(match[1]!) : undefined;
  if (!match || !version) return { error: badRequest(`malformed HTTP response ${JSON.stringify(statusLine.slice(0, 60))}`) };
  const headers = parseHeaderLines(lines);
  if (typeof headers === 'string') return { error: badRequest(headers) };
  const code = Number(match[2]);
  const chunked = isChunked(headers);
  const length = contentLength(headers);
  if (chunked === 'bad') return { error: badRequest('unsupported transfer encoding') };
  if (length === 'bad') return { error: badRequest('bad Content-Length') };
  let body: ResponseHead['body'];
  if (method === 'HEAD' || !bodyAllowed(code)) body = { kind: 'length', length: 0 };
  else if (chunked) body = { kind: 'chunked' };
  else if (length !== undefined) body = { kind: 'length', length };
  else body = { kind: 'close' };
  return { ...version, code, text: match[3] ?? '', headers, body };
}

/** The response head as 4.34 writes it back to the client (Go's `Response.Write`). */
export function encodeResponseHead(response: ResponseHead, method: string): Buffer {
  const lines = [`HTTP/${response.major}.${response.minor} ${String(response.code).padStart(3, '0')} ${response.text}`];
  let headers = removeHopByHopHeaders(response.headers);
  const known = response.body.kind === 'length';
  if (known) {
    headers = setHeader(setHeader(setHeader(headers, 'Proxy-Connection', 'keep-alive'), 'Connection', 'keep-alive'), 'Keep-Alive', 'timeout=4');
  } else {
    lines.push('Connection: close');
  }
  let lengthSent = false;
  if (response.body.kind === 'chunked') {
    lines.push('Transfer-Encoding: chunked');
  } else if (response.body.kind === 'length' && (response.body.length > 0 || SENDS_EMPTY_LENGTH.includes(method))) {
    lines.push(`Content-Length: ${response.body.length}`);
    lengthSent = true;
  }
  lines.push(...sortedHeaderLines(headers, ['Content-Length', 'Transfer-Encoding', 'Trailer']));
  if (response.body.kind === 'length' && response.body.length === 0 && !lengthSent && bodyAllowed(response.code)) lines.push('Content-Length: 0');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** 4.34's answers of its own, byte for byte (Go's `Response.Write` of the responses it builds). */
export const ANSWER = {
  notProxyRequest: Buffer.from('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n'),
  authRequired: Buffer.from('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\n\r\n'),
  unavailable: Buffer.from('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n'),
  connectionEstablished: Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n'),
} as const;

/** Go's `parseBasicAuth`: `Basic base64(user:pass)`; undefined when it is not that. */
export function parseBasicAuth(value: string): { user: string; pass: string } | undefined {
  if (!value.startsWith('Basic ')) return undefined;
  const encoded = value.slice(6);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

const CHUNK_STATE = { size: 0, data: 1, dataEnd: 2, trailer: 3, done: 4 } as const;

/**
 * Finds where a chunked body ends, fed in pieces: `push` answers how many bytes of the piece
 * belong to the body (all of it until the end is seen), or an error for a malformed chunk size.
 */
export class ChunkedBodyEnd {
  private state: number = CHUNK_STATE.size;
  private line = '';
  private remaining = 0;

  get done(): boolean {
    return this.state === CHUNK_STATE.done;
  }

  push(bytes: Buffer): number | { error: PortholeError } {
    let index = 0;
    while (index < bytes.length && this.state !== CHUNK_STATE.done) {
      if (this.state === CHUNK_STATE.data) {
        const take = Math.min(this.remaining, bytes.length - index);
        this.remaining -= take;
        index += take;
        if (this.remaining === 0) this.state = CHUNK_STATE.dataEnd;
        continue;
      }
      const byte = bytes[index]!;
      index += 1;
      if (byte !== 0x0a) {
        if (this.line.length > 4096) return { error: badRequest('chunk line too long') };
        if (byte !== 0x0d) this.line += String.fromCharCode(byte);
        continue;
      }
      const line = this.line;
      this.line = '';
      if (this.state === CHUNK_STATE.size) {
        const size = /^([0-9a-fA-F]{1,15})(?:[ \t]*;.*)?[ \t]*$/.exec(line);
        if (!size) return { error: badRequest(`invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`) };
        this.remaining = parseInt(size[1]!, 16);
        this.state = this.remaining === 0 ? CHUNK_STATE.trailer : CHUNK_STATE.data;
      } else if (this.state === CHUNK_STATE.dataEnd) {
        if (line !== '') return { error: badRequest('malformed chunked encoding') };
        this.state = CHUNK_STATE.size;
      } else if (line === '') {
        this.state = CHUNK_STATE.done;
      }
    }
    return index;
  }
}
