/**
 * A strict, resumable HTTP/1.1 message parser (RFC 9112) for the request inspector: one instance
 * per direction of a connection, fed the chunks as they pass. It only reads: body bytes are
 * handed on as (buffer, start, end) ranges of the chunk, never copied; only a message's head
 * (≤ MAX_HEAD_BYTES) and chunk-size lines are copied. Why not llhttp: README.md.
 *
 *   HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]      (§2.1)
 *   request-line = method SP request-target SP HTTP-version                       (§3)
 *   status-line  = HTTP-version SP status-code [ SP reason-phrase ]               (§4)
 *   field-line   = field-name ":" OWS field-value OWS                             (§5)
 *   chunked-body = *( chunk-size [ chunk-ext ] CRLF chunk-data CRLF )
 *                  "0" [ chunk-ext ] CRLF *( field-line CRLF ) CRLF               (§7.1)
 *
 * Strict as llhttp is without its lenient flags: CRLF only (no bare LF or CR), no obs-fold, no
 * space before a colon, token method and field names, only HTTP/1.0 and HTTP/1.1, one valid
 * Content-Length, never Content-Length beside Transfer-Encoding, a request's Transfer-Encoding
 * must end in chunked (§6.3), a chunk's data must end in CRLF. Anything else throws
 * HttpParseError, after which the parser takes no more input.
 */

/** Longest head (start line and fields, or a trailer section) copied while it arrives. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size line (size and extensions). */
export const MAX_CHUNK_LINE_BYTES = 4096;

const CR = 0x0d;
const LF = 0x0a;

const State = {
  Head: 0,
  BodyLength: 1,
  ChunkLine: 2,
  ChunkData: 3,
  ChunkDataEnd: 4,
  Trailers: 5,
  BodyUntilClose: 6,
  Paused: 7,
  Failed: 8,
} as const;
type State = (typeof State)[keyof typeof State];

/** One header field as sent: its name's case and the fields' order are kept. */
export type HeaderField = [name: string, value: string];

/** A message's start line and fields. Strings are latin1: every byte kept as one character. */
export interface MessageHead {
  readonly method: string | null;
  readonly target: string | null;
  readonly status: number | null;
  readonly reason: string | null;
  readonly version: '1.0' | '1.1';
  readonly headers: HeaderField[];
  /** Wire bytes of the head, empty lines before it included. */
  readonly headBytes: number;
}

/**
 * What the other direction says about the message whose head was just parsed:
 * - `framed`: its body is framed by its own fields (the default);
 * - `no-body`: it has none whatever its fields say (a response to HEAD, 1xx, 204, 304);
 * - `tunnel`: the bytes after the head are not HTTP (101 Switching Protocols, CONNECT's 2xx);
 * - `pause-after`: parse the body, then pause (a request asking to upgrade: only its answer
 *   tells whether HTTP goes on).
 */
export type HeadOutcome = 'framed' | 'no-body' | 'tunnel' | 'pause-after';

export interface MessageEvents {
  head(head: MessageHead): HeadOutcome;
  /** Body bytes (chunked framing removed): `data[start, end)`, valid only during the call. */
  body(data: Buffer, start: number, end: number): void;
  /** The message is complete; `trailers` are a chunked body's trailer fields. */
  end(trailers: HeaderField[]): void;
}

/** Input that is not strict HTTP/1.1 (or a message cut short at the end of the stream). */
export class HttpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpParseError';
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/1\.([01])$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DIGITS = /^[0-9]+$/;
const CHUNK_LINE = /^([0-9A-Fa-f]{1,15})((?:[\t ]*;[\t\x20-\x7e\x80-\xff]*)?)$/;

export class HttpMessageParser {
  private state: State = State.Head;
  /** Parts of a head or trailer section seen so far (copied: they outlive their chunks). */
  private headParts: Buffer[] = [];
  private headLength = 0;
  /** How much of CR LF CR LF the bytes just seen match. */
  private terminatorMatched = 0;
  private remaining = 0;
  private pauseAfterMessage = false;
  private chunkLine = '';
  private chunkEndSeen = 0;

  constructor(
    readonly kind: 'request' | 'response',
    private readonly events: MessageEvents,
  ) {}

  /** Between messages with nothing of the next one seen: an end of stream here is clean. */
  get idle(): boolean {
    return this.state === State.Head && this.headLength === 0;
  }

  get paused(): boolean {
    return this.state === State.Paused;
  }

