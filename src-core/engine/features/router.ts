import type { RoutingContext } from '../common/session.js';

/** Picks the outbound tag for a connection (V2Ray's `routing.Router`); undefined means the default outbound. */
export interface Router {
  pickRoute(context: RoutingContext): string | undefined;
}
