/**
 * One Mux.Cool session as a Duplex (shared/docs/v2ray-wire-protocol.md §4.3): write to send to
 * the peer, read what the peer sent. The connection (connection.ts) routes frames to it and
 * writes its frames to the link.
 *
 * Half-close: End from the peer ends this stream's readable side only; our End goes out when our
 * writable side finishes; the session is gone once both happened. A 4.34 peer drops a session as
 * soon as it *sends* End and answers later data with End again: a second End therefore means the
 * peer forgot the session, and the stream is aborted.
 */
import { Duplex } from 'node:stream';
import type { Destination } from '../net.js';
import { PortholeError } from '../errors.js';
import { totalLength } from '../pieces.js';
import { MAX_PACKET_DATA } from './consts.js';
import { sendRoom } from './flow-control.js';
import { FrameStatus, encodeFrameHeader, streamDataFrames, type FrameMetadata, type MuxTarget } from './frame.js';
import { isPlainPeerEnd, type SessionEnd, type SessionHost } from './session-end.js';
import { encodeEndFrame, encodeNewFrame, joinFrame } from './writer.js';

type WriteCallback = (error?: Error | null) => void;

export class MuxStream extends Duplex implements SessionEnd {
  /** Whether our End (or New, for an opener) has gone out. */
  private sentEnd = false;
  private receivedEnd = false;
  /** Opener only: New not sent yet; the first write carries it. */
  private pendingNew: MuxTarget | undefined;
  private newTimer: NodeJS.Timeout | undefined;
  /**
   * Flow control, sender side: payload bytes sent (counted from the first byte, flow control on
   * or not: see flow-control.ts), and bytes the peer allowed beyond its initial window.
   */
  private sent = 0;
  private granted = 0;
  private blockedSend: { data: Buffer; callback: WriteCallback } | undefined;
  /** Flow control, receiver side: payload bytes received, and consumed bytes already granted back. */
  delivered = 0;
  reportedConsumed = 0;
  /**
   * Payload bytes written to this stream, queued ones included (as net.Socket's `bytesWritten`):
   * `bytesWritten - writableLength` is what the link has taken.
   */
  bytesWritten = 0;

  constructor(
    readonly id: number,
    readonly target: Destination,
    private readonly host: SessionHost,
    readonly packet: boolean,
    highWaterMark: number,
  ) {
    super({
      allowHalfOpen: true,
      // A packet session keeps message boundaries: one frame is one chunk, both ways.
      readableObjectMode: packet,
      writableObjectMode: packet,
      readableHighWaterMark: packet ? 64 : highWaterMark,
      writableHighWaterMark: packet ? 64 : highWaterMark,
    });
  }

  /** Opener: send New with the first payload, or bare after `waitMs` without one. */
  deferNew(target: MuxTarget, waitMs: number): void {
    this.pendingNew = target;
    this.newTimer = setTimeout(() => this.flushNew(), waitMs);
    this.newTimer.unref();
  }

  /** Opener: send New now (bare) if it has not gone out yet. */
  flushNew(): void {
    this.clearNewTimer();
    const target = this.pendingNew;
    if (!target) return;
    this.pendingNew = undefined;
    this.host.writeFrames([encodeNewFrame(this.id, target)]);
  }

  /** Payload bytes received from the peer (as net.Socket's `bytesRead`). */
  get bytesRead(): number {
    return this.delivered;
  }

