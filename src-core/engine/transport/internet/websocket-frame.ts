/**
 * WebSocket framing (RFC 6455 §5), as a link needs it: a byte stream carried in binary messages.
 * Written here rather than taken from `ws` because every link write and read passes through it:
 * `ws` adds a Writable receiver, a sender queue and an event per message to each of them
 * (docs/performance.md, "The link's transports").
 *
 * The reader hands out data payloads as they arrive, frame by frame and even piece by piece of a
 * frame: the stream above joins them anyway, so a message is never assembled in memory. It checks
 * what RFC 6455 and gorilla/websocket (V2Ray 4.34's) check: no extension bits, known opcodes,
 * masking by the client only, whole and short control frames, continuations only inside a
 * fragmented message, and a bound on one frame's size.
 */
import { isUtf8 } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { PortholeError } from '../../common/errors.js';

export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** The close codes for "protocol error" and "message too big". */
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_TOO_BIG = 1009;
/** The close code for data that is not what its type says (a close reason that is not UTF-8). */
export const CLOSE_INVALID_DATA = 1007;

const MAX_CONTROL_PAYLOAD = 125;
const MASK_BYTES = 4;

export type WebSocketRole = 'client' | 'server';

/** A frame the peer should not have sent; `closeCode` is the RFC 6455 code for it. */
export class WebSocketProtocolError extends PortholeError {
  constructor(message: string, readonly closeCode: number = CLOSE_PROTOCOL_ERROR) {
    super('PH_WEBSOCKET_BAD_FRAME', `websocket: ${message}`);
  }
}

/** Masking keys come from a pool: one random fill per 1,024 frames, not one per frame. */
const maskPool = Buffer.alloc(MASK_BYTES * 1024);
let maskPoolOffset = maskPool.length;

function nextMaskKey(): Buffer {
  if (maskPoolOffset === maskPool.length) {
    randomFillSync(maskPool);
    maskPoolOffset = 0;
  }
  const key = maskPool.subarray(maskPoolOffset, maskPoolOffset + MASK_BYTES);
  maskPoolOffset += MASK_BYTES;
  return key;
}

interface BufferUtil {
  mask(source: Buffer, key: Buffer, output: Buffer, offset: number, length: number): void;
  unmask(buffer: Buffer, key: Buffer): void;
}

/**
 * `bufferutil` masks natively (ws's own helper). A link's bulk payload is masked once and unmasked
 * once per byte, so a JavaScript loop does it only where the addon cannot load (the one-file
 * portal on an architecture it has no prebuild for). scripts/build-portal.js rewrites this look-up.
 */
function loadBufferUtil(): BufferUtil | undefined {
  try {
    return createRequire(import.meta.url)('bufferutil') as BufferUtil;
  } catch {
    return undefined;
  }
}

const bufferUtil = loadBufferUtil();

/** The key as it applies from byte `offset` of a payload on. */
function rotatedKey(key: Buffer, offset: number): Buffer {
  const shift = offset & 3;
  if (shift === 0) return key;
  return Buffer.from([key[shift]!, key[(shift + 1) & 3]!, key[(shift + 2) & 3]!, key[(shift + 3) & 3]!]);
}

/** Below this many bytes a JavaScript loop costs less than the call into `bufferutil` (ws's threshold). */
const NATIVE_MASK_MIN_BYTES = 48;

/** XORs `bytes` in place with the key, starting at byte `keyOffset` of it (for a payload read in pieces). */
export function applyMask(bytes: Buffer, key: Buffer, keyOffset = 0): void {
  if (bufferUtil && bytes.length >= NATIVE_MASK_MIN_BYTES) {
    bufferUtil.unmask(bytes, rotatedKey(key, keyOffset));
    return;
  }
  for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ key[(keyOffset + i) & 3]!;
}

function headerLength(payloadLength: number, masked: boolean): number {
  const lengthBytes = payloadLength < 126 ? 0 : payloadLength <= 0xffff ? 2 : 8;
  return 2 + lengthBytes + (masked ? MASK_BYTES : 0);
}

