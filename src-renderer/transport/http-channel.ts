/**
 * The dashboard's transport: calls are `POST /api/call {method, args}`, events arrive on one
 * WebSocket at `/api/events`. The token travels as the HttpOnly cookie the server set; this code
 * never sees it.
 *
 * Reconnecting (issue 4/7): when the socket drops or a call cannot reach the server, the status
 * goes `'offline'` and the channel tries again with backoff (0.5 s doubling to 4 s): first a cheap
 * call (`getStatus`), then, once the server answers, the socket. A server that answers 401 (it
 * restarted with another token) makes it `'unauthorized'`; it keeps trying, slowly, in case the
 * token comes back. Calls made meanwhile fail with `PH_API_UNREACHABLE` and a sentence for people.
 */
import type { EngineChannel, EngineEventName, EngineEvents, EngineMethodName, Unsubscribe } from '../../src-core/host/api/index.js';
import { EngineCallError } from './errors.js';

/** Whether events are flowing: the UI says "reconnecting" instead of freezing silently. */
export type LinkStatus = 'connecting' | 'live' | 'offline' | 'unauthorized';

/** What a call made while the server is away says (never the browser's "Failed to fetch"). */
export const UNREACHABLE_MESSAGE = 'The Porthole service cannot be reached (it stopped or is restarting); the dashboard reconnects by itself. Try again once it is back.';

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

  const schedule = () => {
    if (disposed || retry || socket) return;
    const delay = status === 'unauthorized' ? BACKOFF_MS[BACKOFF_MS.length - 1] ?? 4000 : BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length - 1)] ?? 4000;
    attempts += 1;
    retry = setTimeout(() => {
      retry = undefined;
      void reconnect();
    }, delay);
  };

  /** Is the server back, and does it still take our cookie? Then the socket; else later. */
  const reconnect = async () => {
    if (disposed || socket) return;
    const answer = await ask('getStatus', []);
    if (disposed || socket) return;
    if (answer === 'unreachable') {
      setStatus('offline');
      schedule();
    } else if (answer === 'unauthorized') {
      setStatus('unauthorized');
      schedule();
    } else {
      open();
    }
  };

  /** One raw call: the response, or why there is none. */
  const ask = async (method: EngineMethodName, args: readonly unknown[]): Promise<Response | 'unreachable' | 'unauthorized'> => {
    let response: Response;
    try {
      response = await fetchImpl(`${options.origin}/api/call`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ method, args }),
      });
    } catch {
      return 'unreachable';
    }
    if (response.status === 401) return 'unauthorized';
    return response;
  };

  /** A call found the server gone (or the token refused): say so now and start reconnecting. */
  const lost = (why: 'offline' | 'unauthorized') => {
    if (disposed) return;
    setStatus(why);
    if (socket) {
      // The socket may not have noticed yet; its close handler schedules the retry.
      socket.close();
      return;
    }
    schedule();
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
      if (socket === current) socket = undefined;
      if (disposed) return;
      if (status !== 'unauthorized') setStatus('offline');
      schedule();
    };
  };

  return {
    get linkStatus() {
      return status;
    },
    async call(method: EngineMethodName, args: readonly unknown[]): Promise<unknown> {
      const response = await ask(method, args);
      if (response === 'unreachable') {
        lost('offline');
        throw new EngineCallError({ code: 'PH_API_UNREACHABLE', message: UNREACHABLE_MESSAGE });
      }
      if (response === 'unauthorized') {
        lost('unauthorized');
        throw new EngineCallError({ code: 'PH_API_UNAUTHORIZED', message: 'The dashboard’s token is no longer accepted (the service restarted with a new one): open the URL it printed at start.' });
      }
      if (status !== 'live' && !socket && listeners.size > 0) {
        // The server answers again before the next retry: open the socket now.
        if (retry) clearTimeout(retry);
        retry = undefined;
        open();
      }
      let body: { result?: unknown; error?: { code: string; message: string } } = {};
      try {
        body = (await response.json()) as typeof body;
      } catch {
        // handled below
      }
      if (body.error) throw new EngineCallError(body.error);
      if (!response.ok) throw new EngineCallError({ code: 'PH_API_BAD_REQUEST', message: `the dashboard answered ${response.status}` });
      return body.result;
    },
    subscribe<E extends EngineEventName>(event: E, listener: (value: EngineEvents[E]) => void): Unsubscribe {
      if (event !== 'snapshot' && event !== 'logs' && event !== 'inspector' && event !== 'remoteSetup') throw new Error(`unknown event: ${String(event)}`);
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
