/**
 * Room for the Electron transport (issue 6): the sandboxed preload exposes exactly these two
 * functions as `window.porthole` (style.md point 11) and checks every name itself. The renderer
 * wraps them in the same `EngineService` proxy as the dashboard's transport.
 */
import type { EngineChannel, EngineEventName, EngineEvents, EngineMethodName, Unsubscribe } from '../../src-core/host/api/index.js';

/** What the preload's `contextBridge.exposeInMainWorld('porthole', …)` provides. */
export interface PortholePreload {
  call(method: EngineMethodName, args: readonly unknown[]): Promise<unknown>;
  subscribe<E extends EngineEventName>(event: E, listener: (value: EngineEvents[E]) => void): Unsubscribe;
}

export function createPreloadChannel(preload: PortholePreload): EngineChannel {
  return {
    call: (method, args) => preload.call(method, args),
    subscribe: (event, listener) => preload.subscribe(event, listener),
  };
}