/** Writes a frame's first bytes (FIN set) into `frame`; returns where the masking key or payload goes. */
function writeHeaderStart(frame: Buffer, opcode: number, length: number, masked: boolean): number {
  frame[0] = 0x80 | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) {
    frame[1] = maskBit | length;
    return 2;
  }
  if (length <= 0xffff) {
    frame[1] = maskBit | 126;
    frame.writeUInt16BE(length, 2);
    return 4;
  }
  frame[1] = maskBit | 127;
  frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
  frame.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/**
 * One whole frame (FIN set) in one buffer: header, then the payload, masked when the client
 * sends it (RFC 6455 §5.3: a server closes on an unmasked frame). `payload` is not modified.
 */
export function encodeFrame(opcode: number, payload: Buffer, role: WebSocketRole): Buffer {
  const masked = role === 'client';
  const start = headerLength(payload.length, masked);
  const frame = Buffer.allocUnsafe(start + payload.length);
  const keyAt = writeHeaderStart(frame, opcode, payload.length, masked);
  if (masked) {
    const key = nextMaskKey();
    key.copy(frame, keyAt);
    if (bufferUtil && payload.length >= NATIVE_MASK_MIN_BYTES) bufferUtil.mask(payload, key, frame, start, payload.length);
    else for (let i = 0; i < payload.length; i++) frame[start + i] = payload[i]! ^ key[i & 3]!;
  } else {
    payload.copy(frame, start);
  }
  return frame;
}

/** The header of an unmasked frame (a server's) whose payload is written after it as it is. */
export function encodeFrameHeader(opcode: number, payloadLength: number): Buffer {
  const header = Buffer.allocUnsafe(headerLength(payloadLength, false));
  writeHeaderStart(header, opcode, payloadLength, false);
  return header;
}

/** A close frame's payload: the code, then the reason (at most 123 bytes of UTF-8, cut between characters). */
export function closePayload(code: number, reason = ''): Buffer {
  let text = Buffer.from(reason, 'utf8');
  if (text.length > MAX_CONTROL_PAYLOAD - 2) {
    let end = MAX_CONTROL_PAYLOAD - 2;
    while (end > 0 && (text[end]! & 0xc0) === 0x80) end--;
    text = text.subarray(0, end);
  }
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return payload;
}

/** RFC 6455 §7.4: the codes a peer may send in a close frame (1005 and 1006 are never sent). */
function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** What a received close frame says: 1005 when it carried no code. */
export function parseClosePayload(payload: Buffer): { code: number; reason: string } {
  if (payload.length === 0) return { code: 1005, reason: '' };
  if (payload.length === 1) throw new WebSocketProtocolError('a close frame with a 1-byte payload');
  const code = payload.readUInt16BE(0);
  if (!validCloseCode(code)) throw new WebSocketProtocolError(`a close frame with the invalid code ${code}`);
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) throw new WebSocketProtocolError('a close frame whose reason is not UTF-8', CLOSE_INVALID_DATA);
  return { code, reason: reason.toString('utf8') };
}

export interface FrameHandler {
  /** A piece of a data message's payload, unmasked. The buffer may be a view of the chunk pushed. */
  data(payload: Buffer): void;
  /** A whole control frame (close, ping or pong), unmasked. */
  control(opcode: number, payload: Buffer): void;
}

/** Reads frames from the chunks of a byte stream; throws WebSocketProtocolError on a bad frame. */
export class FrameReader {
  /** Bytes of an incomplete header (or control frame) carried over from earlier chunks. */
  private pending: Buffer | undefined;
  /** Payload bytes of the current data frame still to come. */
  private payloadLeft = 0;
  private maskKey: Buffer | undefined;
  private maskOffset = 0;
  /** Inside a fragmented message: the next data frame must be a continuation. */
  private fragmented = false;

  constructor(
    private readonly role: WebSocketRole,
    private readonly maxFramePayload: number,
    private readonly handler: FrameHandler,
  ) {}