  /**
   * Parses `data[offset..]`; returns how far it got, which is `data.length` unless the parser
   * paused (an upgrade or a tunnel: the rest is not for it). Throws HttpParseError.
   */
  execute(data: Buffer, offset = 0): number {
    let index = offset;
    try {
      while (index < data.length) {
        switch (this.state) {
          case State.Head:
          case State.Trailers:
            index = this.readHead(data, index);
            break;
          case State.BodyLength:
          case State.ChunkData:
            index = this.readCounted(data, index);
            break;
          case State.ChunkLine:
            index = this.readChunkLine(data, index);
            break;
          case State.ChunkDataEnd:
            index = this.readChunkDataEnd(data, index);
            break;
          case State.BodyUntilClose:
            this.events.body(data, index, data.length);
            index = data.length;
            break;
          case State.Paused:
            return index;
          default:
            throw new HttpParseError('the parser failed before');
        }
      }
    } catch (error) {
      this.state = State.Failed;
      throw error;
    }
    return index;
  }

  /** The stream ended: a body read until close is complete; anything else half-read is an error. */
  finish(): void {
    if (this.state === State.BodyUntilClose) {
      this.state = State.Head;
      this.events.end([]);
      return;
    }
    if (this.idle || this.state === State.Paused || this.state === State.Failed) return;
    this.state = State.Failed;
    throw new HttpParseError('the stream ended inside a message');
  }

  /** Goes on with HTTP after a pause (an upgrade the other side declined). */
  resume(): void {
    if (this.state === State.Paused) this.state = State.Head;
  }

  private readHead(data: Buffer, start: number): number {
    let matched = this.terminatorMatched;
    let index = start;
    for (; index < data.length; index += 1) {
      const byte = data[index];
      if (byte === CR) matched = matched === 0 || matched === 2 ? matched + 1 : 1;
      else if (byte === LF && (matched === 1 || matched === 3)) matched += 1;
      else matched = 0;
      if (matched === 4) break;
    }
    const end = index === data.length ? index : index + 1;
    this.headLength += end - start;
    if (this.headLength > MAX_HEAD_BYTES) throw new HttpParseError(`a head longer than ${MAX_HEAD_BYTES} bytes`);
    this.headParts.push(Buffer.from(data.subarray(start, end)));
    if (matched !== 4) {
      this.terminatorMatched = matched;
      return end;
    }
    const text = Buffer.concat(this.headParts).toString('latin1');
    const headBytes = this.headLength;
    this.headParts = [];
    this.headLength = 0;
    this.terminatorMatched = 0;
    if (this.state === State.Trailers) this.trailersDone(text);
    else this.headDone(text, headBytes);
    return end;
  }

  private headDone(text: string, headBytes: number): void {
    const lines = text.slice(0, -4).split('\r\n');
    // RFC 9112 §2.2: empty lines before a request line are ignored (so are they before a status line here).
    while (lines[0] === '') lines.shift();
    if (lines.length === 0) return;
    const head = this.kind === 'request' ? parseRequestLine(lines[0] ?? '', headBytes) : parseStatusLine(lines[0] ?? '', headBytes);
    head.headers.push(...parseFields(lines.slice(1)));
    const framing = framingOf(this.kind, head.headers);
    const outcome = this.events.head(head);
    this.pauseAfterMessage = outcome === 'pause-after';
    if (outcome === 'tunnel') {
      this.state = State.Paused;
      return;
    }
    if (outcome === 'no-body' || framing.kind === 'length' && framing.length === 0) {
      this.messageDone([]);
      return;
    }
    if (framing.kind === 'length') {
      this.state = State.BodyLength;
      this.remaining = framing.length;
    } else if (framing.kind === 'chunked') {
      this.state = State.ChunkLine;
      this.chunkLine = '';
    } else {
      this.state = State.BodyUntilClose;
    }
  }

  private trailersDone(text: string): void {
    // The trailer section was matched as if after a CRLF (see readChunkLine): drop that start.
    const body = text.slice(0, -2);
    const trailers = body === '' ? [] : parseFields(body.slice(0, -2).split('\r\n'));
    this.messageDone(trailers);
  }

  private messageDone(trailers: HeaderField[]): void {
    this.state = this.pauseAfterMessage ? State.Paused : State.Head;
    this.pauseAfterMessage = false;
    this.events.end(trailers);
  }

  private readCounted(data: Buffer, start: number): number {
    const end = Math.min(data.length, start + this.remaining);
    this.remaining -= end - start;
    this.events.body(data, start, end);
    if (this.remaining === 0) {
      if (this.state === State.ChunkData) {
        this.state = State.ChunkDataEnd;
        this.chunkEndSeen = 0;
      } else {
        this.messageDone([]);
      }
    }
    return end;
  }

