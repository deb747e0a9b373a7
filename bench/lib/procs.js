/**
 * Child processes of the bench: the proxies (Porthole via bin/porthole.js, or the real v2ray), the
 * upstream and the client. Every child is registered so that it is killed when the harness ends,
 * also on an error or Ctrl-C.
 */
import { fork, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const V2RAY_BINARY = process.env.V2RAY_BINARY ?? '/usr/bin/v2ray';
/** The Porthole CLI to run; PORTHOLE_CLI points at another checkout's (or a snapshot's) bin/porthole.js. */
export const PORTHOLE_CLI = process.env.PORTHOLE_CLI ? resolve(process.env.PORTHOLE_CLI) : fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));
/** The compiled engine that CLI loads. */
/** Extra node flags for Porthole processes, e.g. PORTHOLE_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" to profile them. */
const PORTHOLE_NODE_ARGS = (process.env.PORTHOLE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
export const PORTHOLE_ENGINE = join(dirname(PORTHOLE_CLI), '..', 'dist', 'src-core');

const children = new Set();

function register(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves with how it ended. */
export function stopChild(child, graceMs = 5000) {
  return new Promise((resolve) => {
    if (!alive(child)) {
      resolve({ code: child.exitCode, signal: child.signalCode, forced: false });
      return;
    }
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, forced });
    });
    child.kill('SIGTERM');
  });
}

/** Last resort (process exit): SIGKILL whatever is still running. Synchronous. */
export function killAllChildren() {
  for (const child of children) if (alive(child)) child.kill('SIGKILL');
}

/**
 * Starts one side of the pair as a separate process, its stdout and stderr going to `logPath`.
 * kind: 'porthole' | 'porthole-app' (the addons the tray app loads: the self-contained AEAD only) | 'v2ray'.
 */
export function startPeer(kind, configPath, logPath) {
  const [command, args] = kind === 'v2ray'
    ? [V2RAY_BINARY, ['-config', configPath]]
    : [process.execPath, [...PORTHOLE_NODE_ARGS, PORTHOLE_CLI, 'run', '-c', configPath]];
  // 'porthole-app': the engine as the tray app runs it: only the self-contained AEAD (Electron's Node has
  // BoringSSL, so the host-linked build is never loaded there) and no heap trimming.
  const env = kind === 'porthole-app' ? { ...process.env, PORTHOLE_NATIVE_AEAD: 'self-contained', PORTHOLE_NATIVE_HEAP: '0' } : process.env;
  const child = register(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));
  const log = createWriteStream(logPath);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let exited;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  return {
    kind,
    child,
    pid: child.pid,
    logPath,
    exited: () => exited,
    async stop() {
      const result = await stopChild(child);
      await exit;
      await new Promise((resolve) => log.end(resolve));
      return result;
    },
  };
}

/** Warning and error lines of a peer's log (both engines print V2Ray's `[Warning]` / `[Error]`). */
export function logProblems(logPath) {
  let text;
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return { count: 0, samples: [] };
  }
  const lines = text.split('\n')
    .filter((line) => /\[(Warning|Error)\]/.test(line))
    // v2ray announces its own start at warning level.
    .filter((line) => !/\[Warning\] v2ray\.com\/core: V2Ray [\d.]+ started/.test(line));
  // Group lines that differ only in numbers (time, ids, ports), so that samples show distinct problems.
  const kinds = new Map();
  for (const line of lines) {
    const message = line.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(\.\d+)? /, '');
    const key = message.replace(/\d+/g, 'N');
    const kind = kinds.get(key) ?? { count: 0, example: message };
    kind.count += 1;
    kinds.set(key, kind);
  }
  const samples = [...kinds.values()].sort((a, b) => b.count - a.count).slice(0, 5).map(({ count, example }) => `${count}× ${example}`);
  return { count: lines.length, samples };
}

/**
 * Forks a bench helper script (client.js, upstream.js, relay.js) with `args` and gives it a request/answer interface:
 * call(op, args) sends { id, op, args } and resolves with the answer's result.
 */
export async function forkHelper(script, { readyTimeoutMs = 10_000, args = [] } = {}) {
  const child = register(fork(fileURLToPath(script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const pending = new Map();
  let nextId = 1;
  let failure;
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script.pathname} did not start`)), readyTimeoutMs);
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
        return;
      }
      const waiter = pending.get(message?.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error));
    });
    child.once('exit', (code, signal) => {
      failure = new Error(`${script.pathname} exited (${signal ?? code})`);
      clearTimeout(timer);
      reject(failure);
      for (const waiter of pending.values()) waiter.reject(failure);
      pending.clear();
    });
  });
  const hello = await ready;
  return {
    child,
    pid: child.pid,
    hello,
    call(op, args) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, op, args });
      });
    },
    stop: () => stopChild(child),
  };
}
