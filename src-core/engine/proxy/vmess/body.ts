/**
 * VMess body framing: chunk encoder and resumable chunk decoder. Spec §3
 * (`common/crypto/{auth,chunk}.go`, `proxy/vmess/encoding/{client,server,auth}.go`).
 *
 * AEAD framing (aes-128-gcm, chacha20-poly1305; none over UDP with a no-op cipher; legacy inside
 * AES-128-CFB with a 4-byte FNV-1a in front of the plaintext), per chunk with plaintext p:
 *
 *   pad  = next() % 64   if GlobalPadding (0x08), else 0       ← drawn before the mask
 *   mask = next()        if ChunkMasking (0x04), else 0         ← next(): SHAKE128(iv), 2 bytes BE
 *   wire = uint16((len(seal(p)) + pad) XOR mask) ‖ seal(p) ‖ pad random bytes
 *   nonce_i = uint16(i) ‖ iv[2..12)   (i counts chunks in this direction)
 *   EOS  = a chunk with empty p: the length field reads overhead + pad; the reader stops there.
 *
 * The writer keeps a chunk ≤ 2048 bytes on the wire (≤ 1966 plaintext bytes with padding, ≤ 2030
 * without; aes/chacha), as 4.34 writes them, until `widenChunks` lets stream chunks grow (4.34
 * reads any uint16 length). A batch is split into chunks of equal size, never a full run plus a
 * sliver. UDP: one datagram per chunk, never split.
 *
 * Security none over a stream with ChunkStream (0x01): uint16(len XOR mask) ‖ raw bytes, slices of
 * ≤ 8192, EOS = length 0, never padding. Without ChunkStream, none and legacy are raw (legacy in CFB).
 */
import { randomFillSync } from 'node:crypto';
import { createAesCfb, type StreamCipher } from '../../common/crypto/aes-cfb.js';
import { PortholeError } from '../../common/errors.js';
import {
  AEAD_NONCE_LENGTH,
  CHUNK_SIZE_BYTES,
  CHUNK_LENGTH_MAX,
  CHUNK_WIRE_MAX,
  COMMAND,
  MAX_PADDING,
  NONE_STREAM_SLICE,
  OPTION,
  SECURITY,
  type BodySecurity,
} from './consts.js';
import { aeadCipher, chachaKey, fnvCipher, noOpCipher, type ChunkCipher, type Direction } from './chunk-cipher.js';
import { SizeQueue, sizeStream, type SizeSource } from './chunk-sizes.js';
import { PIECE_CURSOR, RUN_CURSOR, RUN_STATUS } from '../../native/aead.js';
import { PieceCursor, totalLength } from '../../common/pieces.js';

/** What a body codec needs: all of it comes from the request header. */
export interface BodyCodecOptions {
  security: BodySecurity;
  /** Request option bits (both directions are framed by the client's options). */
  options: number;
  /** Request command: UDP frames one datagram per chunk; TCP and Mux are streams. */
  command: number;
  /** This direction's key and IV (request: from the header; response: SHA-256/MD5 of them). */
  key: Buffer;
  iv: Buffer;
  /**
   * Legacy security only: an AES-128-CFB stream to continue (the legacy response header and body
   * share one stream). Default: a fresh stream under `key`/`iv`.
   */
  cfb?: StreamCipher;
}

/** Turns plaintext into wire chunks. */
export interface BodyEncoder {
  /**
   * Frames `data` (any size; UDP: one datagram) into one wire buffer. An empty `data` gives an
   * empty buffer, never an EOS. Throws `PH_VMESS_BAD_CHUNK` for a datagram that cannot fit a chunk.
   * A stream's data may come in pieces (a batch of writes), framed as if joined: AEAD chunks are
   * sealed straight from the pieces, without joining them first.
   */
  encode(data: Buffer | readonly Buffer[]): Buffer;
  /**
   * The end-of-stream chunk. Empty without ChunkStream (0x01), as V2Ray writes no EOS then; the
   * stream ends with the connection.
   */
  end(): Buffer;
  /** Largest plaintext per chunk (UDP: per datagram). */
  readonly maxPlaintextPerChunk: number;
  /**
   * Lets stream chunks grow to `wireBytes` on the wire. 4.34 writers never exceed 2048, but its
   * readers (`AuthenticationReader.readInternal`) take any length up to 65535, so this is safe
   * with any peer. Node cannot rekey an AEAD cipher object, so each chunk costs a new one (about
   * 3 µs, more than sealing 2 KiB): fewer, larger chunks cut most of Porthole's cipher cost.
   */
  widenChunks(wireBytes: number): void;
}

