/**
 * The local end of one Mux.Cool session, as its connection (connection.ts) sees it: a `MuxStream`
 * (a Duplex, for whoever wants a stream) or a `BoundSession` (a local socket joined to the session
 * without a stream in between).
 */
import { peerEventError } from '../errors.js';
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

/**
 * Acts on the peer's End for a session, whichever its local end; returns true when it is a plain
 * end, which the caller delivers (a FIN, or the end of a stream). Otherwise the session is gone:
 * - End + Error: the peer's side was cut short; the local client is reset, not told the data
 *   ended. One exception: a 4.34 peer (no flow control) answers our End with End + Error every
 *   time (it closes both directions on our End), which cannot be told from a cut; after our End it
 *   is a plain end, as a V2Ray portal would give its client;
 * - a second End: the peer no longer knows the session (4.34 answers our data for a session it
 *   dropped with End); nothing more can be delivered either way.
 */
export function isPlainPeerEnd(
  session: { readonly id: number; destroy(error?: Error): void },
  end: { withError: boolean; ourEndSent: boolean; flowControlled: boolean; endedBefore: boolean },
): boolean {
  if (end.withError && (!end.ourEndSent || end.flowControlled)) {
    session.destroy(peerEventError('PH_CONNECTION_RESET', `mux: session ${session.id} closed by the peer with an error`, { severity: 'info' }));
    return false;
  }
  if (end.endedBefore) {
    session.destroy();
    return false;
  }
  return true;
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
