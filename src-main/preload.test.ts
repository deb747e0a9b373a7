import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ENGINE_EVENT_PROPERTIES, ENGINE_METHODS } from '../src-core/host/api/index.js';
import { CALL_CHANNEL, EVENT_CHANNEL, SUBSCRIBE_CHANNEL } from './ipc-server.js';

interface Bridge {
  call(method: unknown, args: unknown): Promise<unknown>;
  subscribe(event: unknown, listener: unknown): () => void;
}

/**
 * Compiles src-main/preload.cts as the build does and runs it the way Electron runs a sandboxed
 * preload: wrapped in a function that gets only `require` (which knows nothing but `electron`)
 * and an `exports` object. Returns what it exposed, what it exported and the fake ipcRenderer.
 */
function loadPreload(answer: (method: unknown, args: unknown) => unknown = () => ({ ok: true, value: 'fine' })) {
  const source = readFileSync(new URL('./preload.cts', import.meta.url), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }, fileName: 'preload.cts' });
  const exposed = new Map<string, unknown>();
  const sent: unknown[][] = [];
  const invoked: unknown[][] = [];
  let onEvent: ((event: unknown, ...args: unknown[]) => void) | undefined;
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => { invoked.push([channel, ...args]); return answer(args[0], args[1]); },
    send: (channel: string, ...args: unknown[]) => { sent.push([channel, ...args]); },
    on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => { if (channel === EVENT_CHANNEL) onEvent = listener; },
  };
  const electron = { contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) }, ipcRenderer };
  const require = (name: string): unknown => {
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require "${name}"`);
  };
  const exports: Record<string, unknown> = {};
  const wrapped = runInNewContext(`(function (require, exports) {\n${outputText}\n})`, { console }) as (r: typeof require, e: object) => void;
  wrapped(require, exports);
  const emit = (...args: unknown[]): void => onEvent?.({}, ...args);
  return { exposed, exports, sent, invoked, emit, bridge: exposed.get('porthole') as Bridge };
}

describe('preload', () => {
  it('exposes exactly window.porthole = {call, subscribe}', () => {
    const { exposed, bridge } = loadPreload();
    expect([...exposed.keys()]).toEqual(['porthole']);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'subscribe']);
  });

  it('knows the contract\'s method and event names, no more and no fewer', () => {
    const { exports } = loadPreload();
    expect([...(exports.PRELOAD_METHODS as string[])].sort()).toEqual(Object.keys(ENGINE_METHODS).sort());
    expect([...(exports.PRELOAD_EVENTS as string[])].sort()).toEqual(Object.keys(ENGINE_EVENT_PROPERTIES).sort());
    expect(exports.PRELOAD_CHANNELS).toEqual({ call: CALL_CHANNEL, subscribe: SUBSCRIBE_CHANNEL, event: EVENT_CHANNEL });
  });

  it('forwards a contract call and resolves with the value main returns', async () => {
    const { bridge, invoked } = loadPreload();
    await expect(bridge.call('closeConnection', [7])).resolves.toBe('fine');
    expect(invoked).toEqual([[CALL_CHANNEL, 'closeConnection', [7]]]);
  });

  it('rejects with main\'s envelope (a plain object, so code and where survive contextBridge)', async () => {
    const envelope = { code: 'PH_PROFILE_NOT_FOUND', message: 'there is no profile "x"' };
    const { bridge } = loadPreload(() => ({ ok: false, error: envelope }));
    await expect(bridge.call('getProfile', ['x'])).rejects.toEqual(envelope);
  });

  it.each([
    ['an unknown method', 'openExternal', [], 'PH_API_UNKNOWN_METHOD'],
    ['an inherited name', 'toString', [], 'PH_API_UNKNOWN_METHOD'],
    ['an event name', 'onDidLog', [], 'PH_API_UNKNOWN_METHOD'],
    ['a non-string', { toString: (): string => 'listProfiles' }, [], 'PH_API_UNKNOWN_METHOD'],
    ['arguments that are not a list', 'listProfiles', 'x', 'PH_API_BAD_ARGUMENTS'],
  ])('refuses %s without sending anything', async (_name, method, args, code) => {
    const { bridge, invoked } = loadPreload();
    await expect(bridge.call(method, args)).rejects.toMatchObject({ code });
    expect(invoked).toEqual([]);
  });

  it('subscribes once per event, delivers to every listener, and unsubscribes only its own', () => {
    const { bridge, sent, emit } = loadPreload();
    const seen: string[] = [];
    const stopA = bridge.subscribe('snapshot', (value: unknown) => seen.push(`a:${String(value)}`));
    const stopB = bridge.subscribe('snapshot', (value: unknown) => seen.push(`b:${String(value)}`));
    emit('snapshot', 1);
    emit('logs', 2);
    stopA();
    stopA();
    emit('snapshot', 3);
    stopB();
    emit('snapshot', 4);
    expect(seen).toEqual(['a:1', 'b:1', 'b:3']);
    expect(sent).toEqual([[SUBSCRIBE_CHANNEL, 'snapshot', true], [SUBSCRIBE_CHANNEL, 'snapshot', false]]);
  });

  it('keeps delivering when one listener throws', () => {
    const { bridge, emit } = loadPreload();
    const seen: unknown[] = [];
    const quiet = console.error;
    console.error = () => {};
    try {
      bridge.subscribe('logs', () => { throw new Error('page bug'); });
      bridge.subscribe('logs', (value: unknown) => seen.push(value));
      emit('logs', ['line']);
    } finally {
      console.error = quiet;
    }
    expect(seen).toEqual([['line']]);
  });

  it.each([
    ['an unknown event', 'secrets', () => {}],
    ['a method name', 'listProfiles', () => {}],
    ['no listener', 'logs', 'not a function'],
  ])('refuses to subscribe to %s', (_name, event, listener) => {
    const { bridge, sent } = loadPreload();
    expect(() => bridge.subscribe(event, listener)).toThrow(/porthole:/);
    expect(sent).toEqual([]);
  });
});
