/**
 * Resumable Mux.Cool frame parser (shared/docs/v2ray-wire-protocol.md §4.2 and §4.3; v4.34.0
 * `common/mux/frame.go` `Unmarshal`, `reader.go`, and the `handleFrame` switches in `server.go` /
 * `client.go`).
 *
 *   METADATA_LENGTH  2 bytes  ML              ML > 512 → error at once (as 4.34); ML < 4 → error at once
 *   METADATA         ML bytes                 session ID, status, option, [network, port, address]
 *   DATA_LENGTH      2 bytes  D               only when the Data option bit is set; packet session: D > 2048 → error
 *   DATA             D bytes                  then back to METADATA_LENGTH
 *
 * Bytes may arrive split anywhere. A frame's data is handed out as a `subarray` of the pushed chunk when
 * it lies inside one chunk (the view keeps that chunk alive), and as a copy when it spans chunks.
 *
 * Packet limit: 4.34 reads a frame's data with a packet reader (D ≤ 2048) when the frame belongs to a
 * packet (UDP) session it knows, and with a stream reader (any uint16 D) otherwise, including for data
 * it discards. Only the session layer knows which sessions are UDP, so it passes `isPacketSession`;
 * the default treats New frames with network UDP as packet frames and every other frame as stream.
 * Use `append` + `read` (one frame at a time) when that callback depends on frames handled earlier in
 * the same chunk; `push` parses the whole chunk before returning.
 *
 * Buffering: after `push` returns, less than one frame stays buffered (at most 2 + 512 + 2 + 65535
 * bytes), so a connection's parser memory is bounded as long as the caller pushes what it receives.
 *
 * Any error is a `PortholeError` with code PH_MUX_BAD_FRAME. It is returned, never thrown, and it is
 * final: a bad frame breaks the whole connection in 4.34, so the reader stays failed and drops its
 * buffered bytes.
 */

import { PortholeError } from '../errors.js';
import { MAX_METADATA_LENGTH, MAX_PACKET_DATA, MIN_METADATA_LENGTH } from './consts.js';
import {
  type FrameMetadata,
  type MuxFrame,
  FrameOption,
  FrameStatus,
  TargetNetwork,
  decodeFrameMetadata,
  hasOption,
} from './frame.js';

/** Parser states. */
export const ReaderState = {
  MetadataLength: 'METADATA_LENGTH',
  Metadata: 'METADATA',
  DataLength: 'DATA_LENGTH',
  Data: 'DATA',
  Failed: 'FAILED',
} as const;
export type ReaderState = (typeof ReaderState)[keyof typeof ReaderState];

/** Options for {@link FrameReader}. */
export interface FrameReaderOptions {
  /**
   * Whether the data of this frame (whose Data bit is set) follows packet rules, i.e. D ≤ 2048.
   * Called once per data-carrying frame, after its metadata is parsed. Default: New frames with
   * network UDP. A mux server should answer true for those and for Keep frames of its known UDP
   * sessions; a mux client only for Keep frames of the UDP sessions it opened (4.34's client discards
   * New data unchecked). End and KeepAlive data is always discarded unchecked by 4.34: answer false.
   */
  readonly isPacketSession?: (meta: FrameMetadata) => boolean;
}

/** One step of {@link FrameReader.read}. */
export type ReadResult =
  | { readonly kind: 'frame'; readonly frame: MuxFrame }
  | { readonly kind: 'pending' }
  | { readonly kind: 'error'; readonly error: PortholeError };

/** What {@link FrameReader.push} parsed: every complete frame, then the error that stopped it, if any. */
export interface PushResult {
  readonly frames: MuxFrame[];
  readonly error?: PortholeError;
}

const PENDING: ReadResult = { kind: 'pending' };
const EMPTY = Buffer.alloc(0);

/** Default packet rule: only a New frame says by itself that its session is UDP. */
export function isNewUdpFrame(meta: FrameMetadata): boolean {
  return meta.status === FrameStatus.New && meta.target.network === TargetNetwork.UDP;
}

/** Incremental frame parser for one Mux.Cool connection (one direction). */
export class FrameReader {
  readonly #isPacketSession: (meta: FrameMetadata) => boolean;
  /** Unconsumed chunks; `#chunks[0]` is read from `#offset`. */
  #chunks: Buffer[] = [];
  #offset = 0;
  #buffered = 0;
  #state: ReaderState = ReaderState.MetadataLength;
  #metadataLength = 0;
  #meta: FrameMetadata | undefined;
  #dataLength = 0;
  #error: PortholeError | undefined;

  constructor(options: FrameReaderOptions = {}) {
    this.#isPacketSession = options.isPacketSession ?? isNewUdpFrame;
  }

  /** Current parser state. */
  get state(): ReaderState {
    return this.#state;
  }

  /** Bytes received but not yet handed out (at most one frame's worth plus what the last chunk carried). */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** The error that failed the reader, if it failed. */
  get error(): PortholeError | undefined {
    return this.#error;
  }

