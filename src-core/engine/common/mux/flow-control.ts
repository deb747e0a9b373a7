/**
 * Flow control on one Mux.Cool connection (the protocol is in flow.ts): whether both ends
 * agreed, and the receive side's accounting, which grants the peer what our readers consumed.
 * The send side's accounting (bytes sent, bytes granted, a write held back) lives in each
 * stream (stream.ts), against `windows.sendWindow`.
 *
 * Why the send side counts every byte, even before flow control is on: a Porthole end turns it
 * on when the peer's announcement arrives, which can be after its first sessions already sent
 * data. The peer had it on from our announcement (our first frame) and grants for every byte it
 * consumed, so both ends count from a session's first byte and agree.
 */
import { DEFAULT_FLOW_WINDOW, MAX_UPDATES_PER_MESSAGE, encodeFlowMessage, type WindowUpdate } from './flow.js';
import { encodeKeepAliveDataFrame } from './writer.js';

export { DEFAULT_FLOW_WINDOW };

/** Flow control as agreed on a link. */
export interface FlowWindows {
  /** Bytes a stream may have in flight towards the peer before the peer grants more. */
  sendWindow: number;
  /** Bytes the peer may send us per stream; we grant back as our readers consume. */
  receiveWindow: number;
}

/** A stream's receive side as flow control sees it. */
export interface FlowReceiver {
  readonly id: number;
  readonly packet: boolean;
  /** Payload bytes received from the peer. */
  readonly delivered: number;
  readonly readableLength: number;
  /** Consumed bytes already granted back. */
  reportedConsumed: number;
}

/** Bytes a stream's reader has taken so far. */
export function consumedBy(stream: FlowReceiver): number {
  return stream.delivered - stream.readableLength;
}

/** How many more bytes a stream may send now: all of them without flow control. */
export function sendRoom(flow: FlowWindows | undefined, sent: number, granted: number): number {
  return flow ? Math.max(0, flow.sendWindow + granted - sent) : Number.POSITIVE_INFINITY;
}

export class FlowControl {
  /** Set once both ends announced; undefined with a 4.34 peer (or while the peer's announcement is on its way). */
  windows: FlowWindows | undefined;
  private readonly pendingGrants = new Map<number, number>();
  private grantFlushScheduled = false;
  private closed = false;
  private readonly flushGrantsNow = (): void => this.flushGrants();

  /**
   * @param receiveWindow the window this end grants per stream; 0 offers no flow control (the
   *   end then behaves as a 4.34 peer).
   * @param send writes frames on the connection.
   */
  constructor(private readonly receiveWindow: number, private readonly send: (frames: Buffer[]) => void) {}

  /** Our announcement, to go out as the connection's first frame; undefined when we offer none. */
  announcement(): Buffer | undefined {
    return this.receiveWindow > 0 ? encodeKeepAliveDataFrame(encodeFlowMessage({ kind: 'announce', window: this.receiveWindow })) : undefined;
  }

  /** The peer announced its window: flow control is on from now (when we offer it). Returns whether it turned on. */
  peerAnnounced(peerWindow: number): boolean {
    if (this.windows || this.closed || this.receiveWindow === 0) return false;
    this.windows = { sendWindow: peerWindow, receiveWindow: this.receiveWindow };
    return true;
  }

  /**
   * Grants the peer what `stream`'s reader consumed, in batches of a quarter window per stream,
   * once per turn. Called on each delivery and each `_read`; what a reader takes after its last
   * `_read` (up to its high-water mark) waits for the next one, so the window must exceed the
   * stream buffer by more than a quarter window, or a drained reader could leave its sender stuck.
   */
  noteConsumed(stream: FlowReceiver): void {
    const windows = this.windows;
    if (!windows || stream.packet) return;
    const consumed = consumedBy(stream);
    const unreported = consumed - stream.reportedConsumed;
    if (unreported < windows.receiveWindow / 4) return;
    stream.reportedConsumed = consumed;
    this.pendingGrants.set(stream.id, (this.pendingGrants.get(stream.id) ?? 0) + unreported);
    if (this.grantFlushScheduled) return;
    this.grantFlushScheduled = true;
    setImmediate(this.flushGrantsNow);
  }

  close(): void {
    this.closed = true;
    this.pendingGrants.clear();
  }

  private flushGrants(): void {
    this.grantFlushScheduled = false;
    if (this.closed || this.pendingGrants.size === 0) return;
    const updates: WindowUpdate[] = [...this.pendingGrants].map(([sessionId, increment]) => ({ sessionId, increment }));
    this.pendingGrants.clear();
    const frames: Buffer[] = [];
    for (let at = 0; at < updates.length; at += MAX_UPDATES_PER_MESSAGE) {
      frames.push(encodeKeepAliveDataFrame(encodeFlowMessage({ kind: 'window', updates: updates.slice(at, at + MAX_UPDATES_PER_MESSAGE) })));
    }
    this.send(frames);
  }
}
