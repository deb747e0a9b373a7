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
const TERMINATOR = Buffer.from('\r\n\r\n');

/** How much of CR LF CR LF the end of `data[from..]` is (0 to 3). */
function trailingTerminatorPart(data: Buffer, from: number): number {
  const length = data.length - from;
  const at = (back: number) => data[data.length - back];
  if (length >= 3 && at(3) === CR && at(2) === LF && at(1) === CR) return 3;
  if (length >= 2 && at(2) === CR && at(1) === LF) return 2;
  if (length >= 1 && at(1) === CR) return 1;
  return 0;
}

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
  /** The message is complete: `trailers` of a chunked body, `wireBytes` head and framed body. */
  end(trailers: HeaderField[], wireBytes: number): void;
}

/** Input that is not strict HTTP/1.1 (or a message cut short at the end of the stream). */
export class HttpParseError extends Error {
  constructor(message: string, readonly headTooLarge = false) {
    super(message);
    this.name = 'HttpParseError';
  }
}

export interface HttpParserOptions {
  /** Longest head (start line and fields, or a trailer section); default MAX_HEAD_BYTES. */
  readonly maxHeadBytes?: number;
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
  /** Still reading a head's start line (empty lines before it included), checked byte by byte. */
  private inStartLine = true;
  /** Whether heads' start lines are checked as they arrive (until the first head parsed). */
  private checkStartLine = true;
  private startLineBytes = 0;
  /** Wire bytes of the message being read. */
  private messageBytes = 0;
  /** Set when a step completed a message (its trailers). */
  private completed: HeaderField[] | undefined;

  private readonly maxHeadBytes: number;

  constructor(
    readonly kind: 'request' | 'response',
    private readonly events: MessageEvents,
    options: HttpParserOptions = {},
  ) {
    this.maxHeadBytes = options.maxHeadBytes ?? MAX_HEAD_BYTES;
  }

  /** Between messages with nothing of the next one seen: an end of stream here is clean. */
  get idle(): boolean {
    return this.state === State.Head && this.headLength === 0;
  }

  get paused(): boolean {
    return this.state === State.Paused;
  }

  /** Part of a head has arrived, not all of it (what a head timeout measures). */
  get readingHead(): boolean {
    return this.state === State.Head && this.headLength > 0;
  }

  /**
   * Parses `data[offset..]`; returns how far it got, which is `data.length` unless the parser
   * paused (an upgrade or a tunnel: the rest is not for it). Throws HttpParseError.
   */
  execute(data: Buffer, offset = 0): number {
    let index = offset;
    try {
      while (index < data.length) {
        const next = this.step(data, index);
        if (next === -1) return index;
        this.messageBytes += next - index;
        index = next;
        const trailers = this.completed;
        if (trailers) {
          this.completed = undefined;
          const wireBytes = this.messageBytes;
          this.messageBytes = 0;
          this.events.end(trailers, wireBytes);
        }
      }
    } catch (error) {
      this.state = State.Failed;
      throw error;
    }
    return index;
  }

  /** Parses from `index`; returns where it stopped, or -1 when paused. */
  private step(data: Buffer, index: number): number {
    switch (this.state) {
      case State.Head:
      case State.Trailers:
        return this.readHead(data, index);
      case State.BodyLength:
      case State.ChunkData:
        return this.readCounted(data, index);
      case State.ChunkLine:
        return this.readChunkLine(data, index);
      case State.ChunkDataEnd:
        return this.readChunkDataEnd(data, index);
      case State.BodyUntilClose:
        this.events.body(data, index, data.length);
        return data.length;
      case State.Paused:
        return -1;
      default:
        throw new HttpParseError('the parser failed before');
    }
  }

  /**
   * The stream ended: a body read until close is complete. Returns false when a message was cut
   * short (the caller says so on its entry); the parser takes no more input either way.
   */
  finish(): boolean {
    if (this.state === State.BodyUntilClose) {
      this.state = State.Head;
      const wireBytes = this.messageBytes;
      this.messageBytes = 0;
      this.events.end([], wireBytes);
      return true;
    }
    const clean = this.idle || this.state === State.Paused || this.state === State.Failed;
    this.state = State.Failed;
    return clean;
  }

  /**
   * Goes on with HTTP after a pause, or does not pause after the message being read (an upgrade
   * the other side declined).
   */
  resume(): void {
    this.pauseAfterMessage = false;
    if (this.state !== State.Paused) return;
    this.state = State.Head;
    this.messageBytes = 0;
  }

