/**
 * One Mux.Cool byte session joined straight to a local stream (the portal's visitor socket): the
 * socket's data become frames in its own handlers, and the peer's data are written to it. It does
 * what a `MuxStream` joined to the socket by `pumpBoth` does, without a Duplex and a pump in
 * between, which is most of what a session costs per connection (docs/performance-log.md).
 *
 * Half-close as in stream.ts: the socket's EOF sends End, the peer's End ends the socket's write
 * side, and the session is gone once the socket closed. A socket that closes before both halves
 * finished, or an abort from either side, sends End + Error and resets the socket (abort.ts).
 */
import type { Duplex } from 'node:stream';
import type { Destination } from '../net.js';
import { abortStream } from '../../transport/abort.js';
import { COALESCE_FLUSH_BYTES } from '../../transport/pump.js';
import { sendRoom } from './flow-control.js';
import { streamDataFrames, type MuxTarget } from './frame.js';
import type { Deferred, DeferredNew, NewFrameDeferral } from './new-frame-deferral.js';
import { isPlainPeerEnd, type SessionEnd, type SessionHost } from './session-end.js';
import { encodeEndFrame, encodeNewFrame } from './writer.js';

/** What a bound session needs of its connection besides `SessionHost`: one uncork per turn. */
export interface BoundSessionHost extends SessionHost {
  /** Uncorks `session`'s socket at the end of this event-loop turn (its check phase). */
  uncorkThisTurn(session: BoundSession): void;
}

export class BoundSession implements SessionEnd, DeferredNew {
  readonly packet = false;
  delivered = 0;
  reportedConsumed = 0;
  private sentEnd = false;
  private receivedEnd = false;
  private closed = false;
  private corked = false;
  private pendingNew: MuxTarget | undefined;
  private deferred: Deferred | undefined;
  /** Flow control, sender side (as MuxStream's). */
  private sent = 0;
  private granted = 0;
  /** Data the window did not let go yet; the socket is paused meanwhile. */
  private blocked: Buffer | undefined;
  private waitingForLink = false;

  constructor(
    readonly id: number,
    readonly target: Destination,
    private readonly host: BoundSessionHost,
    private readonly socket: Duplex,
  ) {}

  /** Opener: New goes out with the first data, or bare when `deferral` says; the socket is read from now. */
  start(newTarget: MuxTarget, deferral: NewFrameDeferral): void {
    this.pendingNew = newTarget;
    this.deferred = deferral.add(this);
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => this.send(chunk));
    socket.on('drain', () => this.host.streamRead(this));
    // An error closes the socket; 'close' tells the peer. Listened to so that it is never uncaught.
    socket.on('error', ignoreError);
    // Already closed (a visitor gone while it waited for a link) emits no 'close' again.
    if (socket.closed) process.nextTick(() => this.onSocketClose());
    else socket.once('close', () => this.onSocketClose());
    // A socket whose client sent only FIN before we listened emits no 'end' again.
    if (socket.readableEnded) this.onSocketEnd();
    else socket.once('end', () => this.onSocketEnd());
  }

  /** Payload bytes delivered but not yet taken by the socket (what a MuxStream would hold). */
  get readableLength(): number {
    return this.socket.writableLength;
  }

  deliver(data: Buffer): boolean {
    if (this.receivedEnd || this.closed) return true;
    this.delivered += data.length;
    // The frames of one turn leave in one write (as pump.ts coalesces), a large batch at once.
    const socket = this.socket;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      this.host.uncorkThisTurn(this);
    }
    const room = socket.write(data);
    if (socket.writableLength >= COALESCE_FLUSH_BYTES) this.uncork();
    return room;
  }

  /** @internal The turn's deliveries are done (or the batch is large): what this session got leaves now. */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
    // A write that did not fill the socket emits no 'drain': grant what the socket took now.
    this.host.streamRead(this);
  }

  /** The peer's End: the socket's FIN, or its reset (isPlainPeerEnd). */
  deliverEnd(withError: boolean): void {
    if (this.closed) return;
    if (!isPlainPeerEnd(this, { withError, ourEndSent: this.sentEnd, flowControlled: this.host.flow !== undefined, endedBefore: this.receivedEnd })) return;
    this.receivedEnd = true;
    this.corked = false;
    this.socket.end();
  }

  grant(increment: number): void {
    this.granted += increment;
    const blocked = this.blocked;
    if (!blocked) return;
    this.blocked = undefined;
    this.send(blocked);
    this.resumeIfFree();
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    // What the peer sent before the cut still goes to the socket, ahead of its reset.
    this.uncork();
    this.close(true);
    abortStream(this.socket, error);
  }

  private send(data: Buffer): void {
    if (this.closed) return;
    const room = sendRoom(this.host.flow, this.sent, this.granted);
    const now = room >= data.length ? data : data.subarray(0, room);
    if (now !== data) {
      // Over the window: the rest waits for the peer's grant, and the socket for the rest.
      this.blocked = data.subarray(now.length);
      this.socket.pause();
    }
    if (now.length === 0) return;
    this.sent += now.length;
    const target = this.takePendingNew();
    if (this.host.writeFrames(streamDataFrames(this.id, now, now.length, this.host.flow !== undefined, target)) || this.waitingForLink) return;
    this.waitingForLink = true;
    this.socket.pause();
    this.host.whenLinkHasRoom(() => {
      this.waitingForLink = false;
      this.resumeIfFree();
    });
  }

  private resumeIfFree(): void {
    if (!this.closed && !this.blocked && !this.waitingForLink) this.socket.resume();
  }

  private onSocketEnd(): void {
    if (!this.closed) this.sendEnd(false);
  }

  /** Closed after both halves finished: done. Closed before: cut short, the peer is told. */
  private onSocketClose(): void {
    if (this.closed) return;
    this.close(!(this.sentEnd && this.receivedEnd));
  }

  private close(withError: boolean): void {
    this.closed = true;
    this.blocked = undefined;
    this.sendEnd(withError);
    this.host.forget(this);
  }

  /** Our End (New first, if it has not gone out), once. */
  private sendEnd(withError: boolean): void {
    if (this.sentEnd) return;
    this.flushNew();
    this.sentEnd = true;
    this.host.writeFrames([encodeEndFrame(this.id, withError)]);
  }

  flushNew(): void {
    const target = this.takePendingNew();
    if (target) this.host.writeFrames([encodeNewFrame(this.id, target)]);
  }

  private takePendingNew(): MuxTarget | undefined {
    const target = this.pendingNew;
    if (target) {
      this.pendingNew = undefined;
      this.deferred!.session = undefined;
      this.deferred = undefined;
    }
    return target;
  }
}

function ignoreError(): void {}
