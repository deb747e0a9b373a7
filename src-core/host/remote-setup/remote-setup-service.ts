/**
 * Set up my server: the service side of the `*RemoteSetup` methods (api/remote-setup.ts). One run
 * at a time; each is a list of steps (step-runner.ts) over one SSH login (login.ts,
 * ssh-session.ts): install-steps.ts for a setup, remove-steps.ts for "Remove from server". Host
 * keys and the servers set up are kept in `known-servers.json` (known-servers.ts).
 */
import { randomBytes } from 'node:crypto';
import type { EngineSnapshot, EngineStatus, ExposureStatus, ProfileSummary, RemoteServer, RemoteServerTarget, RemoteSetup, RemoteSetupRequest, RemoteSetupStepId } from '../api/index.js';
import { ServiceError } from '../api/index.js';
import type { BridgeProfileHost } from './bridge-profile-here.js';
import { activateBridge, checkSystem, installService, openFirewall, startPortal, upload, writeConfig, type InstallContext } from './install-steps.js';
import { KnownServers } from './known-servers.js';
import { Login } from './login.js';
import { planPortal } from './portal-config.js';
import { closeFirewall, removeFiles, stopService, type RemoveContext } from './remove-steps.js';
import { INSTALL_STEPS, REMOVE_STEPS, StepRunner } from './step-runner.js';

/** What the runner needs from the engine service on this machine (and, for removal, its profiles: BridgeProfileHost). */
export interface RemoteSetupHost extends BridgeProfileHost {
  /** Porthole's folder (pinned host keys, servers set up); undefined: kept in memory only (tests). */
  folder: string | undefined;
  saveProfile(name: string, text: string): Promise<ProfileSummary>;
  activateProfile(name: string): Promise<EngineStatus>;
  listExposures(): Promise<ExposureStatus[]>;
  /** The bridge's link state, to tell when the new profile's link is up. */
  getSnapshot(): Promise<EngineSnapshot>;
  note(level: 'info' | 'warning' | 'error', line: string): void;
}

interface ActiveRun {
  runner: StepRunner;
  login: Login;
}

const refuse = (message: string) => Promise.reject(new ServiceError('PH_REMOTE_SETUP', message));

export class RemoteSetupService {
  private readonly listeners = new Set<(run: RemoteSetup) => void>();
  private readonly known: KnownServers;
  private latest: ActiveRun | undefined;
  private closed = false;

  constructor(private readonly host: RemoteSetupHost) {
    this.known = new KnownServers(host.folder);
  }

  private emit(run: RemoteSetup): void {
    if (this.closed) return;
    for (const listener of this.listeners) listener(structuredClone(run));
  }

  private busy(): string | undefined {
    const run = this.latest?.runner.run;
    return run && this.latest?.runner.active ? `another run (${run.id}, ${run.kind} on ${run.target.host}) is ${run.state}: cancel it first` : undefined;
  }

  private begin(kind: RemoteSetup['kind'], target: RemoteServerTarget & { port: number }, steps: (login: Login, run: RemoteSetup) => ConstructorParameters<typeof StepRunner>[1]): RemoteSetup {
    const id = `rs-${randomBytes(6).toString('hex')}`;
    const run = StepRunner.newRun(id, kind, { host: target.host, port: target.port, user: target.user }, kind === 'install' ? INSTALL_STEPS : REMOVE_STEPS);
    const login = new Login(target, this.known, run);
    const runner = new StepRunner(run, steps(login, run), () => this.emit(run), (ended) => this.ended(ended, login));
    this.latest = { runner, login };
    void runner.resume('connect');
    return structuredClone(run);
  }

  private ended(run: RemoteSetup, login: Login): void {
    const failed = run.steps.find((step) => step.state === 'failed');
    if (run.state === 'failed' && failed) this.host.note('warning', `set up my server (${run.target.host}): ${failed.title} failed: ${failed.reason}`);
    if (run.state === 'done') this.host.note('info', `set up my server (${run.target.host}): ${run.kind === 'install' ? `done, ${run.result?.linkAddress}` : 'removed'}`);
    // A failed run keeps its login for a quick retry; any other end lets it go.
    if (run.state !== 'failed') login.close();
  }

