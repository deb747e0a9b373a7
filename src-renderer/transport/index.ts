/**
 * Picks the transport: Electron's preload when the page runs in the app, else the dashboard's
 * HTTP/WebSocket. The only module that looks at `window` for this; everything else gets an
 * `EngineService`.
 */
import type { EngineService, Unsubscribe } from '../../src-core/host/api/index.js';
import { createEngineServiceClient } from './engine-client.js';
import { createHttpChannel, type LinkStatus } from './http-channel.js';
import { createPreloadChannel, type PortholePreload } from './preload-channel.js';

export type { LinkStatus } from './http-channel.js';

export interface Transport {
  service: EngineService;
  linkStatus(): LinkStatus;
  onDidChangeLinkStatus(listener: (status: LinkStatus) => void): Unsubscribe;
}

export function connectTransport(): Transport {
  const preload = (window as unknown as { porthole?: PortholePreload }).porthole;
  if (preload) {
    return { service: createEngineServiceClient(createPreloadChannel(preload)), linkStatus: () => 'live', onDidChangeLinkStatus: () => () => {} };
  }
  const channel = createHttpChannel({ origin: window.location.origin });
  return {
    service: createEngineServiceClient(channel),
    linkStatus: () => channel.linkStatus,
    onDidChangeLinkStatus: (listener) => channel.onDidChangeLinkStatus(listener),
  };
}
