/**
 * Issue "Survival II", defect 5: a config that `porthole test` passes must not crash `porthole
 * run`, and file and socket errors at run time are one line, never a stack trace. Each case runs
 * the real CLI as a process: what `test` refuses, `run` refuses the same way (exit 1, before
 * "started"); a port that cannot be taken names its inbound; a log file that fails, goes away, or
 * a closed stdout is one line while the engine keeps serving.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xor5a } from '../../../test/support/data.js';
import { freePort, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../test/support/upstream.js';

const binary = new URL('../../../bin/porthole.js', import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;
/** "nobody": a user who may not bind ports below 1024 nor write root's folders. */
const NOBODY = { uid: 65534, gid: 65534 };

const DIR = mkdtempSync(join(tmpdir(), 'porthole-run-errors-'));
// Readable by "nobody" too.
chmodSync(DIR, 0o755);
let upstream: RunningServer;
const children: ChildProcess[] = [];
beforeAll(async () => {
  upstream = await startXorEcho();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await upstream.close();
  rmSync(DIR, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

function porthole(args: string[], options: SpawnOptions = {}): Running {
  const child = spawn(process.execPath, [binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  child.stdout?.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** Runs `porthole <args>` to its end (bounded): exit code and stderr lines. */
async function finished(args: string[], options: SpawnOptions = {}): Promise<{ code: number | null; lines: string[] }> {
  const running = porthole(args, options);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 15_000);
  const code = await running.exited;
  clearTimeout(timer);
  return { code, lines: running.stderr().split('\n').filter(Boolean) };
}

let counter = 0;
/** Writes `config` as a file "nobody" can read; the text puts each top-level key on its own line. */
function configFile(config: Record<string, unknown>): string {
  const file = join(DIR, `config-${counter++}.json`);
  writeFileSync(file, `{\n${Object.entries(config).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`).join(',\n')}\n}\n`);
  chmodSync(file, 0o644);
  return file;
}

/** A dokodemo-door inbound tagged "public" on 127.0.0.1:port that carries TCP to the XOR echo. */
function publicInbound(port: number): object {
  return { tag: 'public', listen: '127.0.0.1', port, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: upstream.port, network: 'tcp' } };
}

async function echoWorks(port: number): Promise<boolean> {
  const echoed = await echoThrough(port, Buffer.from('still there?'), { closeAfterEcho: true, timeoutMs: 3000 }).catch(() => undefined);
  return echoed?.equals(xor5a(Buffer.from('still there?'))) ?? false;
}

async function stopped(running: Running): Promise<number | null> {
  running.child.kill('SIGTERM');
  return running.exited;
}

describe('what `porthole test` refuses, `porthole run` refuses the same way', () => {
  it('a log file in a folder that does not exist: one line from both, exit 1, nothing started', async () => {
    const missing = join(DIR, 'no-such-folder');
    const file = configFile({ log: { error: join(missing, 'error.log') }, inbounds: [publicInbound(0)], outbounds: [{ protocol: 'freedom' }] });
    const line = `porthole: ${file}:2:19: log.error: cannot open the error log "${join(missing, 'error.log')}": folder "${missing}" does not exist`;
    expect(await finished(['test', '-c', file])).toEqual({ code: 1, lines: [line] });
    expect(await finished(['run', '-c', file])).toEqual({ code: 1, lines: [line] });
  });

  it('a log file this user may not create: one line, exit 1', async () => {
    // Root may write anywhere, so the check runs as "nobody" in a folder of root's.
    const locked = join(DIR, 'locked');
    mkdirSync(locked, { mode: 0o755 });
    if (!isRoot) chmodSync(locked, 0o555);
    const file = configFile({ log: { access: join(locked, 'access.log') }, outbounds: [{ protocol: 'freedom' }] });
    const as = isRoot ? NOBODY : {};
    const line = `porthole: ${file}:2:20: log.access: cannot open the access log "${join(locked, 'access.log')}": permission denied: this user may not create files in "${locked}"`;
    expect(await finished(['test', '-c', file], as)).toEqual({ code: 1, lines: [line] });
    expect(await finished(['run', '-c', file], as)).toEqual({ code: 1, lines: [line] });
  });
});

describe('a port that cannot be taken at start: one line naming the inbound, exit 1', () => {
  it('in use by another program', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const file = configFile({ inbounds: [publicInbound(port)], outbounds: [{ protocol: 'freedom' }] });
      expect(await finished(['run', '-c', file])).toEqual({
        code: 1,
        lines: [`porthole: failed to start: ${file}:2:16: inbounds[0]: inbound "public" cannot listen on 127.0.0.1:${port}: the port is already in use (another program, or another inbound of this config)`],
      });
    } finally {
      holder.close();
    }
  });

  const unprivilegedStart = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  it.skipIf(unprivilegedStart <= 80)('a port below 1024, run by a user who may not bind it', async () => {
    const file = configFile({ inbounds: [publicInbound(80)], outbounds: [{ protocol: 'freedom' }] });
    expect(await finished(['run', '-c', file], isRoot ? NOBODY : {})).toEqual({
      code: 1,
      lines: [`porthole: failed to start: ${file}:2:16: inbounds[0]: inbound "public" cannot listen on 127.0.0.1:80: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`],
    });
  });
});

describe('file errors while running: one line, and the engine keeps serving', () => {
  it('log files whose writes fail (a full disk: /dev/full)', async () => {
    const port = await freePort();
    const file = configFile({ log: { loglevel: 'debug', error: '/dev/full', access: '/dev/full' }, inbounds: [publicInbound(port)], outbounds: [{ protocol: 'freedom' }] });
    const running = porthole(['run', '-c', file]);
    await waitForPort(port);
    expect(await echoWorks(port)).toBe(true);
    await waitUntil(() => running.stderr().includes('the error log') && running.stderr().includes('the access log'), 5000, 'the log failures to be reported');
    expect(await echoWorks(port)).toBe(true);
    expect(await stopped(running)).toBe(0);
    const lines = running.stderr().split('\n').filter((line) => line.includes('/dev/full'));
    expect(lines.sort()).toEqual([
      'porthole: the access log "/dev/full" failed: ENOSPC: no space left on device, write; its lines are dropped until a reload (SIGHUP) reopens it',
      'porthole: the error log "/dev/full" failed: ENOSPC: no space left on device, write; its lines are dropped until a reload (SIGHUP) reopens it',
    ]);
  });

  it('the log folder deleted, then SIGHUP: not reloaded, one line, still serving', async () => {
    const port = await freePort();
    const logs = join(DIR, 'logs');
    mkdirSync(logs);
    const file = configFile({ log: { loglevel: 'info', access: join(logs, 'access.log'), error: join(logs, 'error.log') }, inbounds: [publicInbound(port)], outbounds: [{ protocol: 'freedom' }] });
    const running = porthole(['run', '-c', file]);
    await waitForPort(port);
    rmSync(logs, { recursive: true });
    running.child.kill('SIGHUP');
    const line = `porthole: SIGHUP: config not reloaded: ${file}:2:38: log.access: cannot open the access log "${join(logs, 'access.log')}": folder "${logs}" does not exist`;
    await waitUntil(() => running.stderr().includes('SIGHUP'), 5000, 'the reload to be answered');
    expect(await echoWorks(port)).toBe(true);
    expect(await stopped(running)).toBe(0);
    expect(running.stderr().split('\n').filter((row) => row.includes('SIGHUP'))).toEqual([line]);
  });

  it('standard output closed (`porthole run | head`): one line, console logging stops', async () => {
    const port = await freePort();
    const file = configFile({ log: { loglevel: 'debug' }, inbounds: [publicInbound(port)], outbounds: [{ protocol: 'freedom' }] });
    const running = porthole(['run', '-c', file]);
    await waitForPort(port);
    running.child.stdout?.destroy();
    expect(await echoWorks(port)).toBe(true);
    await waitUntil(() => running.stderr().includes('standard output'), 5000, 'the closed stdout to be reported');
    expect(await echoWorks(port)).toBe(true);
    expect(await stopped(running)).toBe(0);
    expect(running.stderr().split('\n').filter((line) => line.includes('standard output') || line.includes('uncaught'))).toEqual([
      'porthole: standard output failed: write EPIPE; console log lines are dropped from now on',
    ]);
  });
});

describe('signals while the engine starts: answered, never their default action', () => {
  it('SIGTERM as soon as the port answers: a graceful stop, exit 0', async () => {
    const port = await freePort();
    const file = configFile({ inbounds: [publicInbound(port)], outbounds: [{ protocol: 'freedom' }] });
    const running = porthole(['run', '-c', file]);
    await waitForPort(port);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.stderr().split('\n')).toContain('porthole: SIGTERM: stopping');
  });
});