  start(request: RemoteSetupRequest): Promise<RemoteSetup> {
    if (this.closed) return refuse('the service is closing');
    const busy = this.busy();
    if (busy) return refuse(busy);
    let plan: ReturnType<typeof planPortal>;
    try {
      plan = planPortal(request);
    } catch (error) {
      return refuse((error as Error).message);
    }
    const target = { host: plan.host, port: request.port ?? 22, user: request.user, auth: { ...request.auth } };
    this.latest?.login.close();
    return Promise.resolve(this.begin('install', target, (login, run) => {
      const ctx: InstallContext = { run, plan, login, known: this.known, host: this.host };
      return {
        connect: () => login.connectStep(),
        'host-key': (step) => login.hostKeyStep(step),
        'check-system': () => checkSystem(ctx),
        upload: (_step, report) => upload(ctx, report),
        'write-config': () => writeConfig(ctx),
        'install-service': () => installService(ctx),
        firewall: () => openFirewall(ctx),
        start: (_step, report) => startPortal(ctx, report),
        'activate-bridge': () => activateBridge(ctx),
      };
    }));
  }

  async acceptHostKey(runId: string, fingerprint: string): Promise<RemoteSetup> {
    const active = this.find(runId);
    if (active.runner.run.state !== 'waiting') throw new ServiceError('PH_REMOTE_SETUP', `run ${runId} is ${active.runner.run.state}, not waiting for a host key`);
    try {
      await active.login.accept(fingerprint);
    } catch (error) {
      throw new ServiceError('PH_REMOTE_SETUP', (error as Error).message);
    }
    void active.runner.resume('connect');
    return structuredClone(active.runner.run);
  }

  retry(runId: string, options: { passphrase?: string }): Promise<RemoteSetup> {
    let active: ActiveRun;
    try {
      active = this.find(runId);
    } catch (error) {
      return Promise.reject(error);
    }
    const { run } = active.runner;
    if (run.state !== 'failed') return refuse(`run ${runId} is ${run.state}: only a failed run can be retried`);
    if (options.passphrase !== undefined) active.login.setPassphrase(options.passphrase);
    const failed = run.steps.find((step) => step.state === 'failed');
    // The login and host-key steps are one handshake: either one failing starts it again.
    const from: RemoteSetupStepId = !failed || failed.id === 'host-key' ? 'connect' : failed.id;
    void active.runner.resume(from);
    return Promise.resolve(structuredClone(run));
  }

  async cancel(runId: string): Promise<RemoteSetup> {
    const active = this.find(runId);
    if (active.runner.active || active.runner.run.state === 'failed') active.runner.cancel();
    if (active.runner.run.state === 'cancelled') active.login.close();
    return structuredClone(active.runner.run);
  }

  async remove(target: RemoteServerTarget): Promise<RemoteSetup> {
    if (this.closed) throw new ServiceError('PH_REMOTE_SETUP', 'the service is closing');
    const busy = this.busy();
    if (busy) throw new ServiceError('PH_REMOTE_SETUP', busy);
    const full = { ...target, host: target.host.replace(/^\[(.*)\]$/, '$1'), port: target.port ?? 22, auth: { ...target.auth } };
    const record = await this.known.server(full.host, full.port, full.user);
    this.latest?.login.close();
    return this.begin('remove', full, (login) => {
      const ctx: RemoveContext = { login, known: this.known, host: this.host, ...(record ? { record } : {}) };
      return {
        connect: () => login.connectStep(),
        'host-key': (step) => login.hostKeyStep(step),
        'stop-service': () => stopService(ctx),
        firewall: () => closeFirewall(ctx),
        'remove-files': () => removeFiles(ctx),
      };
    });
  }

  async current(): Promise<RemoteSetup | null> {
    return this.latest ? structuredClone(this.latest.runner.run) : null;
  }

  async servers(): Promise<RemoteServer[]> {
    // What is recorded for removal (firewall rules, the profile's digest) stays on this side of the contract.
    return (await this.known.servers()).map(({ firewall: _firewall, profileDigest: _digest, ...server }) => server);
  }

  /** Resolves when the current run's steps stop (done, failed, waiting, cancelled); for tests. */
  async settled(): Promise<void> {
    await this.latest?.runner.settled();
  }

  onDidChange(listener: (run: RemoteSetup) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  close(): void {
    this.closed = true;
    this.latest?.runner.cancel();
    this.latest?.login.close();
    this.listeners.clear();
  }

  private find(runId: string): ActiveRun {
    if (!this.latest || this.latest.runner.run.id !== runId) throw new ServiceError('PH_REMOTE_SETUP', `no run ${runId} (only the latest run can be acted on)`);
    return this.latest;
  }
}
