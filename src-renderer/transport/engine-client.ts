/**
 * A typed `EngineService` over any `EngineChannel` (the dashboard's HTTP/WebSocket one, or
 * Electron's preload in issue 6): methods become `channel.call(name, args)`, events become
 * `channel.subscribe(name, listener)`. Nothing here knows which transport it is.
 */
import type { ENGINE_EVENT_PROPERTIES, EngineChannel, EngineEventName, EngineMethodName, EngineService } from '../../src-core/host/api/index.js';

type EventProperty = (typeof ENGINE_EVENT_PROPERTIES)[EngineEventName];

/** The contract's event properties → wire names (checked against the contract's own table). */
const EVENT_NAMES = {
  onDidChangeSnapshot: 'snapshot',
  onDidLog: 'logs',
  onDidChangeInspector: 'inspector',
  onDidChangeRemoteSetup: 'remoteSetup',
} as const satisfies { [P in EventProperty]: EngineEventName };

function isEventProperty(name: string): name is EventProperty {
  return Object.prototype.hasOwnProperty.call(EVENT_NAMES, name);
}

export function createEngineServiceClient(channel: EngineChannel): EngineService {
  const cache = new Map<string, unknown>();
  return new Proxy({} as EngineService, {
    get(_target, property) {
      // Not a thenable, not a symbol-keyed protocol: only the contract's names.
      if (typeof property !== 'string' || property === 'then') return undefined;
      const cached = cache.get(property);
      if (cached) return cached;
      const member = isEventProperty(property)
        ? (listener: (value: never) => void) => channel.subscribe(EVENT_NAMES[property], listener as (value: unknown) => void)
        : (...args: unknown[]) => channel.call(property as EngineMethodName, args);
      cache.set(property, member);
      return member;
    },
  });
}
