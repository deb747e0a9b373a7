import type { Session } from '../common/session.js';
import type { Destination } from '../common/net.js';
import type { Link } from '../transport/link.js';

/**
 * An outbound handler (V2Ray's `proxy.Outbound` wrapped by `outbound.Handler`): it takes over a
 * link and carries it to `target`. From the call on it owns the link: on failure it destroys
 * the link (and logs why); it never throws to the dispatcher.
 */
export interface OutboundHandler {
  readonly tag: string;
  process(session: Session, target: Destination, link: Link): void;
  close(): Promise<void>;
}

/** Holds the outbound handlers by tag (V2Ray's `outbound.Manager`). */
export interface OutboundManager {
  getHandler(tag: string): OutboundHandler | undefined;
  /** The first configured outbound: where unrouted traffic goes. */
  getDefaultHandler(): OutboundHandler | undefined;
  addHandler(handler: OutboundHandler): void;
  removeHandler(tag: string): Promise<void>;
}