  push(chunk: Buffer): void {
    let bytes = chunk;
    if (this.pending) {
      bytes = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let at = 0;
    while (at < bytes.length) {
      if (this.payloadLeft > 0) {
        at = this.readPayload(bytes, at);
        continue;
      }
      const consumed = this.readFrameStart(bytes, at);
      if (consumed === 0) {
        this.pending = Buffer.from(bytes.subarray(at));
        return;
      }
      at += consumed;
    }
  }

  private readPayload(bytes: Buffer, at: number): number {
    const end = Math.min(bytes.length, at + this.payloadLeft);
    const piece = bytes.subarray(at, end);
    if (this.maskKey) {
      applyMask(piece, this.maskKey, this.maskOffset);
      this.maskOffset = (this.maskOffset + piece.length) & 3;
    }
    this.payloadLeft -= piece.length;
    this.handler.data(piece);
    return end;
  }

  /**
   * Reads a frame's header at `at`, and a control frame whole. Returns the bytes consumed (a data
   * frame's payload then follows through readPayload), or 0 when more bytes are needed.
   */
  private readFrameStart(bytes: Buffer, at: number): number {
    const available = bytes.length - at;
    if (available < 2) return 0;
    const first = bytes[at]!, second = bytes[at + 1]!;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if ((first & 0x70) !== 0) throw new WebSocketProtocolError('a frame with extension bits set (none was negotiated)');
    const masked = (second & 0x80) !== 0;
    if (masked !== (this.role === 'server')) {
      throw new WebSocketProtocolError(this.role === 'server' ? 'an unmasked frame from the client' : 'a masked frame from the server');
    }
    let length = second & 0x7f;
    let headerBytes = 2;
    if (length === 126) {
      headerBytes = 4;
      if (available < headerBytes) return 0;
      length = bytes.readUInt16BE(at + 2);
    } else if (length === 127) {
      headerBytes = 10;
      if (available < headerBytes) return 0;
      const high = bytes.readUInt32BE(at + 2);
      if (high > 0x1f_ffff) throw new WebSocketProtocolError('a frame of 2^53 bytes or more', CLOSE_TOO_BIG);
      length = high * 0x1_0000_0000 + bytes.readUInt32BE(at + 6);
    }
    if (masked) headerBytes += MASK_BYTES;
    if (opcode >= 0x8) {
      this.checkControl(opcode, fin, length);
      if (available < headerBytes + length) return 0;
      const payload = bytes.subarray(at + headerBytes, at + headerBytes + length);
      if (masked) applyMask(payload, bytes.subarray(at + headerBytes - MASK_BYTES, at + headerBytes));
      this.handler.control(opcode, payload);
      return headerBytes + length;
    }
    if (available < headerBytes) return 0;
    this.checkData(opcode, fin, length);
    this.maskKey = masked ? Buffer.from(bytes.subarray(at + headerBytes - MASK_BYTES, at + headerBytes)) : undefined;
    this.maskOffset = 0;
    this.payloadLeft = length;
    return headerBytes;
  }

  private checkControl(opcode: number, fin: boolean, length: number): void {
    if (opcode !== OPCODE_CLOSE && opcode !== OPCODE_PING && opcode !== OPCODE_PONG) throw new WebSocketProtocolError(`a frame with the unknown opcode ${opcode}`);
    if (!fin) throw new WebSocketProtocolError('a fragmented control frame');
    if (length > MAX_CONTROL_PAYLOAD) throw new WebSocketProtocolError(`a control frame of ${length} bytes (at most ${MAX_CONTROL_PAYLOAD})`);
  }

  private checkData(opcode: number, fin: boolean, length: number): void {
    if (opcode === OPCODE_CONTINUATION) {
      if (!this.fragmented) throw new WebSocketProtocolError('a continuation frame outside a fragmented message');
    } else if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) {
      if (this.fragmented) throw new WebSocketProtocolError('a new message inside a fragmented one');
    } else {
      throw new WebSocketProtocolError(`a frame with the unknown opcode ${opcode}`);
    }
    if (length > this.maxFramePayload) throw new WebSocketProtocolError(`a frame of ${length} bytes (at most ${this.maxFramePayload})`, CLOSE_TOO_BIG);
    this.fragmented = !fin;
  }
}
