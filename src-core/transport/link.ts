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
  state!: LinkState;
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
    /** The dispatcher's inbound handler holds this end (writes to it travel up). */
    readonly isInbound: boolean,
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
 * How one link's connection is doing, whichever way its bytes flow (through the ends, or joined
 * around them by pumpBoth). The dispatcher watches this rather than the ends: a joined link's
 * ends never carry data, so they neither end nor close.
 */
export class LinkState {
  private closeListeners: Array<() => void> = [];
  private closedEnds = 0;
  private joined: { abort(error: Error): void } | undefined;
  private joinedUplinkEnded = false;
  private joinedDownlinkEnded = false;
  closed = false;

  constructor(
    private readonly inboundEnd: LinkEnd,
    private readonly outboundEnd: LinkEnd,
  ) {
    const endClosed = () => {
      this.closedEnds += 1;
      if (this.closedEnds === 2 && !this.joined) this.close();
    };
    inboundEnd.once('close', endClosed);
    outboundEnd.once('close', endClosed);
  }

  /** The inbound side has sent everything (its EOF reached the outbound side). */
  get uplinkEnded(): boolean {
    return this.joined ? this.joinedUplinkEnded : this.outboundEnd.readableEnded;
  }

  /** The outbound side has sent everything. */
  get downlinkEnded(): boolean {
    return this.joined ? this.joinedDownlinkEnded : this.inboundEnd.readableEnded;
  }

  /** Calls `listener` once the connection is over (at once if it is). */
  onDidClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Ends the connection both ways at once (a user's close, an idle timeout). */
  abort(error: Error): void {
    if (this.joined) this.joined.abort(error);
    else this.inboundEnd.destroy(error);
  }

  /** @internal pump.ts joined the streams of both ends: from now on they report here. */
  join(streams: { abort(error: Error): void }): void {
    this.joined = streams;
  }

  /** @internal A joined direction ended: `fromInbound` when the inbound side's stream sent EOF. */
  joinedDirectionEnded(fromInbound: boolean): void {
    if (fromInbound) this.joinedUplinkEnded = true;
    else this.joinedDownlinkEnded = true;
  }

  /** @internal */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

/**
 * Two connected ends. Whatever is written to `inboundEnd` is read from `outboundEnd` (counted
 * as `up`), and the reverse (counted as `down`).
 */
export function createLinkPair(options: { highWaterMark?: number; counters?: LinkCounters; packet?: boolean } = {}): {
  inboundEnd: Link;
  outboundEnd: Link;
  counters: LinkCounters;
  state: LinkState;
} {
  const counters = options.counters ?? { up: 0, down: 0 };
  const highWaterMark = options.highWaterMark ?? DEFAULT_LINK_BUFFER;
  const packet = options.packet ?? false;
  const inboundEnd = new LinkEnd(highWaterMark, (bytes) => { counters.up += bytes; }, packet, true);
  const outboundEnd = new LinkEnd(highWaterMark, (bytes) => { counters.down += bytes; }, packet, false);
  inboundEnd.peer = outboundEnd;
  outboundEnd.peer = inboundEnd;
  const state = new LinkState(inboundEnd, outboundEnd);
  inboundEnd.state = state;
  outboundEnd.state = state;
  // A link's error is the owner's to report (pumps and handlers listen); this keeps an end that
  // nobody watches from turning an aborted connection into an uncaught exception.
  inboundEnd.on('error', ignoreError);
  outboundEnd.on('error', ignoreError);
  return { inboundEnd, outboundEnd, counters, state };
}
