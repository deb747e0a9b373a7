/**
 * Counts the WebSocket frames of one direction of an upgraded connection (RFC 6455 §5.2), for
 * the inspector's one-entry summary. It reads frame headers only (copying at most 14 bytes of
 * one); payloads are skipped, except the first few text messages, of which a short, unmasked
 * preview is kept.
 *
 *    0                   1                   2                   3
 *   |F|R|R|R| opcode|M| len (7) |  extended length (0, 16 or 64 bits)  |
 *   |I|S|S|S|  (4)  |A|         |                                       |
 *   |N|V|V|V|       |S|         |  masking key (0 or 32 bits) | payload ...
 *
 * A header that makes no sense (a reserved opcode, a 64-bit length with its top bit set) stops
 * the counting; bytes are still counted.
 */

/** Text messages previewed per direction, and bytes kept of each. */
export const PREVIEW_MESSAGES = 3;
export const PREVIEW_BYTES = 256;

export interface WebSocketDirectionSummary {
  /** Bytes seen in this direction after the upgrade. */
  bytes: number;
  frames: number;
  /** Complete data messages (a fragmented message counts once). */
  messages: number;
  /** The start of the first text messages (compressed ones are shown as such). */
  firstTexts: string[];
  /** Set when a frame header made no sense: frames were no longer counted after it. */
  unreadable: boolean;
}

export interface WebSocketSummary {
  fromVisitor: WebSocketDirectionSummary;
  fromService: WebSocketDirectionSummary;
  /** The close code the first Close frame carried, if any. */
  closeCode: number | null;
}

export function emptyWebSocketSummary(): WebSocketSummary {
  const direction = (): WebSocketDirectionSummary => ({ bytes: 0, frames: 0, messages: 0, firstTexts: [], unreadable: false });
  return { fromVisitor: direction(), fromService: direction(), closeCode: null };
}

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const KNOWN_OPCODES = new Set([OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE, 0x9, 0xa]);

export class WebSocketFrameCounter {
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  private remaining = 0;
  /** The frame being skipped: what of its payload to keep. */
  private keep: { bytes: number[]; mask: Buffer | null; isText: boolean; compressed: boolean; isClose: boolean; seen: number } | null = null;

  constructor(
    private readonly direction: WebSocketDirectionSummary,
    private readonly summary: WebSocketSummary,
  ) {}

  feed(data: Buffer, start: number, end: number): void {
    this.direction.bytes += end - start;
    if (this.direction.unreadable) return;
    let index = start;
    while (index < end) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, end - index);
        if (this.keep) this.keepPayload(data, index, index + take);
        this.remaining -= take;
        index += take;
        if (this.remaining === 0) this.payloadDone();
        continue;
      }
      index = this.readHeader(data, index, end);
    }
  }

  private readHeader(data: Buffer, start: number, end: number): number {
    let index = start;
    while (index < end && this.headerLength < this.neededHeaderBytes()) {
      this.header[this.headerLength] = data[index] ?? 0;
      this.headerLength += 1;
      index += 1;
    }
    if (this.headerLength < this.neededHeaderBytes()) return index;
    this.frameHeaderDone();
    return index;
  }

  private neededHeaderBytes(): number {
    if (this.headerLength < 2) return 2;
    const second = this.header[1] ?? 0;
    const lengthCode = second & 0x7f;
    const extended = lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0;
    return 2 + extended + (second & 0x80 ? 4 : 0);
  }

  private frameHeaderDone(): void {
    const first = this.header[0] ?? 0;
    const second = this.header[1] ?? 0;
    const opcode = first & 0x0f;
    const lengthCode = second & 0x7f;
    let length = lengthCode;
    let at = 2;
    if (lengthCode === 126) {
      length = this.header.readUInt16BE(2);
      at = 4;
    } else if (lengthCode === 127) {
      const big = this.header.readBigUInt64BE(2);
      at = 10;
      length = big > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(big);
    }
    this.headerLength = 0;
    if (!KNOWN_OPCODES.has(opcode) || length < 0) {
      this.direction.unreadable = true;
      return;
    }
    this.direction.frames += 1;
    const fin = (first & 0x80) !== 0;
    if (fin && (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY || opcode === OPCODE_CONTINUATION)) this.direction.messages += 1;
    const mask = second & 0x80 ? Buffer.from(this.header.subarray(at, at + 4)) : null;
    const isClose = opcode === OPCODE_CLOSE && this.summary.closeCode === null;
    const isText = opcode === OPCODE_TEXT && this.direction.firstTexts.length < PREVIEW_MESSAGES;
    this.keep = isClose || isText ? { bytes: [], mask, isText, compressed: (first & 0x40) !== 0, isClose, seen: 0 } : null;
    this.remaining = length;
    if (length === 0) this.payloadDone();
  }

  private keepPayload(data: Buffer, start: number, end: number): void {
    const keep = this.keep;
    if (!keep) return;
    for (let index = start; index < end && keep.bytes.length < PREVIEW_BYTES; index += 1) {
      const byte = data[index] ?? 0;
      keep.bytes.push(keep.mask ? byte ^ (keep.mask[keep.seen % 4] ?? 0) : byte);
      keep.seen += 1;
    }
  }

  private payloadDone(): void {
    const keep = this.keep;
    this.keep = null;
    if (!keep) return;
    const bytes = Buffer.from(keep.bytes);
    if (keep.isClose) this.summary.closeCode = bytes.length >= 2 ? bytes.readUInt16BE(0) : 1005;
    if (keep.isText) this.direction.firstTexts.push(keep.compressed ? '(compressed)' : bytes.toString('utf8'));
  }
}
