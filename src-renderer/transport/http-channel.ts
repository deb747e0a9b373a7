/**
 * The dashboard's transport: calls are `POST /api/call {method, args}`, events arrive on one
 * WebSocket at `/api/events` (reopened with backoff when it drops). The token travels as the
 * HttpOnly cookie the server set; this code never sees it.
 */
import type { EngineChannel, EngineEventName, EngineEvents, EngineMethodName, Unsubscribe } from '../../src-core/host/api/index.js';
import { EngineCallError } from './errors.js';

/** Whether events are flowing: the UI says "reconnecting" instead of freezing silently. */
export type LinkStatus = 'connecting' | 'live' | 'offline';

export interface HttpChannelOptions {
  /** `http://host:port`; default: the page's own origin. */
  origin: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

export interface HttpChannel extends EngineChannel {
  readonly linkStatus: LinkStatus;
  onDidChangeLinkStatus(listener: (status: LinkStatus) => void): Unsubscribe;
  dispose(): void;
}

const BACKOFF_MS = [500, 1000, 2000, 4000];

export function createHttpChannel(options: HttpChannelOptions): HttpChannel {
  const fetchImpl = options.fetch ?? fetch.bind(globalThis);
  const SocketImpl = options.WebSocket ?? WebSocket;
  const listeners = new Map<EngineEventName, Set<(value: unknown) => void>>();
  const statusListeners = new Set<(status: LinkStatus) => void>();
  let socket: WebSocket | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let attempts = 0;
  let status: LinkStatus = 'connecting';
  let disposed = false;

  const setStatus = (next: LinkStatus) => {
    if (next === status) return;
    status = next;
    for (const listener of statusListeners) listener(next);
  };

  const open = () => {
    if (disposed || socket) return;
    const url = `${options.origin.replace(/^http/, 'ws')}/api/events`;
    const current = new SocketImpl(url);
    socket = current;
    current.onopen = () => {
      attempts = 0;
      setStatus('live');
    };
    current.onmessage = (message: MessageEvent) => {
      let parsed: { event?: unknown; data?: unknown };
      try {
        parsed = JSON.parse(String(message.data)) as { event?: unknown; data?: unknown };
      } catch {
        return;
      }
      const set = typeof parsed.event === 'string' ? listeners.get(parsed.event as EngineEventName) : undefined;
      if (set) for (const listener of [...set]) listener(parsed.data);
    };
    current.onclose = () => {
      socket = undefined;
      if (disposed) return;
      setStatus('offline');
      const delay = BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length - 1)] ?? 4000;
      attempts += 1;
      retry = setTimeout(() => {
        retry = undefined;
        open();
      }, delay);
    };
  };

  return {
    get linkStatus() {
      return status;
    },
    async call(method: EngineMethodName, args: readonly unknown[]): Promise<unknown> {
      let response: Response;
      try {
        response = await fetchImpl(`${options.origin}/api/call`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify({ method, args }),
        });
      } catch (error) {
        throw new EngineCallError({ code: 'PH_API_UNREACHABLE', message: `cannot reach the dashboard server (${error instanceof Error ? error.message : String(error)})` });
      }
      let body: { result?: unknown; error?: { code: string; message: string } } = {};
      try {
        body = (await response.json()) as typeof body;
      } catch {
        // handled below
      }
      if (body.error) throw new EngineCallError(body.error);
      if (!response.ok) throw new EngineCallError({ code: response.status === 401 ? 'PH_API_UNAUTHORIZED' : 'PH_API_BAD_REQUEST', message: `the dashboard answered ${response.status}` });
      return body.result;
    },
    subscribe<E extends EngineEventName>(event: E, listener: (value: EngineEvents[E]) => void): Unsubscribe {
      if (event !== 'snapshot' && event !== 'logs') throw new Error(`unknown event: ${String(event)}`);
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      const wrapped = listener as (value: unknown) => void;
      set.add(wrapped);
      open();
      return () => { set.delete(wrapped); };
    },
    onDidChangeLinkStatus(listener) {
      statusListeners.add(listener);
      return () => { statusListeners.delete(listener); };
    },
    dispose() {
      disposed = true;
      if (retry) clearTimeout(retry);
      socket?.close();
      socket = undefined;
    },
  };
}
