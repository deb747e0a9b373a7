import { describe, expect, it } from 'vitest';
import { ServiceError } from '../src-core/host/api/index.js';
import type { EngineService, EngineSnapshot, LogLine } from '../src-core/host/api/index.js';
import { CALL_CHANNEL, EVENT_CHANNEL, serveEngineOverIpc, SUBSCRIBE_CHANNEL } from './ipc-server.js';
import type { IpcEventLike, IpcMainLike, SenderFrameLike, WebContentsLike } from './ipc-server.js';
import { snapshot } from './testing/snapshots.js';

const PAGE = 'file:///opt/Porthole/resources/app.asar/dist/renderer/index.html';

/** ipcMain as far as the server uses it: one handler per channel, listeners per channel. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>();
  readonly listeners = new Map<string, Set<(event: IpcEventLike, ...args: unknown[]) => void>>();
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): void {
    this.listeners.set(channel, (this.listeners.get(channel) ?? new Set()).add(listener));
  }
  removeListener(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): void {
    this.listeners.get(channel)?.delete(listener);
  }
  invoke(event: IpcEventLike, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(CALL_CHANNEL);
    if (!handler) throw new Error('no handler');
    return handler(event, ...args);
  }
  send(event: IpcEventLike, ...args: unknown[]): void {
    for (const listener of this.listeners.get(SUBSCRIBE_CHANNEL) ?? []) listener(event, ...args);
  }
}

class FakeContents implements WebContentsLike {
  readonly sent: unknown[][] = [];
  destroyed = false;
  private onDestroyed: (() => void)[] = [];
  constructor(readonly id: number) {}
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  once(_event: 'destroyed', listener: () => void): void {
    this.onDestroyed.push(listener);
  }
  destroy(): void {
    this.destroyed = true;
    for (const listener of this.onDestroyed.splice(0)) listener();
  }
}

const topFrame = (url = PAGE): SenderFrameLike => ({ url, parent: null });
const childFrame = (url = PAGE): SenderFrameLike => ({ url, parent: topFrame() });

/** A service with a few real-looking methods and the two events, counting listeners. */
function fakeService() {
  const snapshotListeners = new Set<(value: EngineSnapshot) => void>();
  const logListeners = new Set<(value: LogLine[]) => void>();
  const calls: unknown[][] = [];
  const service = {
    closeConnection: async (id: number) => { calls.push(['closeConnection', id]); return id === 7; },
    getProfile: async (name: string) => { calls.push(['getProfile', name]); throw new ServiceError('PH_PROFILE_NOT_FOUND', `there is no profile "${name}"`, { file: 'x.json', line: 2 }); },
    listProfiles: async () => { calls.push(['listProfiles']); throw new TypeError('cannot read properties of undefined'); },
    setSettings: async (patch: object) => { calls.push(['setSettings', patch]); return { theme: 'dark' }; },
    onDidChangeSnapshot: (listener: (value: EngineSnapshot) => void) => { snapshotListeners.add(listener); return () => { snapshotListeners.delete(listener); }; },
    onDidLog: (listener: (value: LogLine[]) => void) => { logListeners.add(listener); return () => { logListeners.delete(listener); }; },
  };
  return { service: service as unknown as EngineService, calls, snapshotListeners, logListeners };
}

function setUp() {
  const ipc = new FakeIpcMain();
  const fake = fakeService();
  const ours = new FakeContents(1);
  const other = new FakeContents(2);
  const warnings: string[] = [];
  const didCall: unknown[][] = [];
  const stop = serveEngineOverIpc(ipc, fake.service, {
    allowedOrigin: PAGE,
    isOwnWebContents: (contents) => contents.id === ours.id,
    onDidCall: (method, value) => didCall.push([method, value]),
    warn: (message) => warnings.push(message),
  });
  return { ipc, ...fake, ours, other, warnings, didCall, stop };
}

