/**
 * A Link is one connection as the dispatcher hands it around (V2Ray's `transport.Link`): a
 * Duplex whose readable side yields what the other end wrote. `createLinkPair` makes the two ends
 * of an in-memory pipe, one for the inbound and one for the outbound.
 *
 * Buffers cross by reference (no copies). Backpressure is exact: a write's callback is held
 * until the reader has room. Ending one side's write delivers EOF to the other (half-close);
 * destroying either end destroys both (an abort travels as an abort).
 *
 * Most links join two streams that are each pumped into one end (a client socket and a Mux
 * session, a Mux session and a socket to the local service). Then every byte would cross two
 * pumps and both ends for nothing, so `pumpBoth` (pump.ts) holds the first stream at its end and,
 * when the second arrives at the peer, joins the two streams directly, counting bytes for the
 * link; the ends only mirror how the connection ends. An end that anything else reads or writes
 * first works as a plain pipe.
 */
import { Duplex } from 'node:stream';

export type Link = Duplex;

/** Bytes carried, per direction. `up` is inbound → outbound, `down` the way back. */
export interface LinkCounters {
  up: number;
  down: number;
}

/** A stream a pump brought to a link end, waiting there for the peer end's stream (pump.ts). */
export interface HeldStream {
  /** Pumps the held stream through its end after all: the peer end is being used as a stream. */
  pumpThroughEnd(): void;
}

export class LinkEnd extends Duplex {
  peer!: LinkEnd;
  /** Set by pump.ts while a stream waits at this end to be joined with the peer's. */
  held: HeldStream | undefined;
  /** Whether anything read or wrote this end as a stream: then it can no longer be bypassed. */
  private used = false;
  private pendingWrite: ((error?: Error | null) => void) | undefined;

  constructor(
    highWaterMark: number,
    /** Counts bytes written into this end (the link's `up` for the inbound end, `down` for the outbound end). */
    readonly count: (bytes: number) => void,
    readonly packet: boolean,
  ) {
    // A packet link (UDP) keeps datagram boundaries: each write is read as one chunk.
    const objects = packet ? { objectMode: true, highWaterMark: PACKET_LINK_BUFFER } : { highWaterMark, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark };
    super({ allowHalfOpen: true, ...objects });
  }

  /** True while neither end carried anything, so streams pumped into both can be joined directly. */
  get bypassable(): boolean {
    const untouched = (end: LinkEnd) => !end.used && !end.destroyed && !end.readableFlowing && end.writableLength === 0 && end.readableLength === 0;
    return !this.packet && this.held === undefined && untouched(this) && untouched(this.peer);
  }

  /** This end is used as a stream: a stream held at the peer must flow through the link now. */
  private use(): void {
    if (this.used) return;
    this.used = true;
    this.peer.held?.pumpThroughEnd();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.use();
    this.count(chunk.length);
    if (this.peer.push(chunk)) callback();
    else this.peer.waitForRoom(callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.use();
    let room = true;
    for (const { chunk } of chunks) {
      this.count(chunk.length);
      room = this.peer.push(chunk);
    }
    if (room) callback();
    else this.peer.waitForRoom(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.use();
    this.peer.push(null);
    callback();
  }

  override _read(): void {
    this.use();
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
export function createLinkPair(options: { highWaterMark?: number; counters?: LinkCounters; packet?: boolean } = {}): {
  inboundEnd: Link;
  outboundEnd: Link;
  counters: LinkCounters;
} {
  const counters = options.counters ?? { up: 0, down: 0 };
  const highWaterMark = options.highWaterMark ?? DEFAULT_LINK_BUFFER;
  const packet = options.packet ?? false;
  const inboundEnd = new LinkEnd(highWaterMark, (bytes) => { counters.up += bytes; }, packet);
  const outboundEnd = new LinkEnd(highWaterMark, (bytes) => { counters.down += bytes; }, packet);
  inboundEnd.peer = outboundEnd;
  outboundEnd.peer = inboundEnd;
  // A link's error is the owner's to report (pumps and handlers listen); this keeps an end that
  // nobody watches from turning an aborted connection into an uncaught exception.
  inboundEnd.on('error', ignoreError);
  outboundEnd.on('error', ignoreError);
  return { inboundEnd, outboundEnd, counters };
}
