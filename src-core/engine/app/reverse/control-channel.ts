/**
 * What Porthole's extensions of the reverse proxy (exposures) see of one link's control session
 * (Mux session 1, `reverse.internal.v2ray.com`, wire doc §5.3): who opened the link, the messages
 * that arrive on it, and a way to answer. Bridge and portal hand one channel per link to the
 * extension they were given and know nothing of what it says, so bridge.ts and portal.ts stay
 * diffable against 4.34's bridge.go and portal.go.
 *
 * A V2Ray peer never notices: a portal's extension speaks only in Control fields that 4.34 skips
 * (control.ts), and a bridge writes on session 1 only to a portal that offered something.
 */
import type { Disposable } from '../../common/disposable.js';
import type { Session } from '../../common/session.js';
import type { ControlExtension, ControlMessage } from './control.js';

/** The portal's end of one bridge link. */
export interface PortalControlChannel {
  /** The session the link arrived with: the inbound it came through and the user that inbound authenticated. */
  readonly session: Session;
  /** The link closed or drains: it takes no new sessions, and `send` does nothing. */
  readonly retired: boolean;
  /** Sends a Control message (state ACTIVE, random padding) carrying the extension's fields. */
  send(extension: ControlExtension): void;
  /** Each message the bridge writes on the control session (a 4.34 bridge writes none). */
  onMessage(listener: (bytes: Buffer) => void): void;
  /** The link closed. */
  onDidClose(listener: () => void): void;
}

/** Where a connection an extension brought to the portal may go. */
export interface LinkRoute {
  /** For logs: whose connection this is. */
  readonly description: string;
  /** True for a link that may carry it. */
  accepts(channel: PortalControlChannel): boolean;
}

/** A Porthole extension on the portal's side. */
export interface PortalExtension {
  /** Fields for a new link's first Control message: the extension's offer, which 4.34 skips. */
  offer(): ControlExtension;
  /** A bridge link is up. */
  linkAdded(channel: PortalControlChannel): void;
  /**
   * For a connection the extension brought to the portal: the only links that may carry it (it is
   * never a bridge link itself, whatever its target). Undefined for every other connection.
   */
  routeOf(session: Session): LinkRoute | undefined;
  /** Fires when a link may now carry connections it could not before (those waiting try again). */
  onDidChangeRoutes(listener: () => void): Disposable;
  close(): Promise<void>;
}

/** The bridge's end of one portal link. */
export interface BridgeControlChannel {
  /** Writes one message on the control session. Only for a portal that offered (a 4.34 portal reads nothing there). */
  send(bytes: Buffer): void;
  /** Each Control message from the portal, the first one (the offer) included. */
  onControl(listener: (message: ControlMessage) => void): void;
  /** The link closed, or the portal drains it: it carries nothing new. */
  onDidRetire(listener: () => void): void;
}

/** A Porthole extension on the bridge's side. */
export interface BridgeExtension {
  /** A link to the portal is open (it may still turn out to lead nowhere). */
  linkAdded(channel: BridgeControlChannel): void;
}
