import type { Runnable } from '../common/disposable.js';
import type { LiveServerCertificate } from '../transport/internet/index.js';

/** An inbound handler: listens and dispatches each accepted connection. */
export interface InboundHandler extends Runnable {
  readonly tag: string;
  /** Where it listens, once started (for logs and tests using ephemeral ports). */
  address(): { host: string; port: number } | undefined;
  /** The certificate it obtains while it runs (`tlsSettings.acme`), shared by the handlers of one inbound. */
  readonly liveCertificate?: LiveServerCertificate | undefined;
}

/** What an inbound's `updateUsers` (VMess, VLESS) changed when a reload gave it other users. */
export interface InboundUsersUpdate {
  added: number;
  removed: number;
  /** Connections of removed users, closed at once. */
  closedConnections: number;
}

/** Holds the inbound handlers (V2Ray's `inbound.Manager`). */
export interface InboundManager {
  getHandler(tag: string): InboundHandler | undefined;
  handlers(): readonly InboundHandler[];
}
