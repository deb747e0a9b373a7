/**
 * What a Mux.Cool connection does when a stream's reader falls behind (docs/isolation.md).
 *
 * Mux.Cool has no per-stream window, and 4.34 pauses the whole link while one stream's reader is
 * slow, so one stuck reader stalls every stream on the link. Porthole never pauses a link for one
 * stream:
 * - between two Porthole peers, per-stream flow control (flow-control.ts) keeps each sender within
 *   the window its receiver granted, so a stuck reader stops only its own stream;
 * - with a 4.34 peer, which cannot be told to slow down, a stream may buffer up to
 *   `overflowBytes` without touching the link. Beyond that the link waits for that reader (as
 *   4.34 would, so a slow but healthy reader still gets all its data), but only while the reader
 *   makes progress: a reader that consumes nothing for `STUCK_READER_MS` loses its stream
 *   (End + Error), and the link moves on.
 * A link-wide memory cap pauses the link when the streams together hold more than
 * `LINK_MEMORY_CAP` bytes (a last resort against many slow readers at once).
 */
import type { Readable } from 'node:stream';
import { PortholeError } from '../errors.js';
import { consumedBy } from './flow-control.js';
import type { SessionEnd } from './session-end.js';

/** With a 4.34 peer, a stream whose reader is this far behind is closed (at least; see options). */
export const DEFAULT_OVERFLOW_BYTES = 4 * 1024 * 1024;
/** All streams of one link together may buffer this much before the link itself is paused. */
export const LINK_MEMORY_CAP = 64 * 1024 * 1024;
/** Without flow control: a reader over its buffer that consumes nothing for this long is stuck. */
export const STUCK_READER_MS = 2000;

export interface ReceivePolicyOptions {
  /** Per-stream receive buffer before the stream counts as full (Node's high-water mark). */
  streamBufferBytes: number;
  /** Without flow control: how far a stream's reader may fall behind before the link waits for it. */
  overflowBytes?: number;
  warning(message: string): void;
}

export class ReceivePolicy {
  /** Streams the link is waiting for, with their progress when last checked. */
  private readonly fullStreams = new Map<SessionEnd, { consumed: number; since: number }>();
  private stuckCheck: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly overflow: number;

  constructor(
    private readonly link: Readable,
    private readonly streams: { values(): Iterable<SessionEnd> },
    private readonly options: ReceivePolicyOptions,
  ) {
    this.overflow = Math.max(options.overflowBytes ?? DEFAULT_OVERFLOW_BYTES, options.streamBufferBytes);
  }

  /** `stream` is over its high-water mark after a delivery; `flowControlled`: the peer keeps within our window. */
  streamFull(stream: SessionEnd, flowControlled: boolean): void {
    // With flow control the window bounds it. Without, a reader may fall `overflow` behind
    // before the link waits for it, and a stuck one is dropped (see top).
    const tooFarBehind = !flowControlled && !stream.packet && stream.readableLength > this.overflow;
    if (tooFarBehind || this.bufferedBytes() > LINK_MEMORY_CAP) this.waitFor(stream);
  }

  /** A stream's reader made room (or the stream closed): resume the link if nobody else is full. */
  streamHasRoom(stream: SessionEnd): void {
    if (!this.fullStreams.delete(stream)) return;
    if (this.fullStreams.size > 0) return;
    this.stopStuckCheck();
    if (!this.disposed) this.link.resume();
  }

  dispose(): void {
    this.disposed = true;
    this.stopStuckCheck();
    this.fullStreams.clear();
  }

  /** Pauses the link until `stream`'s reader makes room; watches that it makes progress. */
  private waitFor(stream: SessionEnd): void {
    if (!this.fullStreams.has(stream)) this.fullStreams.set(stream, { consumed: consumedBy(stream), since: Date.now() });
    this.link.pause();
    this.stuckCheck ??= setInterval(() => this.dropStuckReaders(), STUCK_READER_MS / 4);
    this.stuckCheck.unref();
  }

  private dropStuckReaders(): void {
    const now = Date.now();
    for (const [stream, progress] of [...this.fullStreams]) {
      const consumed = consumedBy(stream);
      if (consumed !== progress.consumed) {
        this.fullStreams.set(stream, { consumed, since: now });
        continue;
      }
      if (now - progress.since < STUCK_READER_MS) continue;
      this.options.warning(`session ${stream.id}: its reader took nothing for ${STUCK_READER_MS / 1000} s with ${Math.round(stream.readableLength / 1024)} KiB waiting; closing this session only`);
      stream.destroy(new PortholeError('PH_BUFFER_OVERFLOW', `mux: session ${stream.id}: reader stuck`, { severity: 'warning' }));
    }
  }

  private stopStuckCheck(): void {
    if (this.stuckCheck) clearInterval(this.stuckCheck);
    this.stuckCheck = undefined;
  }

  private bufferedBytes(): number {
    let total = 0;
    for (const stream of this.streams.values()) total += stream.packet ? 0 : stream.readableLength;
    return total;
  }
}
