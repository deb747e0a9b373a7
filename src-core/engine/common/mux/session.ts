/**
 * Mux.Cool sessions over one link (shared/docs/v2ray-wire-protocol.md §4.3), the part both the
 * client (opener) and the server (acceptor) share: the frame reader, the session table, the
 * frame writer with backpressure, and `MuxStream`, one session as a Duplex.
 *
 * Half-close: End from the peer ends that stream's readable side only; our End goes out when our
 * writable side finishes; the session is gone once both happened. A 4.34 peer drops a session as
 * soon as it *sends* End and answers later data with End again: a second End therefore means the
 * peer forgot the session, and the stream is aborted.
 *
 * Backpressure on the receive side (docs/isolation.md): Mux.Cool has no per-stream window, and
 * 4.34 pauses the whole link while one stream's reader is slow, so one stuck reader stalls every
 * stream on the link. Porthole never pauses a link for one stream:
 * - between two Porthole peers, per-stream flow control (flow.ts) keeps each sender within the
 *   window its receiver granted, so a stuck reader stops only its own stream;
 * - with a 4.34 peer, which cannot be told to slow down, a stream may buffer up to
 *   `overflowBytes` without touching the link. Beyond that the link waits for that reader
 *   (as 4.34 would, so a slow but healthy reader still gets all its data), but only while the
 *   reader makes progress: a reader that consumes nothing for `STUCK_READER_MS` loses its
 *   stream (End + Error), and the link moves on.
 * A link-wide memory cap pauses the link when the streams together hold more than
 * `LINK_MEMORY_CAP` bytes (a last resort against many slow readers at once).
 */
import { Duplex } from 'node:stream';
import type { Destination } from '../net.js';
import { PortholeError, formatErrorLine, peerEventError } from '../errors.js';
import { AddressType, type MuxAddress } from './address.js';
import { MAX_PACKET_DATA, MAX_STREAM_DATA, PORTHOLE_STREAM_DATA } from './consts.js';
import { FrameOption, FrameStatus, TargetNetwork, dataFramePieces, encodeFrameHeader, hasOption, packDataFrames, type FrameMetadata, type MuxFrame, type MuxTarget } from './frame.js';
import { FrameReader } from './reader.js';
import { encodeEndFrame, encodeNewFrame } from './writer.js';
import { MAX_UPDATES_PER_MESSAGE, decodeFlowMessage, encodeFlowMessage, type WindowUpdate } from './flow.js';
import { RosterMap } from '../roster.js';
import { totalLength } from '../pieces.js';

/**
 * A write at least this large leaves as frame headers and views of its data (dataFramePieces),
 * which the link's VMess encoder seals without joining; a smaller one is packed into one buffer
 * (packDataFrames), since copying a few KiB costs less than writing several pieces.
 */
export const GATHER_MIN_BYTES = 16 * 1024;

/** With a 4.34 peer, a stream whose reader is this far behind is closed (at least; see options). */
export const DEFAULT_OVERFLOW_BYTES = 4 * 1024 * 1024;
/** All streams of one link together may buffer this much before the link itself is paused. */
export const LINK_MEMORY_CAP = 64 * 1024 * 1024;
/** Without flow control: a reader over its buffer that consumes nothing for this long is stuck. */
export const STUCK_READER_MS = 2000;

/** Converts an engine destination to the frame's target form. */
export function toMuxTarget(target: Destination): MuxTarget {
  const type = target.address.kind === 'ipv4' ? AddressType.IPv4 : target.address.kind === 'ipv6' ? AddressType.IPv6 : AddressType.Domain;
  return {
    network: target.network === 'udp' ? TargetNetwork.UDP : TargetNetwork.TCP,
    address: { type, host: target.address.value },
    port: target.port,
  };
}

/** Converts a frame's target to an engine destination. */
export function fromMuxTarget(target: MuxTarget): Destination {
  return {
    network: target.network === TargetNetwork.UDP ? 'udp' : 'tcp',
    address: fromMuxAddress(target.address),
    port: target.port,
  };
}

