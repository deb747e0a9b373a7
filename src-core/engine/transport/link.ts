/**
 * A Link is one connection as the dispatcher hands it around (V2Ray's `transport.Link`): a
 * Duplex whose readable side yields what the other end wrote. `createLinkPair` makes the two ends
 * of an in-memory pipe, one for the inbound and one for the outbound.
 *
 * Buffers cross by reference (no copies). Backpressure is exact: a write's callback is held
 * until the reader has room. Ending one side's write delivers EOF to the other (half-close);
 * destroying either end destroys both (an abort travels as an abort).
 *
 * Each end counts its bytes as a socket does (`bytesRead`, `bytesWritten`), so an end can be
 * dispatched as a connection (a bridge's link to its portal is one).
 */
import { Duplex } from 'node:stream';

export type Link = Duplex;

/** Bytes carried, per direction. `up` is inbound → outbound, `down` the way back. */
export interface LinkCounters {
  up: number;
  down: number;
}

/** A link end's own byte counts (see `createLinkPair`). */
export interface CountedLinkEnd {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

class LinkEnd extends Duplex {
  peer!: LinkEnd;
  /** Bytes written to this end that reached the peer's readable side. */
  bytesPassed = 0;
  private pendingWrite: ((error?: Error | null) => void) | undefined;

  constructor(highWaterMark: number, packet: boolean) {
    // A packet link (UDP) keeps datagram boundaries: each write is read as one chunk.
    const objects = packet ? { objectMode: true, highWaterMark: PACKET_LINK_BUFFER } : { highWaterMark, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark };
    super({ allowHalfOpen: true, ...objects });
  }

  /** What the other end wrote to this one. */
  get bytesRead(): number {
    return this.peer.bytesPassed;
  }

  /**
   * What was written to this end, queued bytes included (as net.Socket counts): a write held
   * back for room counts once passed and once queued; `bytesWritten - writableLength` is exact.
   */
  get bytesWritten(): number {
    return this.bytesPassed + this.writableLength;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytesPassed += chunk.length;
    if (this.peer.push(chunk)) callback();
    else this.peer.waitForRoom(callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    let room = true;
    for (const { chunk } of chunks) {
      this.bytesPassed += chunk.length;
      room = this.peer.push(chunk);
    }
    if (room) callback();
    else this.peer.waitForRoom(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer.push(null);
    callback();
  }

  override _read(): void {
    const resume = this.pendingWrite;
    if (resume) {
      this.pendingWrite = undefined;
      resume();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const resume = this.pendingWrite;
    this.pendingWrite = undefined;
    resume?.(error ?? null);
    // A clean finish (both halves done) leaves the peer to drain what it still holds; anything
    // else is an abort, and the peer goes down with it.
    const finishedCleanly = !error && this.readableEnded && this.writableFinished;
    if (!finishedCleanly && !this.peer.destroyed) this.peer.destroy(error ?? undefined);
    callback(error);
  }

  private waitForRoom(callback: (error?: Error | null) => void): void {
    this.pendingWrite = callback;
  }
}

function ignoreError(): void {}

/** Default per-direction buffer of a link: the amount a fast writer may run ahead of its reader. */
export const DEFAULT_LINK_BUFFER = 64 * 1024;
/** Datagrams a packet link holds per direction before its writer waits. */
export const PACKET_LINK_BUFFER = 64;

/**
 * Two connected ends. Whatever is written to `inboundEnd` is read from `outboundEnd` (counted
 * as `up`), and the reverse (counted as `down`).
 */
export function createLinkPair(options: { highWaterMark?: number; packet?: boolean } = {}): {
  inboundEnd: Link & CountedLinkEnd;
  outboundEnd: Link & CountedLinkEnd;
  counters: LinkCounters;
} {
  const highWaterMark = options.highWaterMark ?? DEFAULT_LINK_BUFFER;
  const packet = options.packet ?? false;
  const inboundEnd = new LinkEnd(highWaterMark, packet);
  const outboundEnd = new LinkEnd(highWaterMark, packet);
  inboundEnd.peer = outboundEnd;
  outboundEnd.peer = inboundEnd;
  // A link's error is the owner's to report (pumps and handlers listen); this keeps an end that
  // nobody watches from turning an aborted connection into an uncaught exception.
  inboundEnd.on('error', ignoreError);
  outboundEnd.on('error', ignoreError);
  const counters: LinkCounters = {
    get up() {
      return inboundEnd.bytesPassed;
    },
    get down() {
      return outboundEnd.bytesPassed;
    },
  };
  return { inboundEnd, outboundEnd, counters };
}
