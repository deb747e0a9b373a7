/**
 * The window's preload (style.md point 11; Electron's context-isolation guide, "one method per IPC
 * message"). It runs sandboxed, so it is CommonJS, self-contained and may require only `electron`:
 * the contract's names are therefore listed here, and `preload.test.ts` checks them against
 * `src-core/api`'s tables. It exposes exactly `window.porthole = {call, subscribe}` (the shape
 * `src-renderer/transport/preload-channel.ts` expects), throws on unknown names, and never hands
 * out `ipcRenderer` itself. Main checks every message again (`ipc-server.ts`): this is the first
 * gate, not the only one.
 *
 * The compiled file needs only what Electron's sandbox hands a preload: `require('electron')` and
 * an `exports` object (Electron ≥ 27). `preload.test.ts` runs it in a bare `vm` context with just
 * those, the way Electron wraps it.
 */
// A CommonJS file under verbatimModuleSyntax imports this way; the sandbox's require knows `electron`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');

/** Mirrors `ENGINE_METHODS` in `src-core/api/methods.ts` (checked by a test). */
const PRELOAD_METHODS: readonly string[] = [
  'listProfiles', 'getProfile', 'saveProfile', 'deleteProfile', 'validateProfile', 'exportProfile', 'activateProfile',
  'getStatus', 'startEngine', 'stopEngine', 'getSnapshot', 'getTrafficHistory',
  'listConnections', 'closeConnection', 'closeAllConnections', 'recentLogs',
  'listExposures', 'addExposure', 'updateExposure', 'removeExposure', 'setExposuresPaused', 'getServerSetup', 'checkServerSetup',
  'listInspectorEntries', 'getInspectorEntry', 'clearInspector', 'setInspectorPaused', 'setInspectorSettings',
  'replayInspectorEntry', 'exportInspectorHar', 'exportInspectorCurl',
  'startRemoteSetup', 'acceptRemoteHostKey', 'retryRemoteSetup', 'cancelRemoteSetup', 'removeRemoteSetup', 'getRemoteSetup', 'listRemoteServers',
  'listPortalInvites', 'createPortalInvite', 'revokePortalInvite',
  'getSettings', 'setSettings',
];

/** Mirrors `ENGINE_EVENT_PROPERTIES` in `src-core/api/engine-service.ts` (checked by a test). */
const PRELOAD_EVENTS: readonly string[] = ['snapshot', 'logs', 'inspector', 'remoteSetup'];

/** Channel names; the same strings as `ipc-server.ts` (checked by a test). */
const PRELOAD_CHANNELS = { call: 'porthole:call', subscribe: 'porthole:subscribe', event: 'porthole:event' } as const;

/** What the preload needs from `ipcRenderer`. */
interface PreloadIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** Parameters are `unknown`: the page may pass anything, and each is checked before use. */
interface PortholeBridge {
  call(method: unknown, args: unknown): Promise<unknown>;
  subscribe(event: unknown, listener: unknown): () => void;
}

/** A plain `{code, message, where?}` object: custom Error properties would not survive contextBridge. */
interface Envelope {
  code: string;
  message: string;
  where?: unknown;
}

function envelope(code: string, message: string): Envelope {
  return { code, message };
}

function isOwnName(list: readonly string[], name: unknown): name is string {
  return typeof name === 'string' && list.includes(name);
}

/** Builds the object exposed as `window.porthole`. */
function createPortholeBridge(ipc: PreloadIpc): PortholeBridge {
  const listeners = new Map<string, Set<(value: unknown) => void>>();

  ipc.on(PRELOAD_CHANNELS.event, (_event, name, value) => {
    if (typeof name !== 'string') return;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(value);
      } catch (error) {
        // One page listener's bug must not starve the others.
        console.error(error);
      }
    }
  });

  return {
    async call(method, args) {
      if (!isOwnName(PRELOAD_METHODS, method)) throw envelope('PH_API_UNKNOWN_METHOD', `no method ${typeof method === 'string' ? `"${method.slice(0, 60)}"` : typeof method} in the engine service`);
      if (!Array.isArray(args)) throw envelope('PH_API_BAD_ARGUMENTS', `${method}: arguments must be a list`);
      const result = (await ipc.invoke(PRELOAD_CHANNELS.call, method, args)) as { ok: true; value: unknown } | { ok: false; error: Envelope } | undefined;
      if (result?.ok === true) return result.value;
      throw result?.ok === false ? result.error : envelope('PH_API_UNREACHABLE', 'the main process gave no answer');
    },
    subscribe(event, listener) {
      if (!isOwnName(PRELOAD_EVENTS, event)) throw new Error(`porthole: no event "${String(event).slice(0, 60)}"`);
      if (typeof listener !== 'function') throw new Error('porthole: subscribe needs a listener function');
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      // Wrapped, so one function subscribed twice is two subscriptions, each ended by its own unsubscribe.
      const entry = (value: unknown): void => (listener as (value: unknown) => void)(value);
      set.add(entry);
      if (set.size === 1) ipc.send(PRELOAD_CHANNELS.subscribe, event, true);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        const current = listeners.get(event);
        if (!current?.delete(entry)) return;
        if (current.size === 0) ipc.send(PRELOAD_CHANNELS.subscribe, event, false);
      };
    },
  };
}

electron.contextBridge.exposeInMainWorld('porthole', createPortholeBridge(electron.ipcRenderer));

// For preload.test.ts, which runs this file the way Electron does and reads these back. Nothing
// else reads a preload's exports, and the page cannot see them (they stay in the isolated world).
Object.assign(exports as object, { PRELOAD_METHODS, PRELOAD_EVENTS, PRELOAD_CHANNELS, createPortholeBridge });
