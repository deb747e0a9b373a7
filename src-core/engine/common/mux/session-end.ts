/**
 * The local end of one Mux.Cool session, as its connection (connection.ts) sees it: a `MuxStream`
 * (a Duplex, for whoever wants a stream) or a `BoundSession` (a local socket joined to the session
 * without a stream in between).
 */
import type { Destination } from '../net.js';
import type { FlowReceiver, FlowWindows } from './flow-control.js';

export interface SessionEnd extends FlowReceiver {
  readonly target: Destination;
  /** The peer sent data. Returns false when the local reader is over its buffer. */
  deliver(data: Buffer): boolean;
  /** The peer sent End (`withError`: End + Error). */
  deliverEnd(withError: boolean): void;
  /** The peer consumed `increment` more bytes of ours (flow control). */
  grant(increment: number): void;
  /** Closes the session (End + Error to the peer unless both halves had finished). */
  destroy(error?: Error): void;
}

type WriteCallback = (error?: Error | null) => void;

/** What a session's local end asks of its connection. */
export interface SessionHost {
  /** The flow-control windows once both ends agreed; undefined with a 4.34 peer. */
  readonly flow: FlowWindows | undefined;
  /**
   * Writes frames. Returns whether the link still has room; `callback` runs once the link
   * accepted them (backpressure).
   */
  writeFrames(frames: Buffer[], callback?: WriteCallback): boolean;
  /** Runs `resume` once the link has room again (after `writeFrames` returned false). */
  whenLinkHasRoom(resume: () => void): void;
  /** The local reader took data: the link may resume, the peer may be granted what was consumed. */
  streamRead(session: SessionEnd): void;
  /** The session closed: drop it from the session table. */
  forget(session: SessionEnd): void;
}