/** Stream chunk size on the wire that the VMess handlers use (see `BodyEncoder.widenChunks`). */
export const WIDE_CHUNK_WIRE_BYTES = 64 * 1024;

/** Turns wire bytes, split anyhow, into plaintext. */
export interface BodyDecoder {
  /**
   * Feeds wire bytes; returns the plaintext of every chunk completed by them: for AEAD framings one
   * buffer per call (UDP: one per datagram), for the others views into `chunk` (so do not reuse it).
   * Bytes after the EOS are ignored. Throws `PH_VMESS_BAD_CHUNK` (and keeps throwing it) once the
   * input is found bad; plaintext decoded earlier in that same call is dropped with it.
   */
  push(chunk: Buffer): Buffer[];
  /** True once the EOS chunk has been read. */
  readonly ended: boolean;
}

type Framing = 'aead' | 'chunk-stream' | 'raw';

interface Plan {
  framing: Framing;
  cipher: ChunkCipher;
  masking: boolean;
  padding: boolean;
  packet: boolean;
  /** ChunkStream (0x01): V2Ray writes the EOS chunk only when it is set. */
  chunked: boolean;
}

function badOptions(message: string): PortholeError {
  return new PortholeError('PH_VMESS_BAD_HEADER', `vmess: ${message}`);
}

function plan(options: BodyCodecOptions, direction: Direction): Plan {
  const masking = (options.options & OPTION.chunkMasking) !== 0;
  const padding = (options.options & OPTION.globalPadding) !== 0;
  const chunked = (options.options & OPTION.chunkStream) !== 0;
  const packet = options.command === COMMAND.udp;
  // A 4.34 peer panics on GlobalPadding without ChunkMasking (spec §3.2); refuse it instead.
  if (padding && !masking) throw badOptions('GlobalPadding (0x08) requires ChunkMasking (0x04)');
  if (options.key.length !== 16 || options.iv.length !== 16) throw badOptions('body key and IV have 16 bytes');
  const common = { masking, padding, packet, chunked };
  switch (options.security) {
    case SECURITY.aes128Gcm:
      // AEAD ciphers are always chunked, whatever 0x01 says.
      return { ...common, framing: 'aead', cipher: aeadCipher('aes-128-gcm', options.key, direction) };
    case SECURITY.chacha20Poly1305:
      return { ...common, framing: 'aead', cipher: aeadCipher('chacha20-poly1305', chachaKey(options.key), direction) };
    case SECURITY.none:
      if (!chunked) return { ...common, framing: 'raw', cipher: noOpCipher };
      if (!packet) return { ...common, framing: 'chunk-stream', cipher: noOpCipher, padding: false };
      return { ...common, framing: 'aead', cipher: noOpCipher };
    case SECURITY.legacy:
      return { ...common, framing: chunked ? 'aead' : 'raw', cipher: fnvCipher };
    default:
      throw badOptions(`unknown security type: ${String(options.security)}`);
  }
}

/**
 * Seals the next `length` bytes of `pieces` (from `cursor`, which is advanced) at `out[offset…]`;
 * returns the bytes written. A chunk within one piece is sealed from a view of it; one that spans
 * pieces is sealed natively from the pieces, or else from a copy joining its parts.
 */
