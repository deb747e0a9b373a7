/**
 * Set up my server against a real OpenSSH server on loopback (test/support/sshd.ts): from an
 * empty server account to a public address served by the uploaded one-file portal, the host key
 * asked for, refused when it changes, failures (a busy port, no permission) reported and retried,
 * "Remove from server" (which also deactivates the setup's bridge profile here, deleting it when
 * unchanged), and a key file given as `~/…`. systemd is simulated by stand-ins on the session's PATH; the upload,
 * the config and the portal process are real.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteSetup } from '../api/index.js';
import { freePortRun, waitUntil } from '../../../test/support/ports.js';
import { ended, stepOf, untilRun } from '../../../test/support/remote-setup-run.js';
import { startTestSshServer, type TestSshServer } from '../../../test/support/sshd.js';
import { startHttp } from '../../../test/support/upstream.js';
import { createCertificateFolder } from '../../engine/transport/internet/testdata/certs.js';
import { createLocalEngineService, type LocalEngineService } from '../service/local-engine-service.js';
import { fingerprintOfPublicKeyLine } from './host-key.js';
import { buildTestPortal } from '../../../test/support/portal-build.js';
import { quietServiceOptions } from '../../../test/support/engine-service.js';

const cleanups: Array<() => Promise<void> | void> = [];
let folder = '';
let previousPortalDir: string | undefined;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-remote-setup-'));
  chmodSync(folder, 0o755);
  // The real one-file portal, built once for the file (a few seconds).
  const out = join(folder, 'portal');
  buildTestPortal(out);
  previousPortalDir = process.env.PORTHOLE_PORTAL_DIR;
  process.env.PORTHOLE_PORTAL_DIR = out;
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (previousPortalDir === undefined) delete process.env.PORTHOLE_PORTAL_DIR;
  else process.env.PORTHOLE_PORTAL_DIR = previousPortalDir;
  rmSync(folder, { recursive: true, force: true });
}, 60_000);

async function sshServer(options: Parameters<typeof startTestSshServer>[0] = {}): Promise<TestSshServer> {
  const server = await startTestSshServer(options);
  cleanups.push(() => server.stop());
  return server;
}

async function engineService(): Promise<LocalEngineService> {
  const home = mkdtempSync(join(folder, 'here-'));
  const service = await createLocalEngineService(quietServiceOptions(home));
  cleanups.push(() => service.close());
  return service;
}

/** Ports for a setup: the link port, then a 4-port exposure range right after it. */
async function setupPorts(): Promise<{ linkPort: number; exposureRange: string; first: number }> {
  const base = await freePortRun(5);
  return { linkPort: base, exposureRange: `${base + 1}-${base + 4}`, first: base + 1 };
}

/** Per-step durations from the change events (first 'running' → its end), for the report. */
function timeSteps(engine: LocalEngineService): () => string {
  const started = new Map<string, number>();
  const took = new Map<string, string>();
  const t0 = Date.now();
  const stop = engine.onDidChangeRemoteSetup((run) => {
    for (const step of run.steps) {
      if (step.state === 'running' && !started.has(step.id)) started.set(step.id, Date.now());
      if ((step.state === 'done' || step.state === 'skipped' || step.state === 'failed') && started.has(step.id) && !took.has(step.id)) took.set(step.id, `${step.id} ${step.state} ${Date.now() - (started.get(step.id) ?? 0)} ms`);
      if (step.state === 'waiting') started.delete(step.id);
    }
  });
  return () => {
    stop();
    return `${[...took.values()].join('; ')}; total ${Date.now() - t0} ms`;
  };
}

