/**
 * The Mux.Cool server: the side that accepts sessions (V2Ray's `mux.ServerWorker`). In a reverse
 * proxy the bridge is the server on each of its links (wire doc §5.1).
 */
import { formatErrorLine } from '../errors.js';
import type { MuxFrame } from './frame.js';
import { FrameStatus } from './frame.js';
import { MuxConnection, type MuxConnectionOptions } from './connection.js';
import type { MuxStream } from './stream.js';
import { fromMuxTarget } from './target.js';
import type { Duplex } from 'node:stream';

/** Takes a new session; throwing closes that session only. */
export type StreamAcceptor = (stream: MuxStream) => void;

export class MuxServer extends MuxConnection {
  constructor(transport: Duplex, options: MuxConnectionOptions, private readonly accept: StreamAcceptor) {
    super(transport, options);
  }

  protected onNewFrame(frame: MuxFrame): void {
    const { meta } = frame;
    if (meta.status !== FrameStatus.New) return;
    this.streams.get(meta.sessionId)?.destroy();
    const stream = this.createStream(meta.sessionId, fromMuxTarget(meta.target));
    try {
      this.accept(stream);
    } catch (error) {
      // 4.34 tears the whole link down when a dispatch fails; only this session needs to go.
      this.options.log.warning(`session ${meta.sessionId}: ${formatErrorLine(error)}`);
      stream.destroy();
      return;
    }
    if (frame.data) this.deliver(stream, frame.data);
  }
}