function fromMuxAddress(address: MuxAddress): Destination['address'] {
  if (address.type === AddressType.IPv4) return { kind: 'ipv4', value: address.host };
  if (address.type === AddressType.IPv6) return { kind: 'ipv6', value: address.host };
  return { kind: 'domain', value: address.host };
}

export interface MuxLog {
  debug(message: string): void;
  warning(message: string): void;
}

export interface MuxConnectionOptions {
  /** Per-stream receive buffer before the stream counts as full (Node's high-water mark). */
  streamBufferBytes: number;
  /** Without flow control: how far a stream's reader may fall behind before the stream is closed. */
  overflowBytes?: number;
  log: MuxLog;
}

/** Flow control as negotiated on a link (flow.ts). */
interface FlowState {
  /** Bytes a stream may have in flight towards the peer before the peer grants more. */
  sendWindow: number;
  /** Bytes the peer may send us per stream; we grant back as our readers consume. */
  receiveWindow: number;
}

/** One Mux.Cool session as a Duplex: write to send to the peer, read what the peer sent. */
export class MuxStream extends Duplex {
  /** Whether our End (or New, for an opener) has gone out. */
  private sentEnd = false;
  private receivedEnd = false;
  /** Opener only: New not sent yet; the first write carries it. */
  private pendingNew: MuxTarget | undefined;
  private newTimer: NodeJS.Timeout | undefined;
  /** Flow control, sender side: payload bytes sent, and bytes the peer allowed beyond its initial window. */
  private sent = 0;
  private granted = 0;
  private blockedSend: { data: Buffer; callback: (error?: Error | null) => void } | undefined;
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
    private readonly connection: MuxConnection,
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
    this.connection.writeFrames([encodeNewFrame(this.id, target)]);
  }

  /** Payload bytes received from the peer (as net.Socket's `bytesRead`). */
  get bytesRead(): number {
    return this.delivered;
  }

  override write(chunk: Buffer | string, encodingOrCallback?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void): boolean {
    if (!this.writableEnded && !this.destroyed) this.bytesWritten += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return typeof encodingOrCallback === 'function' ? super.write(chunk, encodingOrCallback) : super.write(chunk, encodingOrCallback as BufferEncoding, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.packet) {
      try {
        const frames: Buffer[] = [];
        for (const { chunk } of chunks) frames.push(...this.dataFrames(chunk, chunk.length));
        this.connection.writeFrames(frames, callback);
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
  private send(payload: Buffer | Buffer[], callback: (error?: Error | null) => void): void {
    try {
      const flow = this.connection.flow;
      const length = totalLength(payload);
      if (!flow || this.packet || flow.sendWindow + this.granted - this.sent >= length) {
        if (flow && !this.packet) this.sent += length;
        this.connection.writeFrames(this.dataFrames(payload, length), callback);
        return;
      }
      // Over the window: send what fits, hold the rest until the peer grants more.
      const data = Buffer.isBuffer(payload) ? payload : Buffer.concat(payload, length);
      const room = Math.max(0, flow.sendWindow + this.granted - this.sent);
      const now = data.subarray(0, room);
      this.sent += now.length;
      if (now.length > 0) this.connection.writeFrames(this.dataFrames(now, now.length));
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

  override _final(callback: (error?: Error | null) => void): void {
    this.flushNew();
    this.sendEnd(false);
    callback();
  }

  override _read(): void {
    this.connection.streamHasRoom(this);
    this.connection.noteConsumed(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearNewTimer();
    const blocked = this.blockedSend;
    this.blockedSend = undefined;
    blocked?.callback(error);
    // An abort before both halves finished tells the peer with End + Error (4.34's hasError).
    if (!this.sentEnd) {
      if (this.pendingNew) this.flushNew();
      this.sendEnd(!(this.writableFinished && this.receivedEnd));
    }
    this.connection.forget(this);
    callback(error);
  }

  /** @internal The peer sent data for this session. Returns false when the stream is over its buffer. */
  deliver(data: Buffer): boolean {
    if (this.receivedEnd || this.destroyed) return true;
    this.delivered += data.length;
    return this.push(data);
  }

  /**
   * @internal The peer sent End. With Error the peer's side was cut short: abort, so the reader's
   * client is reset rather than told the data ended. One exception: a 4.34 peer (no flow control)
   * answers our End with End + Error every time (it closes both directions on our End), which
   * cannot be told from a cut; the reader then gets what arrived and a plain end, as a V2Ray
   * portal would give its client.
   */
  deliverEnd(withError: boolean): void {
    if (withError && (!this.writableFinished || this.connection.flow !== undefined)) {
      this.destroy(peerEventError('PH_CONNECTION_RESET', `mux: session ${this.id} closed by the peer with an error`, { severity: 'info' }));
      return;
    }
    if (this.receivedEnd) {
      // A second End: the peer no longer knows this session (4.34 answers our data for a
      // session it dropped with End). Nothing more can be delivered either way.
      this.destroy();
      return;
    }
    this.receivedEnd = true;
    this.push(null);
  }

  /**
   * One write's frames (`length` payload bytes), New first when the opener has not sent New yet:
   * packed in one buffer, or as headers and views from GATHER_MIN_BYTES on. A packet stream sends
   * each write as one frame (an empty datagram too); a byte stream splits at 8192 bytes, or at
   * `PORTHOLE_STREAM_DATA` towards a Porthole peer, and sends nothing for no bytes.
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
    const maxFrameData = this.connection.flow ? PORTHOLE_STREAM_DATA : MAX_STREAM_DATA;
    if (length < GATHER_MIN_BYTES) return [packDataFrames(this.id, payload, maxFrameData, target)];
    return dataFramePieces(this.id, Buffer.isBuffer(payload) ? [payload] : payload, maxFrameData, target);
  }

  private sendEnd(withError: boolean): void {
    if (this.sentEnd) return;
    this.sentEnd = true;
    this.connection.writeFrames([encodeEndFrame(this.id, withError)]);
  }

  private clearNewTimer(): void {
    if (this.newTimer) clearTimeout(this.newTimer);
    this.newTimer = undefined;
  }
}

/** Bytes a stream's reader has taken so far. */
function consumedBy(stream: MuxStream): number {
  return stream.delivered - stream.readableLength;
}

/** Header and payload in one buffer (small frames: packets, KeepAlive). */
function joinFrame(header: Buffer, data: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(header.length + data.length);
  header.copy(frame, 0);
  data.copy(frame, header.length);
  return frame;
}

/**
 * The machinery of one Mux.Cool connection: reads frames from `transport`, routes them to
 * streams, writes frames with backpressure. Subclasses decide what New frames mean.
 */
export abstract class MuxConnection {
  protected readonly streams = new RosterMap<number, MuxStream>();
  private readonly reader: FrameReader;
  /** Streams the link is waiting for, with their progress when last checked. */
  private readonly fullStreams = new Map<MuxStream, { consumed: number; since: number }>();
  private stuckCheck: NodeJS.Timeout | undefined;
  private readonly drainWaiters: Array<(error?: Error | null) => void> = [];
  private closedError: Error | undefined;
  private readonly closeListeners: Array<(error?: Error) => void> = [];
  /** Set once both ends agreed on flow control (flow.ts); undefined with a 4.34 peer. */
  flow: FlowState | undefined;
  private readonly pendingGrants = new Map<number, number>();
  private grantFlushScheduled = false;
  private readonly onFlowEnabled: Array<() => void> = [];

  constructor(
    protected readonly transport: Duplex,
    protected readonly options: MuxConnectionOptions,
  ) {
    this.reader = new FrameReader({ isPacketSession: (meta) => this.isPacketFrame(meta) });
    transport.on('data', (chunk: Buffer) => this.onTransportData(chunk));
    transport.on('drain', () => this.releaseDrainWaiters());
    transport.on('end', () => {
      const error = this.reader.finish();
      this.shutdown(error ?? new PortholeError('PH_CONNECTION_RESET', 'mux: link ended', { severity: 'info' }));
    });
    transport.on('error', (error: Error) => this.shutdown(error));
    transport.on('close', () => this.shutdown(new PortholeError('PH_CONNECTION_RESET', 'mux: link closed', { severity: 'info' })));
  }

  /** Streams open now. */
  get activeStreams(): number {
    return this.streams.size;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Called once, when the link is gone (with why). */
  onDidClose(listener: (error?: Error) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /**
   * Turns flow control on for this link: we grant the peer `receiveWindow` bytes per stream and
   * may send `sendWindow`. With `ack`, tells the peer (the bridge answers the portal's offer).
   */
  enableFlowControl(windows: FlowState, ack: boolean): void {
    if (this.flow || this.closedError) return;
    this.flow = windows;
    if (ack) this.writeFrames([this.keepAliveFrame(encodeFlowMessage({ kind: 'ack', window: windows.receiveWindow }))]);
    for (const listener of this.onFlowEnabled.splice(0)) listener();
  }

  /** Calls `listener` once flow control is on (at once if it already is). */
  onDidEnableFlowControl(listener: () => void): void {
    if (this.flow) listener();
    else this.onFlowEnabled.push(listener);
  }

  /** Closes the link and every stream on it. */
  close(error?: Error): void {
    this.shutdown(error ?? new PortholeError('PH_CLOSED', 'mux: closed', { severity: 'info' }));
  }

  /** New frames: the client ignores them, the server dispatches them. */
  protected abstract onNewFrame(frame: MuxFrame): void;

  protected createStream(id: number, target: Destination): MuxStream {
    const stream = new MuxStream(id, target, this, target.network === 'udp', this.options.streamBufferBytes);
    // Whoever takes the stream listens for its errors too; this one only keeps an unobserved
    // stream error from becoming an uncaught exception that would end the process.
    stream.on('error', () => {});
    this.streams.set(id, stream);
    return stream;
  }

  /** @internal Writes frames; `callback` runs once the link accepted them (backpressure). */
  writeFrames(frames: Buffer[], callback?: (error?: Error | null) => void): void {
    if (this.closedError) {
      callback?.(this.closedError);
      return;
    }
    let room = true;
    if (frames.length === 1) room = this.transport.write(frames[0]);
    else {
      this.transport.cork();
      for (const frame of frames) room = this.transport.write(frame);
      this.transport.uncork();
    }
    if (!callback) return;
    if (room) callback();
    else this.drainWaiters.push(callback);
  }

  /** @internal A stream's reader made room: resume the link if nobody else is full. */
  streamHasRoom(stream: MuxStream): void {
    if (!this.fullStreams.delete(stream)) return;
    if (this.fullStreams.size > 0) return;
    this.stopStuckCheck();
    if (!this.closedError) this.transport.resume();
  }

  /** @internal A stream closed: drop it from the table. */
  forget(stream: MuxStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.streamHasRoom(stream);
  }

  private isPacketFrame(meta: FrameMetadata): boolean {
    if (meta.status === FrameStatus.New) return meta.target.network === TargetNetwork.UDP;
    return this.streams.get(meta.sessionId)?.packet ?? false;
  }

  private onTransportData(chunk: Buffer): void {
    // Frame by frame (not `push`): a New must be handled before the reader checks the packet
    // size of a Keep for the same session that arrived in the same chunk.
    this.reader.append(chunk);
    for (;;) {
      const result = this.reader.read();
      if (result.kind === 'pending') return;
      if (result.kind === 'error') {
        this.options.log.warning(`closing the link: ${formatErrorLine(result.error)}`);
        this.shutdown(result.error);
        return;
      }
      this.onFrame(result.frame);
      if (this.closedError) return;
    }
  }

  private onFrame(frame: MuxFrame): void {
    const { meta } = frame;
    switch (meta.status) {
      case FrameStatus.New:
        this.onNewFrame(frame);
        return;
      case FrameStatus.Keep: {
        if (!frame.data) return;
        const stream = this.streams.get(meta.sessionId);
        if (!stream) {
          // Unknown session: tell the peer to close it, discard the data (as 4.34 does).
          this.writeFrames([encodeEndFrame(meta.sessionId)]);
          return;
        }
        this.deliver(stream, frame.data);
        return;
      }
      case FrameStatus.End:
        this.streams.get(meta.sessionId)?.deliverEnd(hasOption(meta, FrameOption.Error));
        return;
      case FrameStatus.KeepAlive:
        if (frame.data) this.onKeepAliveData(frame.data);
        return;
    }
  }

  /** KeepAlive data is discarded by 4.34; between Porthole peers it carries flow control. */
  private onKeepAliveData(data: Buffer): void {
    const message = decodeFlowMessage(data);
    if (!message) return;
    if (message.kind === 'ack') {
      this.onFlowAck(message.window);
      return;
    }
    if (!this.flow) return;
    for (const update of message.updates) this.streams.get(update.sessionId)?.grant(update.increment);
  }

  /** The peer accepted our offer: the client side of the negotiation (see flow.ts). */
  protected onFlowAck(_peerWindow: number): void {}

  private keepAliveFrame(data: Buffer): Buffer {
    const header = encodeFrameHeader({ sessionId: 0, status: FrameStatus.KeepAlive, option: 0 }, data.length);
    return joinFrame(header, data);
  }

  /** @internal Grants the peer what `stream`'s reader consumed, in batches of a quarter window. */
  noteConsumed(stream: MuxStream): void {
    const flow = this.flow;
    if (!flow || stream.packet) return;
    const consumed = consumedBy(stream);
    const unreported = consumed - stream.reportedConsumed;
    if (unreported < flow.receiveWindow / 4) return;
    stream.reportedConsumed = consumed;
    this.pendingGrants.set(stream.id, (this.pendingGrants.get(stream.id) ?? 0) + unreported);
    if (this.grantFlushScheduled) return;
    this.grantFlushScheduled = true;
    setImmediate(() => this.flushGrants());
  }

  private flushGrants(): void {
    this.grantFlushScheduled = false;
    if (this.closedError || this.pendingGrants.size === 0) return;
    const updates: WindowUpdate[] = [...this.pendingGrants].map(([sessionId, increment]) => ({ sessionId, increment }));
    this.pendingGrants.clear();
    const frames: Buffer[] = [];
    for (let at = 0; at < updates.length; at += MAX_UPDATES_PER_MESSAGE) {
      frames.push(this.keepAliveFrame(encodeFlowMessage({ kind: 'window', updates: updates.slice(at, at + MAX_UPDATES_PER_MESSAGE) })));
    }
    this.writeFrames(frames);
  }

  protected deliver(stream: MuxStream, data: Buffer): void {
    const room = stream.deliver(data);
    this.noteConsumed(stream);
    if (room) return;
    // Over its high-water mark. With flow control the window bounds it. Without, a reader may
    // fall `overflow` behind before the link waits for it, and a stuck one is dropped (see top).
    const overflow = Math.max(this.options.overflowBytes ?? DEFAULT_OVERFLOW_BYTES, this.options.streamBufferBytes);
    const tooFarBehind = !this.flow && !stream.packet && stream.readableLength > overflow;
    if (tooFarBehind || this.bufferedBytes() > LINK_MEMORY_CAP) this.waitFor(stream);
  }

  /** Pauses the link until `stream`'s reader makes room; watches that it makes progress. */
  private waitFor(stream: MuxStream): void {
    if (!this.fullStreams.has(stream)) this.fullStreams.set(stream, { consumed: consumedBy(stream), since: Date.now() });
    this.transport.pause();
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
      this.options.log.warning(`session ${stream.id}: its reader took nothing for ${STUCK_READER_MS / 1000} s with ${Math.round(stream.readableLength / 1024)} KiB waiting; closing this session only`);
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

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters.splice(0);
    for (const resume of waiters) resume();
  }

  private shutdown(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.stopStuckCheck();
    for (const stream of [...this.streams.values()]) stream.destroy(error);
    this.streams.clear();
    const waiters = this.drainWaiters.splice(0);
    for (const resume of waiters) resume(error);
    if (!this.transport.destroyed) this.transport.destroy();
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }
}