function sealFromPieces(cipher: ChunkCipher, pieces: readonly Buffer[], cursor: Int32Array, length: number, nonce: Buffer, out: Buffer, offset: number): number {
  let index = cursor[PIECE_CURSOR.index]!;
  let at = cursor[PIECE_CURSOR.offset]!;
  // Skip exhausted (and empty) pieces, so that "within one piece" is judged on the right one.
  while (index < pieces.length && at === pieces[index]!.length) {
    index += 1;
    at = 0;
  }
  const piece = pieces[index];
  if (piece && piece.length - at >= length) {
    cursor[PIECE_CURSOR.index] = index;
    cursor[PIECE_CURSOR.offset] = at + length;
    return cipher.seal(piece.subarray(at, at + length), nonce, out, offset);
  }
  cursor[PIECE_CURSOR.index] = index;
  cursor[PIECE_CURSOR.offset] = at;
  if (cipher.sealPieces) return cipher.sealPieces(pieces, cursor, length, nonce, out, offset);
  const walk = new PieceCursor(pieces, index, at);
  const joined = Buffer.allocUnsafe(length);
  walk.copyTo(length, joined, 0);
  cursor[PIECE_CURSOR.index] = walk.piece;
  cursor[PIECE_CURSOR.offset] = walk.offset;
  return cipher.seal(joined, nonce, out, offset);
}

const RANDOM_POOL_SIZE = 4096;
const EMPTY = Buffer.alloc(0);

class VmessBodyEncoder implements BodyEncoder {
  maxPlaintextPerChunk: number;
  private readonly plan: Plan;
  private readonly sizes: SizeSource;
  private readonly nonce: Buffer;
  private readonly cfb: StreamCipher | undefined;
  private counter = 0;
  /** Where encodeAead is in its input's pieces (PIECE_CURSOR). */
  private readonly pieceCursor = new Int32Array(PIECE_CURSOR.fields);
  private randomPool = Buffer.alloc(0);
  private randomOffset = 0;

  constructor(options: BodyCodecOptions) {
    this.plan = plan(options, 'seal');
    this.sizes = sizeStream(this.plan.masking, options.iv);
    this.nonce = Buffer.from(options.iv.subarray(0, AEAD_NONCE_LENGTH));
    this.cfb =
      options.security === SECURITY.legacy
        ? (options.cfb ?? createAesCfb(options.key, options.iv, 'encrypt'))
        : undefined;
    const maxPadding = this.plan.padding ? MAX_PADDING : 0;
    this.maxPlaintextPerChunk =
      this.plan.framing === 'chunk-stream'
        ? NONE_STREAM_SLICE
        : this.plan.framing === 'raw'
          ? Number.MAX_SAFE_INTEGER
          : CHUNK_WIRE_MAX - this.plan.cipher.overhead - CHUNK_SIZE_BYTES - maxPadding;
  }

  widenChunks(wireBytes: number): void {
    if (this.plan.framing !== 'aead' || this.plan.packet) return;
    const maxPadding = this.plan.padding ? MAX_PADDING : 0;
    this.maxPlaintextPerChunk = Math.min(CHUNK_LENGTH_MAX, wireBytes) - this.plan.cipher.overhead - CHUNK_SIZE_BYTES - maxPadding;
  }

  encode(input: Buffer | readonly Buffer[]): Buffer {
    const length = totalLength(input);
    if (length === 0) return EMPTY;
    if (this.plan.framing === 'aead') {
      if (this.plan.packet && length > this.maxPlaintextPerChunk) {
        // V2Ray drops such a datagram after drawing its padding, which desynchronises the
        // SHAKE stream; refuse it before drawing anything.
        throw new PortholeError('PH_VMESS_BAD_CHUNK', `vmess: datagram of ${length} bytes exceeds ${this.maxPlaintextPerChunk}`);
      }
      return this.encodeAead(input, length);
    }
    if (this.plan.framing === 'chunk-stream') return this.encodeChunkStream(Buffer.isBuffer(input) ? [input] : input, length);
    const data = Buffer.isBuffer(input) ? input : Buffer.concat(input, length);
    return this.cfb ? this.cfb.update(data) : data;
  }

  end(): Buffer {
    if (!this.plan.chunked) return EMPTY;
    switch (this.plan.framing) {
      case 'raw':
        return EMPTY;
      case 'chunk-stream': {
        const out = Buffer.allocUnsafe(CHUNK_SIZE_BYTES);
        out.writeUInt16BE(this.sizes.next());
        return out;
      }
      case 'aead':
        return this.encodeAead(EMPTY, 0);
    }
  }