  private readHead(data: Buffer, start: number): number {
    let matched = this.terminatorMatched;
    let index = start;
    // Byte by byte through the start line and any CR LF run; the fields in between are skipped
    // with indexOf (a head is read on every request: this is the inspector's hot path).
    for (; index < data.length && (this.inStartLine || matched !== 0); index += 1) {
      const byte = data[index] ?? 0;
      if (byte === CR) matched = matched === 0 || matched === 2 ? matched + 1 : 1;
      else if (byte === LF && (matched === 1 || matched === 3)) matched += 1;
      else matched = 0;
      if (matched === 4) break;
      // Fail a stream that is not HTTP at its first bytes (a TLS hello starts 0x16), not after 64 KiB.
      if (this.inStartLine) {
        if (matched === 2) this.inStartLine = this.startLineBytes === 0;
        else if (byte === LF || byte < 0x20 && byte !== CR && byte !== 0x09 || byte === 0x7f) throw new HttpParseError('not an HTTP/1.x start line');
        else if (byte !== CR) this.startLineBytes += 1;
      }
    }
    if (matched !== 4 && index < data.length) {
      const found = data.indexOf(TERMINATOR, index);
      if (found === -1) {
        index = data.length;
        matched = trailingTerminatorPart(data, start);
      } else {
        index = found + 3;
        matched = 4;
      }
    }
    const end = index === data.length ? index : index + 1;
    this.headLength += end - start;
    if (this.headLength > this.maxHeadBytes) throw new HttpParseError(`a head longer than ${this.maxHeadBytes} bytes`, true);
    if (matched !== 4) {
      // Copied: the head outlives this chunk.
      this.headParts.push(Buffer.from(data.subarray(start, end)));
      this.terminatorMatched = matched;
      return end;
    }
    const text = this.headParts.length === 0 ? data.toString('latin1', start, end) : Buffer.concat([...this.headParts, data.subarray(start, end)]).toString('latin1');
    const headBytes = this.headLength;
    this.headParts = [];
    this.headLength = 0;
    this.terminatorMatched = 0;
    this.inStartLine = this.checkStartLine;
    this.startLineBytes = 0;
    if (this.state === State.Trailers) this.trailersDone(text);
    else this.headDone(text, headBytes);
    return end;
  }

  private headDone(text: string, headBytes: number): void {
    // RFC 9112 §2.2: empty lines before a request line are ignored (so are they before a status line here).
    let start = 0;
    while (text.startsWith('\r\n', start)) start += 2;
    if (start >= text.length) return;
    const lineEnd = text.indexOf('\r\n', start);
    const startLine = text.slice(start, lineEnd);
    const head = this.kind === 'request' ? parseRequestLine(startLine, headBytes) : parseStatusLine(startLine, headBytes);
    const framingFields: FramingFields = { lengths: [], codings: [] };
    parseFieldsInto(head.headers, text, lineEnd + 2, text.length - 2, framingFields);
    // Past the first head the stream is HTTP: later heads skip the byte-by-byte start-line check.
    this.checkStartLine = false;
    this.inStartLine = false;
    const framing = framingOf(this.kind, framingFields);
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
    // Field lines, each ended by CRLF, then the CRLF that ends the section.
    const trailers: HeaderField[] = [];
    parseFieldsInto(trailers, text, 0, text.length - 2);
    this.messageDone(trailers);
  }

  private messageDone(trailers: HeaderField[]): void {
    this.state = this.pauseAfterMessage ? State.Paused : State.Head;
    this.pauseAfterMessage = false;
    // Announced by execute, once this step's bytes are counted.
    this.completed = trailers;
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
      this.inStartLine = false;
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

/** `text[from, to)` without optional whitespace (SP, HTAB) at either end. */
function trimOws(text: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start += 1;
  while (end > start && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end -= 1;
  return text.slice(start, end);
}

/** A run of valid field lines (RFC 9110 §5.1, §5.5: token ":" field-value CRLF), matched in one pass. */
const FIELD_LINES = /(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*\r\n)*/y;

/** What decides the body's framing, gathered while the fields are read. */
interface FramingFields {
  lengths: string[];
  codings: string[];
}

/**
 * The field lines of `text[from, to)`, each ended by CRLF, appended to `fields`; Content-Length
 * and Transfer-Encoding values also to `framing`. Validated first in one regex pass (a head is
 * read on every request); a line that fails is then found and named.
 */
function parseFieldsInto(fields: HeaderField[], text: string, from: number, to: number, framing?: FramingFields): void {
  FIELD_LINES.lastIndex = from;
  if (!FIELD_LINES.test(text) || FIELD_LINES.lastIndex !== to) explainInvalidField(text, from, to);
  for (let start = from; start < to;) {
    const end = text.indexOf('\r\n', start);
    const colon = text.indexOf(':', start);
    const name = text.slice(start, colon);
    const value = trimOws(text, colon + 1, end);
    fields.push([name, value]);
    if (framing && (name.length === 14 || name.length === 17)) {
      const key = name.toLowerCase();
      if (key === 'content-length') framing.lengths.push(value);
      else if (key === 'transfer-encoding') for (const coding of value.split(',')) framing.codings.push(coding.trim().toLowerCase());
    }
    start = end + 2;
  }
}

/** Throws the error that names the first invalid field line of `text[from, to)`. */
function explainInvalidField(text: string, from: number, to: number): never {
  for (let start = from; start < to;) {
    const end = text.indexOf('\r\n', start);
    const colon = text.indexOf(':', start);
    if (colon <= start || colon > end) {
      const first = text.charCodeAt(start);
      throw new HttpParseError(first === 0x20 || first === 0x09 ? 'a folded header line (obs-fold)' : 'a header line without a name and colon');
    }
    const name = text.slice(start, colon);
    if (!TOKEN.test(name)) throw new HttpParseError(`an invalid header name "${name.slice(0, 40)}"`);
    if (!FIELD_VALUE.test(text.slice(colon + 1, end))) throw new HttpParseError(`a control character in the value of ${name}`);
    start = end + 2;
  }
  throw new HttpParseError('an invalid header line');
}

type Framing = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'until-close' };

/** RFC 9112 §6.3: how the body is delimited, from the fields alone. */
function framingOf(kind: 'request' | 'response', { lengths, codings }: FramingFields): Framing {
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
  return kind === 'request' ? REQUEST_WITHOUT_BODY : UNTIL_CLOSE;
}

const REQUEST_WITHOUT_BODY: Framing = { kind: 'length', length: 0 };
const UNTIL_CLOSE: Framing = { kind: 'until-close' };
