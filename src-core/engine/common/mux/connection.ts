/**
 * One Mux.Cool connection (shared/docs/v2ray-wire-protocol.md §4.3), the part both the client
 * (opener) and the server (acceptor) share: it reads frames from the link and routes them to
 * the session table, and writes the sessions' frames through one batching writer (writer.ts).
 * What happens when a reader falls behind is receive-policy.ts; Porthole's per-stream flow
 * control, which each end announces in its first frame, is flow-control.ts.
 */
import type { Duplex } from 'node:stream';
import type { Destination } from '../net.js';
import { PortholeError, formatErrorLine } from '../errors.js';
import { RosterMap } from '../roster.js';
import { DEFAULT_FLOW_WINDOW, FlowControl, type FlowWindows } from './flow-control.js';
import { decodeFlowMessage } from './flow.js';
import { FrameOption, FrameStatus, TargetNetwork, hasOption, type FrameMetadata, type MuxFrame } from './frame.js';
import { FrameReader } from './reader.js';
import { ReceivePolicy } from './receive-policy.js';
import { BoundSession, type BoundSessionHost } from './bound-session.js';
import type { SessionEnd } from './session-end.js';
import { MuxStream } from './stream.js';
import { FrameWriter, encodeEndFrame } from './writer.js';

export interface MuxLog {
  debug(message: string): void;
  warning(message: string): void;
}

export interface MuxConnectionOptions {
  /** Per-stream receive buffer before the stream counts as full (Node's high-water mark). */
  streamBufferBytes: number;
  /** Without flow control: how far a stream's reader may fall behind before the stream is closed. */
  overflowBytes?: number;
  /**
   * The flow-control window this end announces and grants per stream (flow.ts); 0 announces
   * nothing and leaves flow control off, as a 4.34 peer does. Default DEFAULT_FLOW_WINDOW, or
   * twice the stream buffer when that is larger (see FlowControl.noteConsumed).
   */
  flowWindow?: number;
  log: MuxLog;
}

/**
 * The machinery of one Mux.Cool connection: reads frames from `transport`, routes them to
 * streams, writes frames with backpressure. Subclasses decide what New frames mean.
 */
export abstract class MuxConnection implements BoundSessionHost {
  protected readonly streams = new RosterMap<number, SessionEnd>();
  /** Bound sessions corked during this event-loop turn. */
  private readonly corked: BoundSession[] = [];
  private readonly uncorkDeliveredNow = (): void => this.uncorkDelivered();
  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;
  private readonly flowControl: FlowControl;
  private readonly receivePolicy: ReceivePolicy;
  private closedError: Error | undefined;
  private readonly closeListeners: Array<(error?: Error) => void> = [];

  constructor(
    protected readonly transport: Duplex,
    protected readonly options: MuxConnectionOptions,
  ) {
    this.reader = new FrameReader({ isPacketSession: (meta) => this.isPacketFrame(meta) });
    this.flowControl = new FlowControl(options.flowWindow ?? Math.max(DEFAULT_FLOW_WINDOW, 2 * options.streamBufferBytes), (frames) => this.writeFrames(frames));
    this.writer = new FrameWriter(transport, this.flowControl.announcement());
    this.receivePolicy = new ReceivePolicy(transport, this.streams, {
      streamBufferBytes: options.streamBufferBytes,
      ...(options.overflowBytes === undefined ? {} : { overflowBytes: options.overflowBytes }),
      warning: (message) => options.log.warning(message),
    });
    transport.on('data', (chunk: Buffer) => this.onTransportData(chunk));
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

  /** Flow control as agreed with the peer; undefined with a 4.34 peer. */
  get flow(): FlowWindows | undefined {
    return this.flowControl.windows;
  }

  /** Called once, when the link is gone (with why). */
  onDidClose(listener: (error?: Error) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
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

  /** A byte session whose local end is `socket` itself (bound-session.ts); it starts reading at once. */
  protected bindSession(id: number, target: Destination, socket: Duplex): BoundSession {
    const session = new BoundSession(id, target, this, socket);
    this.streams.set(id, session);
    return session;
  }

  /** @internal SessionHost: writes frames; `callback` runs once the link accepted them. */
  writeFrames(frames: Buffer[], callback?: (error?: Error | null) => void): boolean {
    if (this.closedError) {
      callback?.(this.closedError);
      return true;
    }
    return this.writer.write(frames, callback);
  }

  /** @internal SessionHost */
  whenLinkHasRoom(resume: () => void): void {
    if (this.closedError) resume();
    else this.writer.whenRoom(resume);
  }

  /** @internal BoundSessionHost */
  uncorkThisTurn(session: BoundSession): void {
    if (this.corked.length === 0) setImmediate(this.uncorkDeliveredNow);
    this.corked.push(session);
  }

  /** @internal SessionHost */
  streamRead(stream: SessionEnd): void {
    this.receivePolicy.streamHasRoom(stream);
    this.flowControl.noteConsumed(stream);
  }

  /** @internal SessionHost */
  forget(stream: SessionEnd): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.receivePolicy.streamHasRoom(stream);
  }

  protected deliver(stream: SessionEnd, data: Buffer): void {
    const room = stream.deliver(data);
    this.flowControl.noteConsumed(stream);
    if (!room) this.receivePolicy.streamFull(stream, this.flowControl.windows !== undefined);
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
      if (result.kind === 'pending') break;
      if (result.kind === 'error') {
        this.options.log.warning(`closing the link: ${formatErrorLine(result.error)}`);
        this.shutdown(result.error);
        break;
      }
      this.onFrame(result.frame);
      if (this.closedError) break;
    }
  }

  private uncorkDelivered(): void {
    const corked = this.corked;
    if (corked.length === 0) return;
    for (let i = 0; i < corked.length; i += 1) corked[i]!.uncork();
    corked.length = 0;
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
    if (message.kind === 'announce') {
      // The peer waits for our announcement too: it goes now if nothing of ours went out yet.
      if (this.flowControl.peerAnnounced(message.window) && !this.writer.started) this.writer.start();
      return;
    }
    if (!this.flowControl.windows) return;
    for (const update of message.updates) this.streams.get(update.sessionId)?.grant(update.increment);
  }

  private shutdown(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.receivePolicy.dispose();
    this.flowControl.close();
    for (const stream of [...this.streams.values()]) stream.destroy(error);
    this.streams.clear();
    this.writer.fail(error);
    if (!this.transport.destroyed) this.transport.destroy();
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }
}