describe('serveEngineOverIpc: calls', () => {
  it('passes a good call from our window to the service and returns its value', async () => {
    const { ipc, ours, calls, didCall } = setUp();
    expect(await ipc.invoke({ sender: ours, senderFrame: topFrame(`${PAGE}#/connections`) }, 'closeConnection', [7])).toEqual({ ok: true, value: true });
    expect([calls, didCall]).toEqual([[['closeConnection', 7]], [['closeConnection', true]]]);
  });

  it.each([
    ['an unknown method', 'shell.openExternal', ['https://evil.example'], 'PH_API_UNKNOWN_METHOD'],
    ['an inherited name', 'constructor', [], 'PH_API_UNKNOWN_METHOD'],
    ['an event name', 'onDidLog', [], 'PH_API_UNKNOWN_METHOD'],
    ['a wrong argument type', 'closeConnection', ['7'], 'PH_API_BAD_ARGUMENTS'],
    ['an extra argument', 'closeConnection', [7, 8], 'PH_API_BAD_ARGUMENTS'],
    ['arguments that are not a list', 'closeConnection', { 0: 7 }, 'PH_API_BAD_ARGUMENTS'],
    ['a setting the contract does not have', 'setSettings', [{ theme: 'dark', launchAtStartup: true }], 'PH_API_BAD_ARGUMENTS'],
  ])('refuses %s before the service sees it', async (_name, method, args, code) => {
    const { ipc, ours, calls, warnings } = setUp();
    expect(await ipc.invoke({ sender: ours, senderFrame: topFrame() }, method, args)).toMatchObject({ ok: false, error: { code } });
    expect(calls).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining(code)]);
  });

  it.each([
    ['another window', 'other', topFrame()],
    ['a frame inside our page', 'ours', childFrame()],
    ['our window showing another page', 'ours', topFrame('https://evil.example/')],
    ['a frame that is gone', 'ours', null],
  ] as const)('refuses a call from %s', async (_name, who, frame) => {
    const setup = setUp();
    const sender = who === 'ours' ? setup.ours : setup.other;
    expect(await setup.ipc.invoke({ sender, senderFrame: frame }, 'closeConnection', [7])).toMatchObject({ ok: false, error: { code: 'PH_API_UNAUTHORIZED' } });
    expect(setup.calls).toEqual([]);
  });

  it('returns the service error as an envelope with code and place', async () => {
    const { ipc, ours } = setUp();
    expect(await ipc.invoke({ sender: ours, senderFrame: topFrame() }, 'getProfile', ['home'])).toEqual({
      ok: false, error: { code: 'PH_PROFILE_NOT_FOUND', message: 'there is no profile "home"', where: { file: 'x.json', line: 2 } },
    });
  });

  it('hides a bug behind PH_INTERNAL and logs it', async () => {
    const { ipc, ours, warnings } = setUp();
    expect(await ipc.invoke({ sender: ours, senderFrame: topFrame() }, 'listProfiles', [])).toEqual({ ok: false, error: { code: 'PH_INTERNAL', message: 'internal error' } });
    expect(warnings).toEqual([expect.stringContaining('listProfiles failed: TypeError: cannot read properties of undefined')]);
  });
});

describe('serveEngineOverIpc: events', () => {
  it('forwards an event to the window that subscribed, once however often it asks, until it stops', () => {
    const { ipc, ours, snapshotListeners } = setUp();
    const event = { sender: ours, senderFrame: topFrame() };
    ipc.send(event, 'snapshot', true);
    ipc.send(event, 'snapshot', true);
    expect(snapshotListeners.size).toBe(1);
    const value = snapshot();
    for (const listener of snapshotListeners) listener(value);
    expect(ours.sent).toEqual([[EVENT_CHANNEL, 'snapshot', value]]);
    ipc.send(event, 'snapshot', false);
    expect(snapshotListeners.size).toBe(0);
  });

  it.each([
    ['an unknown event', 'ours', topFrame(), 'secrets', true],
    ['a method name', 'ours', topFrame(), 'listProfiles', true],
    ['a non-boolean switch', 'ours', topFrame(), 'logs', 'yes'],
    ['another window', 'other', topFrame(), 'logs', true],
    ['a subframe', 'ours', childFrame(), 'logs', true],
  ] as const)('refuses a subscription from %s', (_name, who, frame, name, on) => {
    const setup = setUp();
    setup.ipc.send({ sender: who === 'ours' ? setup.ours : setup.other, senderFrame: frame }, name, on);
    expect([setup.logListeners.size, setup.snapshotListeners.size]).toEqual([0, 0]);
    expect(setup.warnings).toHaveLength(1);
  });

  it('drops every subscription of a window that is destroyed, and all of them on stop', () => {
    const { ipc, ours, snapshotListeners, logListeners, stop } = setUp();
    const event = { sender: ours, senderFrame: topFrame() };
    ipc.send(event, 'snapshot', true);
    ipc.send(event, 'logs', true);
    ours.destroy();
    expect([snapshotListeners.size, logListeners.size]).toEqual([0, 0]);
    ipc.send(event, 'logs', true);
    stop();
    expect([logListeners.size, ipc.handlers.size, ipc.listeners.get(SUBSCRIBE_CHANNEL)?.size]).toEqual([0, 0, 0]);
  });
});