describe('Set up my server over SSH (real sshd on loopback)', () => {
  let server: TestSshServer;
  let engine: LocalEngineService;

  it('empty server account → host key accepted → uploaded portal runs → an exposure\'s public URL answers', async () => {
    server = await sshServer();
    engine = await engineService();
    const site = await startHttp('bytes from the local service');
    cleanups.push(() => site.close());
    const exposure = await engine.addExposure({ localPort: site.port, name: 'site' });
    const ports = await setupPorts();
    const report = timeSteps(engine);
    const events: RemoteSetup[] = [];
    engine.onDidChangeRemoteSetup((run) => events.push(run));

    const started = await engine.startRemoteSetup({ ...server.target, linkPort: ports.linkPort, exposureRange: ports.exposureRange });
    expect(started).toMatchObject({ kind: 'install', state: 'running', target: { host: '127.0.0.1', port: server.port, user: server.user } });
    await expect(engine.startRemoteSetup({ ...server.target })).rejects.toMatchObject({ code: 'PH_REMOTE_SETUP' });

    const waiting = await untilRun(engine, (run) => run.state !== 'running', 'waiting for the host key');
    expect(waiting.state).toBe('waiting');
    expect(stepOf(waiting, 'host-key')).toMatchObject({ state: 'waiting', reason: expect.stringContaining(fingerprintOfPublicKeyLine(server.hostPublicKey).fingerprint) });
    expect(waiting.hostKey).toEqual({ ...fingerprintOfPublicKeyLine(server.hostPublicKey), known: false });
    expect(waiting.hostKey?.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    // Nothing was sent before the key was accepted.
    expect(stepOf(waiting, 'upload')?.state).toBe('pending');
    expect(server.runAsUser('ls -A "$HOME"').stdout.trim()).toBe('');
    await expect(engine.acceptRemoteHostKey(waiting.id, 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).rejects.toMatchObject({ code: 'PH_REMOTE_SETUP' });

    await engine.acceptRemoteHostKey(waiting.id, waiting.hostKey?.fingerprint ?? '');
    const done = await untilRun(engine, ended, 'the setup to end', 90_000);
    const timing = report();
    expect(done.steps.filter((step) => step.state === 'failed')).toEqual([]);
    expect(done.state).toBe('done');
    console.log(`[remote-setup] tcp setup: ${timing}\n  upload: ${stepOf(done, 'upload')?.detail}`);
    expect(done.steps.map((step) => [step.id, step.state])).toEqual([
      ['connect', 'done'], ['host-key', 'done'], ['check-system', 'done'], ['upload', 'done'], ['write-config', 'done'],
      ['install-service', 'done'], ['firewall', 'skipped'], ['start', 'done'], ['activate-bridge', 'done'],
    ]);
    expect(stepOf(done, 'firewall')?.manual?.[0]).toContain(`TCP ${ports.linkPort}`);
    expect(done.result).toMatchObject({ profile: 'server 127.0.0.1', linkAddress: `127.0.0.1:${ports.linkPort}`, transport: 'tcp' });
    // Events are copies: what a listener got is not changed by later steps.
    expect(events.some((event) => event.state === 'waiting')).toBe(true);

    // The real uploaded binary runs on the "server", as the server user, with its config 0600.
    const units = server.runningUnits();
    const pid = units['user-porthole-portal.service'];
    expect(pid).toBeGreaterThan(0);
    expect(server.runAsUser(`readlink /proc/${pid}/exe`).stdout.trim()).toBe(`${server.home}/.porthole/porthole-portal`);
    expect(server.runAsUser('stat -c %a "$HOME/.porthole/portal.json"').stdout.trim()).toBe('600');

    const url = done.result?.exposures.find((item) => item.id === exposure.id)?.url ?? '';
    const port = Number(/^http:\/\/127\.0\.0\.1:(\d+)$/.exec(url)?.[1]);
    expect(port).toBeGreaterThanOrEqual(ports.first);
    expect(port).toBeLessThanOrEqual(ports.first + 3);
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(await response.text()).toBe('bytes from the local service');
    expect(await engine.listRemoteServers()).toEqual([expect.objectContaining({ host: '127.0.0.1', port: server.port, user: server.user, linkPort: ports.linkPort, unit: { name: 'porthole-portal.service', scope: 'user' } })]);
  }, 180_000);

  it('"Remove from server" stops the portal and removes its files; the host key stays pinned; the unchanged profile here is deactivated and deleted', async () => {
    expect(engine, 'the setup test ran first').toBeDefined();
    expect((await engine.getStatus()).profile).toBe('server 127.0.0.1');
    await engine.removeRemoteSetup(server.target);
    const removed = await untilRun(engine, ended, 'the removal to end');
    expect(removed.steps.map((step) => [step.id, step.state])).toEqual([
      ['connect', 'done'], ['host-key', 'done'], ['stop-service', 'done'], ['firewall', 'skipped'], ['remove-files', 'done'],
    ]);
    expect(removed.state).toBe('done');
    expect(removed.hostKey?.known).toBe(true);
    expect(server.runningUnits()).toEqual({});
    expect(server.runAsUser('ls -A "$HOME/.porthole" "$HOME/.config/systemd/user" 2>&1; true').stdout).not.toMatch(/porthole-portal|portal\.json/);
    expect(server.runAsUser('test -e "$HOME/.porthole"').status).not.toBe(0);
    expect(await engine.listRemoteServers()).toEqual([]);
    // Here: the setup's profile dialled a portal that is gone. It is no longer active (the engine
    // runs the built-in local portal for the exposure), and, unchanged since the setup, deleted.
    expect(stepOf(removed, 'remove-files')?.detail).toMatch(/; the bridge profile "server 127\.0\.0\.1" was active: deactivated \(exposures use the built-in local portal now\); its file was as the setup wrote it: deleted$/);
    expect(await engine.getStatus()).toMatchObject({ state: 'running', profile: null });
    expect((await engine.listProfiles()).map((profile) => profile.name)).not.toContain('server 127.0.0.1');
    await waitUntil(async () => (await engine.listExposures()).every((exposure) => exposure.state === 'live' && exposure.portalKind === 'local'), 15_000, 'the exposure on the local portal');
  }, 60_000);

  it('a key with a passphrase: missing or wrong fails the login with its reason, the retry with it logs in; the ssh-agent logs in too', async () => {
    const locked = await sshServer();
    const here = await engineService();
    const key = join(folder, 'locked_ed25519');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-C', 'locked', '-f', key]);
    locked.authorize(readFileSync(`${key}.pub`, 'utf8'));
    const run = await here.startRemoteSetup({ ...locked.target, auth: { kind: 'key', keyFile: key }, ...(await setupPorts()) });
    const missing = await untilRun(here, ended, 'no passphrase');
    expect(stepOf(missing, 'connect')).toMatchObject({ state: 'failed', reason: `${key} is protected by a passphrase: retry with it (it is kept in memory for this run only)` });
    await here.retryRemoteSetup(run.id, { passphrase: 'wrong' });
    const wrong = await untilRun(here, ended, 'a wrong passphrase');
    expect(stepOf(wrong, 'connect')).toMatchObject({ state: 'failed', reason: `the passphrase for ${key} is wrong: retry with the right one` });
    await here.retryRemoteSetup(run.id, { passphrase: 'open sesame' });
    const asked = await untilRun(here, ended, 'the host key asked for');
    expect(asked.state).toBe('waiting');
    expect(stepOf(asked, 'connect')?.state).toBe('done');
    await here.acceptRemoteHostKey(run.id, asked.hostKey?.fingerprint ?? '');
    await here.cancelRemoteSetup(run.id);
    const cancelled = await untilRun(here, ended, 'cancelled');
    expect(cancelled.state).toBe('cancelled');
    expect(stepOf(cancelled, 'connect')?.detail).toBe(`logged in as ${locked.user}@127.0.0.1:${locked.port} with the key ${key}`);

    const socket = join(folder, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    cleanups.push(() => { agent.kill(); });
    await waitUntil(async () => existsSync(socket), 5000, 'ssh-agent socket');
    expect(spawnSync('ssh-add', ['-q', locked.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } }).status).toBe(0);
    const previous = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = socket;
    try {
      const viaAgent = await here.startRemoteSetup({ ...locked.target, auth: { kind: 'agent' }, ...(await setupPorts()) });
      await untilRun(here, (state) => stepOf(state, 'host-key')?.state === 'done' || ended(state), 'logged in with the agent');
      await here.cancelRemoteSetup(viaAgent.id);
      const agentRun = await untilRun(here, ended, 'cancelled');
      expect(agentRun.hostKey?.known).toBe(true);
      expect(stepOf(agentRun, 'connect')).toMatchObject({ state: 'done', detail: `logged in as ${locked.user}@127.0.0.1:${locked.port} with the ssh-agent` });
    } finally {
      if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = previous;
    }
  }, 60_000);

  it('a changed host key is refused, naming both fingerprints', async () => {
    const other = await sshServer();
    const here = await engineService();
    const first = await here.startRemoteSetup({ ...other.target, ...(await setupPorts()) });
    const waiting = await untilRun(here, (run) => run.state !== 'running', 'waiting for the host key');
    const pinned = waiting.hostKey?.fingerprint ?? '';
    await here.acceptRemoteHostKey(first.id, pinned);
    await here.cancelRemoteSetup(first.id);
    await untilRun(here, ended, 'cancelled');

    await other.changeHostKey();
    const changed = fingerprintOfPublicKeyLine(other.hostPublicKey).fingerprint;
    await here.startRemoteSetup({ ...other.target, ...(await setupPorts()) });
    const refused = await untilRun(here, ended, 'refused');
    expect(refused.state).toBe('failed');
    expect(refused.hostKey).toMatchObject({ known: false, pinnedFingerprint: pinned });
    expect(changed).not.toBe(pinned);
    expect(refused.hostKey?.fingerprint).toBe(changed);
    const step = stepOf(refused, 'host-key');
    expect(step?.state).toBe('failed');
    expect(step?.reason).toContain(`it shows ssh-ed25519 ${changed}, but ssh-ed25519 ${pinned} was accepted before. Refused`);
    await expect(here.acceptRemoteHostKey(refused.id, refused.hostKey?.fingerprint ?? '')).rejects.toMatchObject({ code: 'PH_REMOTE_SETUP' });
    expect(stepOf(refused, 'check-system')?.state).toBe('pending');
  }, 60_000);

  it('over TLS with a certificate on the server: a busy link port fails the check with its reason; freed, the retry finishes', async () => {
    // This server has ufw, which the unprivileged account may not change.
    const tlsServer = await sshServer({ ufw: true });
    const here = await engineService();
    const site = await startHttp('over TLS');
    cleanups.push(() => site.close());
    const exposure = await here.addExposure({ localPort: site.port });
    const certs = createCertificateFolder();
    cleanups.push(() => certs.remove());
    const cert = certs.make('server', 'porthole.test');
    // The "server" is this machine: the files must be readable by the server account.
    const files = mkdtempSync(join(folder, 'tls-'));
    chmodSync(files, 0o755);
    spawnSync('cp', [cert.certFile, join(files, 'cert.pem')]);
    spawnSync('cp', [cert.keyFile, join(files, 'key.pem')]);
    spawnSync('chmod', ['644', join(files, 'cert.pem'), join(files, 'key.pem')]);
    const ports = await setupPorts();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.linkPort, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { squatter.close(() => resolve()); }));

    const run = await here.startRemoteSetup({
      ...tlsServer.target, ...ports, domain: 'porthole.test', transport: 'tls',
      certificateFile: join(files, 'cert.pem'), keyFile: join(files, 'key.pem'),
    });
    const waiting = await untilRun(here, (state) => state.state !== 'running', 'host key');
    await here.acceptRemoteHostKey(run.id, waiting.hostKey?.fingerprint ?? '');
    const failed = await untilRun(here, ended, 'the check to fail');
    expect(failed.state).toBe('failed');
    expect(stepOf(failed, 'check-system')).toMatchObject({ state: 'failed', reason: expect.stringContaining(`port ${ports.linkPort} (the link port) is in use on the server`) });
    expect(stepOf(failed, 'upload')?.state).toBe('pending');

    await new Promise<void>((resolve) => { squatter.close(() => resolve()); });
    const report = timeSteps(here);
    // This run streams the portal gzip'd, as to any server not on loopback.
    process.env.PORTHOLE_SSH_GZIP = '1';
    await here.retryRemoteSetup(run.id);
    const done = await untilRun(here, ended, 'the retry to end', 90_000).finally(() => { delete process.env.PORTHOLE_SSH_GZIP; });
    console.log(`[remote-setup] tls retry: ${report()}\n  upload: ${stepOf(done, 'upload')?.detail}`);
    expect(stepOf(done, 'upload')?.detail).toContain('gzip');
    expect(done.steps.filter((step) => step.state === 'failed')).toEqual([]);
    expect(done.state).toBe('done');
    expect(done.result).toMatchObject({ transport: 'tls', linkAddress: `127.0.0.1:${ports.linkPort}` });
    const [first, last] = ports.exposureRange.split('-');
    expect(stepOf(done, 'firewall')).toMatchObject({ state: 'skipped', manual: [`sudo ufw allow ${ports.linkPort}/tcp`, `sudo ufw allow ${first}:${last}/tcp`] });
    const url = done.result?.exposures.find((item) => item.id === exposure.id)?.url ?? '';
    expect(await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text()).toBe('over TLS');
    const profile = await here.getProfile('server 127.0.0.1');
    expect(profile.text).toContain('"usage": "verify"');
  }, 180_000);

  it('no permission: port 80 needs root (a new run with another port), and an unwritable home fails the upload until fixed, then the retry finishes', async () => {
    const plain = await sshServer();
    const here = await engineService();
    const low = await here.startRemoteSetup({ ...plain.target, linkPort: 80, exposureRange: '20000-20001' });
    const waiting = await untilRun(here, (state) => state.state !== 'running', 'host key');
    await here.acceptRemoteHostKey(low.id, waiting.hostKey?.fingerprint ?? '');
    const refused = await untilRun(here, ended, 'port 80 refused');
    expect(stepOf(refused, 'check-system')).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^ports below 1024 need root .*pick a link port and exposure range ≥ 1024, or log in as root$/) });
    // The fix is a different request: a new run (the pinned key is known now, nothing to accept).
    plain.runAsUser('chmod 555 "$HOME"');
    const ports = await setupPorts();
    const run = await here.startRemoteSetup({ ...plain.target, ...ports });
    const noWrite = await untilRun(here, ended, 'the upload to fail');
    expect(noWrite.hostKey?.known).toBe(true);
    expect(stepOf(noWrite, 'upload')).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^cannot write .*\.porthole on the server: .*Permission denied/) });
    plain.runAsUser('chmod 755 "$HOME"');
    await here.retryRemoteSetup(run.id);
    const done = await untilRun(here, ended, 'the retry to end', 90_000);
    expect(done.steps.filter((step) => step.state === 'failed')).toEqual([]);
    expect(done.state).toBe('done');
    // Set up again with the same ports: the running portal on them is its own, not in the way, and
    // the upload is skipped (the same file is there). The portal restarts with a fresh config.
    const before = plain.runningUnits()['user-porthole-portal.service'];
    await here.startRemoteSetup({ ...plain.target, ...ports });
    const second = await untilRun(here, ended, 'the second setup');
    expect(second.id).not.toBe(run.id);
    expect(second.steps.filter((step) => step.state === 'failed')).toEqual([]);
    expect(stepOf(second, 'upload')).toMatchObject({ state: 'skipped', detail: expect.stringContaining('the same portal is already there') });
    expect(second.state).toBe('done');
    expect(plain.runningUnits()['user-porthole-portal.service']).not.toBe(before);

    // The user edits the setup's profile here, then removes the server: the profile is deactivated
    // (no exposures: the engine stops) and, being theirs now, kept.
    const profile = await here.getProfile('server 127.0.0.1');
    await here.saveProfile('server 127.0.0.1', `// my notes\n${profile.text}`);
    await here.removeRemoteSetup(plain.target);
    const removed = await untilRun(here, ended, 'the removal to end');
    expect(removed.state).toBe('done');
    expect(stepOf(removed, 'remove-files')?.detail).toMatch(/; the bridge profile "server 127\.0\.0\.1" was active: deactivated \(the engine stopped, as no other profile is active\); its file was edited since the setup: kept$/);
    expect(await here.getStatus()).toMatchObject({ state: 'stopped', profile: null });
    expect((await here.getProfile('server 127.0.0.1')).text).toContain('// my notes');
    expect(plain.runningUnits()).toEqual({});
  }, 240_000);

  it('a key file given as ~/… is read from the home folder of the user running Porthole; a missing one is one reason naming it', async () => {
    const tilde = await sshServer();
    const here = await engineService();
    const home = mkdtempSync(join(folder, 'home-'));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    copyFileSync(tilde.keyFile, join(home, '.ssh', 'id_test'));
    chmodSync(join(home, '.ssh', 'id_test'), 0o600);
    const previousHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const missing = await here.startRemoteSetup({ ...tilde.target, auth: { kind: 'key', keyFile: '~/.ssh/id_nothing' }, ...(await setupPorts()) });
      const failed = await untilRun(here, ended, 'the missing key refused');
      expect(stepOf(failed, 'connect')).toMatchObject({ state: 'failed', reason: `the key file ~/.ssh/id_nothing (${home}/.ssh/id_nothing) does not exist` });
      await here.cancelRemoteSetup(missing.id);

      const run = await here.startRemoteSetup({ ...tilde.target, auth: { kind: 'key', keyFile: '~/.ssh/id_test' }, ...(await setupPorts()) });
      const asked = await untilRun(here, ended, 'logged in, the host key asked for');
      expect(stepOf(asked, 'connect')).toMatchObject({ state: 'done' });
      expect(asked.state).toBe('waiting');
      await here.acceptRemoteHostKey(run.id, asked.hostKey?.fingerprint ?? '');
      await untilRun(here, (state) => stepOf(state, 'host-key')?.state === 'done' || ended(state), 'logged in with the key from ~');
      await here.cancelRemoteSetup(run.id);
      const cancelled = await untilRun(here, ended, 'cancelled');
      expect(stepOf(cancelled, 'connect')).toMatchObject({ state: 'done', detail: `logged in as ${tilde.user}@127.0.0.1:${tilde.port} with the key ~/.ssh/id_test` });
    } finally {
      if (previousHome === undefined) delete process.env.HOME;
      else process.env.HOME = previousHome;
    }
  }, 60_000);
});
