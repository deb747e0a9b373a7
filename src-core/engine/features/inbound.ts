import type { Runnable } from '../common/disposable.js';

/** An inbound handler: listens and dispatches each accepted connection. */
export interface InboundHandler extends Runnable {
  readonly tag: string;
  /** Where it listens, once started (for logs and tests using ephemeral ports). */
  address(): { host: string; port: number } | undefined;
}

/** Holds the inbound handlers (V2Ray's `inbound.Manager`). */
export interface InboundManager {
  getHandler(tag: string): InboundHandler | undefined;
  handlers(): readonly InboundHandler[];
}