  /** Length-prefixed slices of `pieces` (`length` bytes in all), copied once into one buffer. */
  private encodeChunkStream(pieces: readonly Buffer[], length: number): Buffer {
    const count = Math.ceil(length / NONE_STREAM_SLICE);
    const out = Buffer.allocUnsafe(length + count * CHUNK_SIZE_BYTES);
    const cursor = new PieceCursor(pieces);
    let offset = 0;
    for (let remaining = length; remaining > 0; remaining -= NONE_STREAM_SLICE) {
      const slice = Math.min(NONE_STREAM_SLICE, remaining);
      out.writeUInt16BE(slice ^ this.sizes.next(), offset);
      offset = cursor.copyTo(slice, out, offset + CHUNK_SIZE_BYTES);
    }
    return out;
  }

  /**
   * One output buffer for the whole batch: sizes first, then each chunk sealed in place, its
   * plaintext taken from `input` (`length` bytes, maybe in pieces) by a cursor.
   */
  private encodeAead(input: Buffer | readonly Buffer[], length: number): Buffer {
    const { cipher, padding } = this.plan;
    const pieces = Buffer.isBuffer(input) ? [input] : input;
    const count = length === 0 ? 1 : Math.ceil(length / this.maxPlaintextPerChunk);
    const perChunk = Math.ceil(length / count) || 1;
    const pads = new Uint8Array(count);
    const masks = new Uint16Array(count);
    let total = 0;
    let padTotal = 0;
    for (let i = 0; i < count; i++) {
      const chunkLength = Math.min(perChunk, length - i * perChunk);
      const pad = padding ? this.sizes.next() % MAX_PADDING : 0;
      pads[i] = pad;
      masks[i] = this.sizes.next();
      padTotal += pad;
      total += CHUNK_SIZE_BYTES + chunkLength + cipher.overhead + pad;
    }
    const out = Buffer.allocUnsafe(total);
    if (padTotal > 0) this.ensureRandom(padTotal);
    let offset = 0;
    const cursor = this.pieceCursor;
    cursor[PIECE_CURSOR.index] = 0;
    cursor[PIECE_CURSOR.offset] = 0;
    for (let i = 0; i < count; i++) {
      const chunkLength = Math.min(perChunk, length - i * perChunk);
      const pad = pads[i]!;
      out.writeUInt16BE((chunkLength + cipher.overhead + pad) ^ masks[i]!, offset);
      offset += CHUNK_SIZE_BYTES;
      this.nonce.writeUInt16BE(this.counter, 0);
      this.counter = (this.counter + 1) & 0xffff;
      offset += sealFromPieces(cipher, pieces, cursor, chunkLength, this.nonce, out, offset);
      if (pad > 0) {
        this.randomPool.copy(out, offset, this.randomOffset, this.randomOffset + pad);
        this.randomOffset += pad;
        offset += pad;
      }
    }
    return this.cfb ? this.cfb.update(out) : out;
  }

  /** Makes sure `length` unused random bytes are in the pool (padding content is never reused). */
  private ensureRandom(length: number): void {
    if (this.randomPool.length - this.randomOffset >= length) return;
    this.randomPool = randomFillSync(Buffer.allocUnsafe(Math.max(RANDOM_POOL_SIZE, length)));
    this.randomOffset = 0;
  }
}

/** Decoder states (style.md point 6). */
const STATE = {
  /** Waiting for the 2-byte length field. */
  size: 0,
  /** Waiting for `need` bytes of a sealed chunk (AEAD framing). */
  chunk: 1,
  /** Passing through `remaining` bytes of a none chunk (chunk-stream framing). */
  data: 2,
  /** EOS read. */
  ended: 3,
  failed: 4,
} as const;
type State = (typeof STATE)[keyof typeof STATE];

class VmessBodyDecoder implements BodyDecoder {
  private readonly plan: Plan;
  private readonly sizes: SizeQueue;
  /** Set when whole chunks can be opened natively in runs (AEAD stream framing, native cipher). */
  private readonly runCursor: Int32Array | undefined;
  private readonly nonce: Buffer;
  private readonly cfb: StreamCipher | undefined;
  private state: State = STATE.size;
  private counter = 0;
  /** Bytes still wanted for the current unit (size field or sealed chunk). */
  private need = CHUNK_SIZE_BYTES;
  /** Padding length drawn for the current chunk. */
  private pad = 0;
  /** Scratch for a unit that straddles pushes. */
  private pending = Buffer.alloc(0);
  private pendingLength = 0;
  private error: PortholeError | undefined;

