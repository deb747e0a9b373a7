import type { Destination } from '../common/net.js';
import type { Session } from '../common/session.js';
import type { Link } from '../transport/link.js';

/**
 * Routes a connection to an outbound and returns the inbound's end of the link (V2Ray's
 * `routing.Dispatcher`). Write the client's bytes to it, read the remote's bytes from it.
 */
export interface Dispatcher {
  dispatch(session: Session, target: Destination): Link;
}
