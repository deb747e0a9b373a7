/**
 * How the exposures get their public ports without knowing which inbound serves them: instance.ts
 * passes a factory that builds a dokodemo-door inbound, so app/exposures never imports a proxy.
 */
import type { Destination } from '../../common/net.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import type { InboundHandler } from '../../features/inbound.js';

/** An exposure's public port: every TCP connection goes to `target`, straight to `outboundTag` (no routing rule can take it). */
export interface PublicListenerSettings {
  readonly listenHost: string;
  readonly listenPort: number;
  readonly target: Destination;
  readonly outboundTag: string;
}

/** Opens exposures' public listeners (not started: the caller starts and closes them). */
export interface PublicListenerFactory {
  create(tag: string, settings: PublicListenerSettings, dispatcher: Dispatcher): InboundHandler;
}