  override write(chunk: Buffer | string, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (!this.writableEnded && !this.destroyed) this.bytesWritten += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return typeof encodingOrCallback === 'function' ? super.write(chunk, encodingOrCallback) : super.write(chunk, encodingOrCallback as BufferEncoding, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.send(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: WriteCallback): void {
    if (this.packet) {
      try {
        const frames: Buffer[] = [];
        for (const { chunk } of chunks) frames.push(...this.dataFrames(chunk, chunk.length));
        this.host.writeFrames(frames, callback);
      } catch (error) {
        callback(error as Error);
      }
      return;
    }
    // A batch is framed straight from its pieces (one copy), unless the window splits it.
    const pieces = chunks.map(({ chunk }) => chunk);
    this.send(pieces.length === 1 ? pieces[0]! : pieces, callback);
  }

  /** Sends `payload`, holding back what exceeds the flow-control window until the peer grants more. */
  private send(payload: Buffer | Buffer[], callback: WriteCallback): void {
    try {
      const length = totalLength(payload);
      if (this.packet) {
        this.host.writeFrames(this.dataFrames(payload, length), callback);
        return;
      }
      const room = sendRoom(this.host.flow, this.sent, this.granted);
      if (room >= length) {
        this.sent += length;
        this.host.writeFrames(this.dataFrames(payload, length), callback);
        return;
      }
      // Over the window: send what fits, hold the rest until the peer grants more.
      const data = Buffer.isBuffer(payload) ? payload : Buffer.concat(payload, length);
      const now = data.subarray(0, room);
      this.sent += now.length;
      if (now.length > 0) this.host.writeFrames(this.dataFrames(now, now.length));
      this.blockedSend = { data: data.subarray(now.length), callback };
    } catch (error) {
      callback(error as Error);
    }
  }

  /** @internal The peer consumed `increment` more bytes of ours: send what waited for room. */
  grant(increment: number): void {
    this.granted += increment;
    const blocked = this.blockedSend;
    if (!blocked) return;
    this.blockedSend = undefined;
    this.send(blocked.data, blocked.callback);
  }

  override _final(callback: WriteCallback): void {
    this.flushNew();
    this.sendEnd(false);
    callback();
  }

  override _read(): void {
    this.host.streamRead(this);
  }

  override _destroy(error: Error | null, callback: WriteCallback): void {
    this.clearNewTimer();
    const blocked = this.blockedSend;
    this.blockedSend = undefined;
    blocked?.callback(error);
    // An abort before both halves finished tells the peer with End + Error (4.34's hasError).
    if (!this.sentEnd) {
      if (this.pendingNew) this.flushNew();
      this.sendEnd(!(this.writableFinished && this.receivedEnd));
    }
    this.host.forget(this);
    callback(error);
  }

  /** @internal The peer sent data for this session. Returns false when the stream is over its buffer. */
  deliver(data: Buffer): boolean {
    if (this.receivedEnd || this.destroyed) return true;
    this.delivered += data.length;
    return this.push(data);
  }

  /** @internal The peer sent End: the reader gets a plain end, or the stream is aborted (isPlainPeerEnd). */
  deliverEnd(withError: boolean): void {
    if (!isPlainPeerEnd(this, { withError, ourEndSent: this.writableFinished, flowControlled: this.host.flow !== undefined, endedBefore: this.receivedEnd })) return;
    this.receivedEnd = true;
    this.push(null);
  }

  /**
   * One write's frames (`length` payload bytes), New first when the opener has not sent New yet.
   * A packet stream sends each write as one frame (an empty datagram too); a byte stream as
   * `streamDataFrames` frames it.
   */
  private dataFrames(payload: Buffer | readonly Buffer[], length: number): Buffer[] {
    const chunk = Buffer.isBuffer(payload) ? payload : undefined;
    if (this.packet && chunk && chunk.length > MAX_PACKET_DATA) {
      throw new PortholeError('PH_MUX_BAD_FRAME', `mux: packet of ${chunk.length} bytes exceeds ${MAX_PACKET_DATA}`);
    }
    if (!this.packet && length === 0) return [];
    const target = this.pendingNew;
    if (target) {
      this.clearNewTimer();
      this.pendingNew = undefined;
    }
    if (this.packet && chunk) {
      const meta: FrameMetadata = target ? { sessionId: this.id, status: FrameStatus.New, option: 0, target } : { sessionId: this.id, status: FrameStatus.Keep, option: 0 };
      return [joinFrame(encodeFrameHeader(meta, chunk.length), chunk)];
    }
    return streamDataFrames(this.id, payload, length, this.host.flow !== undefined, target);
  }

  private sendEnd(withError: boolean): void {
    if (this.sentEnd) return;
    this.sentEnd = true;
    this.host.writeFrames([encodeEndFrame(this.id, withError)]);
  }

  private clearNewTimer(): void {
    if (this.newTimer) clearTimeout(this.newTimer);
    this.newTimer = undefined;
  }
}
