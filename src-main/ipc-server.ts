/**
 * Serves the engine service to our window over Electron IPC (style.md point 10): one channel for
 * calls, one for (un)subscribing to the contract's events, one for the events themselves. Every
 * message passes the gate first: it must come from our own window's top frame, name something in
 * the contract and carry arguments its schema accepts.
 *
 * Errors cross as `{ok: false, error: ErrorEnvelope}` values, not as thrown errors: `ipcMain.handle`
 * would keep only a prefixed `message` and drop `code` and `where`, which the UI needs.
 *
 * Written against the few members of `ipcMain`, `WebContents` and `WebFrameMain` it uses (the
 * `*Like` interfaces below, which Electron's objects satisfy), so it is tested without Electron.
 */
import { ENGINE_EVENT_PROPERTIES, toErrorEnvelope } from '../src-core/host/api/index.js';
import type { EngineEventName, EngineService, ErrorEnvelope, Unsubscribe } from '../src-core/host/api/index.js';
import { gateIpcCall, isOwnRendererUrl } from './ipc-gate.js';
import type { AllowedOrigin } from './ipc-gate.js';

/** renderer → main, `invoke(CALL_CHANNEL, method, args)` → `IpcCallResult`. */
export const CALL_CHANNEL = 'porthole:call';
/** renderer → main, `send(SUBSCRIBE_CHANNEL, event, on)`: start (true) or stop (false) an event. */
export const SUBSCRIBE_CHANNEL = 'porthole:subscribe';
/** main → renderer, `send(EVENT_CHANNEL, event, value)`. */
export const EVENT_CHANNEL = 'porthole:event';

export type IpcCallResult = { ok: true; value: unknown } | { ok: false; error: ErrorEnvelope };

/** The part of `WebFrameMain` the gate reads. */
export interface SenderFrameLike {
  readonly url: string;
  /** null for the top frame. */
  readonly parent: unknown;
}

/** The part of `WebContents` used here. */
export interface WebContentsLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

/** The part of `IpcMainInvokeEvent` / `IpcMainEvent` used here. */
export interface IpcEventLike {
  readonly sender: WebContentsLike;
  /** null when the frame has navigated away or gone. */
  readonly senderFrame: SenderFrameLike | null;
}

/** The part of `ipcMain` used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
}

export interface IpcServerOptions {
  /** Our renderer's origin (`app://porthole`, see `app-protocol.ts`), as `gateIpcCall` takes it. */
  allowedOrigin: AllowedOrigin;
  /** True for our own window's web contents; anything else (a devtools page, a future window) is refused. */
  isOwnWebContents(contents: WebContentsLike): boolean;
  /** After each successful call (the wiring mirrors `setSettings` into the settings store). */
  onDidCall?(method: string, value: unknown): void;
  /** Refusals and internal errors, for the log. */
  warn?(message: string): void;
}

function isEventName(name: unknown): name is EngineEventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(ENGINE_EVENT_PROPERTIES, name);
}

/** Registers the handlers; the returned function removes them and every subscription. */
export function serveEngineOverIpc(ipcMain: IpcMainLike, service: EngineService, options: IpcServerOptions): () => void {
  const subscriptions = new Map<number, Map<EngineEventName, Unsubscribe>>();
  const warn = options.warn ?? (() => {});

  function senderCheck(event: IpcEventLike): { url: unknown; top: boolean } | null {
    if (!options.isOwnWebContents(event.sender)) return null;
    const frame = event.senderFrame;
    return { url: frame?.url, top: frame !== null && frame !== undefined && frame.parent === null };
  }

  async function onCall(event: IpcEventLike, method: unknown, args: unknown): Promise<IpcCallResult> {
    const sender = senderCheck(event);
    const gate = sender
      ? gateIpcCall(sender.url, sender.top, method, args, options.allowedOrigin)
      : { ok: false as const, error: { code: 'PH_API_UNAUTHORIZED', message: 'calls are accepted only from the Porthole window' } };
    if (!gate.ok) {
      warn(`ipc: refused a call (${gate.error.code}): ${gate.error.message}`);
      return { ok: false, error: gate.error };
    }
    try {
      const callable = service[gate.method] as (...values: unknown[]) => Promise<unknown>;
      const value = await callable.apply(service, gate.args);
      options.onDidCall?.(gate.method, value);
      return { ok: true, value };
    } catch (error) {
      const envelope = toErrorEnvelope(error);
      if (envelope.code === 'PH_INTERNAL') warn(`ipc: ${gate.method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return { ok: false, error: envelope };
    }
  }

  function dropAll(contentsId: number): void {
    const forContents = subscriptions.get(contentsId);
    if (!forContents) return;
    for (const unsubscribe of forContents.values()) unsubscribe();
    subscriptions.delete(contentsId);
  }

  function onSubscribe(event: IpcEventLike, name: unknown, on: unknown): void {
    const sender = senderCheck(event);
    if (!sender || !sender.top || !isOwnRendererUrl(sender.url, options.allowedOrigin)) {
      warn('ipc: refused a subscription from outside the Porthole window');
      return;
    }
    if (!isEventName(name) || typeof on !== 'boolean') {
      warn(`ipc: refused a subscription to ${typeof name === 'string' ? `"${name.slice(0, 60)}"` : typeof name}`);
      return;
    }
    const contents = event.sender;
    let forContents = subscriptions.get(contents.id);
    if (!on) {
      forContents?.get(name)?.();
      forContents?.delete(name);
      return;
    }
    if (forContents?.has(name)) return;
    if (!forContents) {
      forContents = new Map();
      subscriptions.set(contents.id, forContents);
      contents.once('destroyed', () => dropAll(contents.id));
    }
    const property = ENGINE_EVENT_PROPERTIES[name];
    const unsubscribe = service[property]((value: unknown) => {
      if (contents.isDestroyed()) dropAll(contents.id);
      else contents.send(EVENT_CHANNEL, name, value);
    });
    forContents.set(name, unsubscribe);
  }

  const subscribeListener = onSubscribe as (event: IpcEventLike, ...args: unknown[]) => void;
  ipcMain.handle(CALL_CHANNEL, (event, method, args) => onCall(event, method, args));
  ipcMain.on(SUBSCRIBE_CHANNEL, subscribeListener);
  return () => {
    ipcMain.removeHandler(CALL_CHANNEL);
    ipcMain.removeListener(SUBSCRIBE_CHANNEL, subscribeListener);
    for (const contentsId of [...subscriptions.keys()]) dropAll(contentsId);
  };
}
