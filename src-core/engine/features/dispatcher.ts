import type { Duplex } from 'node:stream';
import type { Destination } from '../common/net.js';
import type { Session } from '../common/session.js';
import type { Link } from '../transport/link.js';

/** An inbound's connection that counts its own bytes as net.Socket does (`bytesWritten` includes what is still queued). */
export type CountedStream = Duplex & { readonly bytesRead: number; readonly bytesWritten: number };

/**
 * Routes a connection to an outbound (V2Ray's `routing.Dispatcher`).
 */
export interface Dispatcher {
  /**
   * Returns the inbound's end of a new link to the routed outbound: write the client's bytes to
   * it, read the remote's bytes from it.
   */
  dispatch(session: Session, target: Destination): Link;
  /**
   * Hands the inbound's own connection to the routed outbound, which reads and writes it
   * directly (V2Ray 5's `DispatchLink`; UDP goes through a packet link); the caller lets go of
   * `stream` unless this throws.
   */
  dispatchLink(session: Session, target: Destination, stream: CountedStream): void;
}