  /** Adds bytes without parsing them. Ignored once the reader has failed. */
  append(chunk: Buffer): void {
    if (this.#state === ReaderState.Failed || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** Parses the next frame from the bytes appended so far. */
  read(): ReadResult {
    for (;;) {
      switch (this.#state) {
        case ReaderState.Failed:
          return { kind: 'error', error: this.#error ?? this.#fail('reader failed') };
        case ReaderState.MetadataLength: {
          if (this.#buffered < 2) return PENDING;
          const length = this.#take(2).readUInt16BE(0);
          if (length > MAX_METADATA_LENGTH) {
            return this.#failed(`metadata length ${length} exceeds ${MAX_METADATA_LENGTH}`);
          }
          if (length < MIN_METADATA_LENGTH) return this.#failed(`metadata length ${length} is below 4`);
          this.#metadataLength = length;
          this.#state = ReaderState.Metadata;
          break;
        }
        case ReaderState.Metadata: {
          if (this.#buffered < this.#metadataLength) return PENDING;
          let meta: FrameMetadata;
          try {
            meta = decodeFrameMetadata(this.#take(this.#metadataLength));
          } catch (error) {
            if (error instanceof PortholeError) return this.#failedWith(error);
            throw error;
          }
          if (!hasOption(meta, FrameOption.Data)) {
            this.#state = ReaderState.MetadataLength;
            return { kind: 'frame', frame: { meta } };
          }
          this.#meta = meta;
          this.#state = ReaderState.DataLength;
          break;
        }
        case ReaderState.DataLength: {
          if (this.#buffered < 2) return PENDING;
          const length = this.#take(2).readUInt16BE(0);
          const meta = this.#meta;
          if (meta && length > MAX_PACKET_DATA && this.#isPacketSession(meta)) {
            return this.#failed(`packet size ${length} exceeds ${MAX_PACKET_DATA} (session ${meta.sessionId})`);
          }
          this.#dataLength = length;
          this.#state = ReaderState.Data;
          break;
        }
        case ReaderState.Data: {
          if (this.#buffered < this.#dataLength) return PENDING;
          const data = this.#take(this.#dataLength);
          const meta = this.#meta;
          this.#meta = undefined;
          this.#state = ReaderState.MetadataLength;
          if (!meta) return this.#failed('data without metadata');
          return { kind: 'frame', frame: { meta, data } };
        }
      }
    }
  }

  /** Appends `chunk` and parses every complete frame in what is buffered. */
  push(chunk: Buffer): PushResult {
    this.append(chunk);
    const frames: MuxFrame[] = [];
    for (;;) {
      const result = this.read();
      if (result.kind === 'frame') frames.push(result.frame);
      else if (result.kind === 'error') return { frames, error: result.error };
      else return { frames };
    }
  }

  /**
   * The input ended. Returns undefined when it ended between frames (4.34's clean `io.EOF`), otherwise an
   * error ("unexpected EOF"), which also fails the reader.
   */
  finish(): PortholeError | undefined {
    if (this.#state === ReaderState.Failed) return this.#error;
    if (this.#state === ReaderState.MetadataLength && this.#buffered === 0) return undefined;
    return this.#fail(`input ended inside a frame (state ${this.#state}, ${this.#buffered} bytes buffered)`);
  }

  /** Removes `n` buffered bytes (the caller checked `n <= #buffered`): a view when they lie in one chunk. */
  #take(n: number): Buffer {
    // n === 0 (an empty data frame) may come with nothing buffered; reading #chunks[0] of an empty
    // array would deoptimize this function ("out of bounds"), so it is answered first.
    if (n === 0) return EMPTY;
    this.#buffered -= n;
    const first = this.#chunks[0]!;
    if (first.length - this.#offset >= n) {
      const view = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      if (this.#offset === first.length) this.#dropFirst();
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) break;
      const count = Math.min(chunk.length - this.#offset, n - written);
      chunk.copy(out, written, this.#offset, this.#offset + count);
      written += count;
      this.#offset += count;
      if (this.#offset === chunk.length) this.#dropFirst();
    }
    return out;
  }

  #dropFirst(): void {
    this.#chunks.shift();
    this.#offset = 0;
  }

  #failed(what: string): ReadResult {
    return { kind: 'error', error: this.#fail(what) };
  }

  #failedWith(error: PortholeError): ReadResult {
    this.#enterFailed(error);
    return { kind: 'error', error };
  }

  #fail(what: string): PortholeError {
    const error = new PortholeError('PH_MUX_BAD_FRAME', `mux: bad frame: ${what}`);
    this.#enterFailed(error);
    return error;
  }

  #enterFailed(error: PortholeError): void {
    this.#error = error;
    this.#state = ReaderState.Failed;
    this.#chunks = [];
    this.#offset = 0;
    this.#buffered = 0;
  }
}