  private readChunkLine(data: Buffer, start: number): number {
    const lf = data.indexOf(LF, start);
    const end = lf === -1 ? data.length : lf + 1;
    this.chunkLine += data.toString('latin1', start, end);
    if (this.chunkLine.length > MAX_CHUNK_LINE_BYTES) throw new HttpParseError(`a chunk-size line longer than ${MAX_CHUNK_LINE_BYTES} bytes`);
    if (lf === -1) return end;
    if (!this.chunkLine.endsWith('\r\n')) throw new HttpParseError('a chunk-size line not ended by CRLF');
    const match = CHUNK_LINE.exec(this.chunkLine.slice(0, -2));
    if (!match) throw new HttpParseError('an invalid chunk-size line');
    const size = Number.parseInt(match[1] ?? '', 16);
    if (!Number.isSafeInteger(size)) throw new HttpParseError('a chunk size too large');
    this.chunkLine = '';
    if (size === 0) {
      this.state = State.Trailers;
      // The last chunk's CRLF counts as the line before the trailer section: an empty section is one CRLF.
      this.terminatorMatched = 2;
    } else {
      this.state = State.ChunkData;
      this.remaining = size;
    }
    return end;
  }

  private readChunkDataEnd(data: Buffer, start: number): number {
    let index = start;
    while (index < data.length && this.chunkEndSeen < 2) {
      const expected = this.chunkEndSeen === 0 ? CR : LF;
      if (data[index] !== expected) throw new HttpParseError('chunk data not followed by CRLF');
      this.chunkEndSeen += 1;
      index += 1;
    }
    if (this.chunkEndSeen === 2) {
      this.state = State.ChunkLine;
      this.chunkLine = '';
    }
    return index;
  }
}

function parseRequestLine(line: string, headBytes: number): MessageHead & { headers: HeaderField[] } {
  const match = REQUEST_LINE.exec(line);
  if (!match) throw new HttpParseError('not an HTTP/1.x request line');
  return { method: match[1] ?? '', target: match[2] ?? '', status: null, reason: null, version: match[3] === '1' ? '1.1' : '1.0', headers: [], headBytes };
}

function parseStatusLine(line: string, headBytes: number): MessageHead & { headers: HeaderField[] } {
  const match = STATUS_LINE.exec(line);
  if (!match) throw new HttpParseError('not an HTTP/1.x status line');
  return { method: null, target: null, status: Number(match[2]), reason: match[3] ?? '', version: match[1] === '1' ? '1.1' : '1.0', headers: [], headBytes };
}

function parseFields(lines: string[]): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpParseError(line.startsWith(' ') || line.startsWith('\t') ? 'a folded header line (obs-fold)' : 'a header line without a name and colon');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpParseError(`an invalid header name "${name.slice(0, 40)}"`);
    const value = line.slice(colon + 1).replace(/^[\t ]+|[\t ]+$/g, '');
    if (!FIELD_VALUE.test(value)) throw new HttpParseError(`a control character in the value of ${name}`);
    fields.push([name, value]);
  }
  return fields;
}

type Framing = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'until-close' };

/** RFC 9112 §6.3: how the body is delimited, from the fields alone. */
function framingOf(kind: 'request' | 'response', headers: readonly HeaderField[]): Framing {
  const lengths: string[] = [];
  const codings: string[] = [];
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (key === 'content-length') lengths.push(value);
    else if (key === 'transfer-encoding') codings.push(...value.split(',').map((coding) => coding.trim().toLowerCase()));
  }
  if (codings.length > 0) {
    if (lengths.length > 0) throw new HttpParseError('both Transfer-Encoding and Content-Length');
    if (codings.some((coding) => coding === '')) throw new HttpParseError('an empty transfer coding');
    const chunkedAt = codings.indexOf('chunked');
    if (chunkedAt === codings.length - 1) return { kind: 'chunked' };
    if (chunkedAt !== -1) throw new HttpParseError('chunked that is not the last transfer coding');
    if (kind === 'request') throw new HttpParseError('a request whose last transfer coding is not chunked');
    return { kind: 'until-close' };
  }
  if (lengths.length > 1) throw new HttpParseError('more than one Content-Length');
  const [length] = lengths;
  if (length !== undefined) {
    if (!DIGITS.test(length)) throw new HttpParseError(`an invalid Content-Length "${length.slice(0, 40)}"`);
    const value = Number(length);
    if (!Number.isSafeInteger(value)) throw new HttpParseError('a Content-Length too large');
    return { kind: 'length', length: value };
  }
  return kind === 'request' ? { kind: 'length', length: 0 } : { kind: 'until-close' };
}