  constructor(options: BodyCodecOptions) {
    this.plan = plan(options, 'open');
    this.sizes = new SizeQueue(sizeStream(this.plan.masking, options.iv));
    if (this.plan.framing === 'aead' && !this.plan.packet && this.plan.cipher.openRun) this.runCursor = new Int32Array(RUN_CURSOR.fields);
    this.nonce = Buffer.from(options.iv.subarray(0, AEAD_NONCE_LENGTH));
    this.cfb =
      options.security === SECURITY.legacy
        ? (options.cfb ?? createAesCfb(options.key, options.iv, 'decrypt'))
        : undefined;
  }

  get ended(): boolean {
    return this.state === STATE.ended;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.state === STATE.failed) throw this.error!;
    if (this.state === STATE.ended || chunk.length === 0) return [];
    const input = this.cfb ? this.cfb.update(chunk) : chunk;
    if (this.plan.framing === 'raw') return [input];
    const views: Buffer[] = [];
    // AEAD framing: every chunk opened in this push lands in one buffer, so the caller gets one
    // contiguous plaintext per socket read (UDP: one view per datagram). It is sized when the first
    // chunk opens, to the plaintext of the whole chunks in the read (plaintextAhead), so a small
    // result never pins an allocation the size of the read.
    let plain: Buffer | undefined;
    let plainLength = 0;
    let position = 0;
    while (position < input.length && !this.ended) {
      if (this.runCursor && this.state === STATE.size && this.pendingLength === 0 && this.plaintextAhead(input, position, 1) > 0) {
        plain ??= Buffer.allocUnsafe(this.plaintextAhead(input, position));
        const opened = this.openRun(input, position, plain, plainLength);
        if (opened.position > position) {
          position = opened.position;
          plainLength = opened.plainLength;
          continue;
        }
        // No whole chunk at `position` (or a bad one): the code below takes it, or reports it.
      }
      if (this.state === STATE.data) {
        const take = Math.min(this.need, input.length - position);
        views.push(input.subarray(position, position + take));
        position += take;
        this.need -= take;
        if (this.need === 0) {
          this.state = STATE.size;
          this.need = CHUNK_SIZE_BYTES;
        }
        continue;
      }
      let unit: Buffer;
      if (this.pendingLength === 0 && input.length - position >= this.need) {
        unit = input.subarray(position, position + this.need);
        position += this.need;
      } else {
        if (this.pending.length < this.need) {
          const grown = Buffer.allocUnsafe(Math.max(this.need, 2 * this.pending.length));
          this.pending.copy(grown, 0, 0, this.pendingLength);
          this.pending = grown;
        }
        const take = Math.min(this.need - this.pendingLength, input.length - position);
        input.copy(this.pending, this.pendingLength, position, position + take);
        this.pendingLength += take;
        position += take;
        if (this.pendingLength < this.need) break;
        unit = this.pending.subarray(0, this.need);
        this.pendingLength = 0;
      }
      if (this.state === STATE.size) this.onSize(unit);
      else {
        plain ??= Buffer.allocUnsafe(unit.length - this.pad - this.plan.cipher.overhead + this.plaintextAhead(input, position));
        const length = this.onChunk(unit, plain, plainLength);
        // UDP: each chunk is one datagram, so it stays a buffer of its own.
        if (this.plan.packet && length > 0) views.push(plain.subarray(plainLength, plainLength + length));
        plainLength += length;
      }
    }
    if (plain && plainLength > 0 && !this.plan.packet) views.push(plain.subarray(0, plainLength));
    return views;
  }

  /**
   * Plaintext bytes of the whole chunks (at most `maxChunks`) from `input[position…]` on, peeking at
   * the size values without drawing them. Past the values drawn ahead it counts the rest of the
   * input, which no plaintext can outgrow; the end-of-stream chunk or a bad length ends the count.
   */
  private plaintextAhead(input: Buffer, position: number, maxChunks = Infinity): number {
    const sizes = this.sizes;
    sizes.fill();
    const perChunk = this.plan.padding ? 2 : 1;
    const overhead = this.plan.cipher.overhead;
    let total = 0;
    let at = position;
    for (let value = sizes.head, chunks = 0; chunks < maxChunks && input.length - at >= CHUNK_SIZE_BYTES; value += perChunk, chunks++) {
      if (value + perChunk > sizes.tail) return total + (input.length - at);
      const pad = this.plan.padding ? sizes.values[value]! % MAX_PADDING : 0;
      const size = input.readUInt16BE(at) ^ sizes.values[value + perChunk - 1]!;
      if (size <= overhead + pad || input.length - at - CHUNK_SIZE_BYTES < size) break;
      total += size - overhead - pad;
      at += CHUNK_SIZE_BYTES + size;
    }
    return total;
  }

  /** Opens the whole chunks at `input[position…]` natively, writing plaintext at `out[plainLength…]`. */
  private openRun(input: Buffer, position: number, out: Buffer, plainLength: number): { position: number; plainLength: number } {
    const cursor = this.runCursor!;
    const sizes = this.sizes;
    sizes.fill();
    cursor[RUN_CURSOR.input] = position;
    cursor[RUN_CURSOR.sizes] = sizes.head;
    cursor[RUN_CURSOR.sizesEnd] = sizes.tail;
    cursor[RUN_CURSOR.out] = plainLength;
    cursor[RUN_CURSOR.counter] = this.counter;
    const status = this.plan.cipher.openRun!(this.nonce, input, sizes.values, this.plan.padding, out, cursor);
    sizes.head = cursor[RUN_CURSOR.sizes]!;
    this.counter = cursor[RUN_CURSOR.counter]!;
    if (status === RUN_STATUS.end) this.state = STATE.ended;
    if (status === RUN_STATUS.authFailed) this.fail(`chunk ${this.counter} failed authentication`);
    return { position: cursor[RUN_CURSOR.input]!, plainLength: cursor[RUN_CURSOR.out]! };
  }

  private fail(message: string): never {
    this.state = STATE.failed;
    this.error = new PortholeError('PH_VMESS_BAD_CHUNK', `vmess: ${message}`);
    throw this.error;
  }

  private onSize(unit: Buffer): void {
    const raw = unit.readUInt16BE(0);
    if (this.plan.framing === 'chunk-stream') {
      const size = raw ^ this.sizes.next();
      if (size === 0) this.state = STATE.ended;
      else {
        this.state = STATE.data;
        this.need = size;
      }
      return;
    }
    // AuthenticationReader.readSize: the padding length is drawn before the mask.
    const pad = this.plan.padding ? this.sizes.next() % MAX_PADDING : 0;
    const size = raw ^ this.sizes.next();
    const overhead = this.plan.cipher.overhead;
    if (size === overhead + pad) {
      this.state = STATE.ended;
      return;
    }
    if (size < overhead + pad) this.fail(`chunk length ${size} is shorter than its overhead ${overhead} and padding ${pad}`);
    this.pad = pad;
    this.need = size;
    this.state = STATE.chunk;
  }

  /** Opens one sealed chunk into `out[offset…]`; returns the plaintext length. */
  private onChunk(unit: Buffer, out: Buffer, offset: number): number {
    this.nonce.writeUInt16BE(this.counter, 0);
    this.counter = (this.counter + 1) & 0xffff;
    const length = this.plan.cipher.open(unit.subarray(0, unit.length - this.pad), this.nonce, out, offset);
    if (length < 0) this.fail(`chunk ${this.counter === 0 ? 65535 : this.counter - 1} failed authentication`);
    this.state = STATE.size;
    this.need = CHUNK_SIZE_BYTES;
    return length;
  }
}

/** A chunk encoder for one direction. Throws `PH_VMESS_BAD_HEADER` for options a 4.34 peer cannot run. */
export function createBodyEncoder(options: BodyCodecOptions): BodyEncoder {
  return new VmessBodyEncoder(options);
}

/** A resumable chunk decoder for one direction. Throws `PH_VMESS_BAD_HEADER` like {@link createBodyEncoder}. */
export function createBodyDecoder(options: BodyCodecOptions): BodyDecoder {
  return new VmessBodyDecoder(options);
}
