import type { Duplex } from 'node:stream';
import type { Destination } from '../common/net.js';
import type { Session } from '../common/session.js';

/**
 * An inbound's connection that counts its own bytes as net.Socket does: `bytesRead` is what the
 * client sent, `bytesWritten` what was written for the client, still-queued bytes included.
 */
export type CountedStream = Duplex & { readonly bytesRead: number; readonly bytesWritten: number };

/**
 * Routes a connection to an outbound (V2Ray's `routing.Dispatcher`).
 */
export interface Dispatcher {
  /**
   * Hands the inbound's connection to the routed outbound (V2Ray 5's `DispatchLink`): the
   * outbound reads the client's bytes from it and writes the remote's bytes to it. A UDP target
   * gets a packet link pumped from the connection. The caller lets go of `connection` unless
   * this throws.
   */
  dispatch(session: Session, target: Destination, connection: CountedStream): void;
}
