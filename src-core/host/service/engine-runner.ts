/**
 * Engine control for the service: one `Instance` at a time, its status as the contract reports it
 * (stopped → starting → running → stopping, or failed), and a queue that runs transitions one
 * after another, so two quick clicks cannot start two engines.
 */
import type { EngineStatus, ErrorEnvelope } from '../api/index.js';
import { ServiceError } from '../api/index.js';
import { formatErrorLine } from '../../engine/common/errors.js';
import type { ExposureSpec } from '../../engine/app/exposures/exposure-agent.js';
import type { PortholeConfig } from '../../engine/config/index.js';
import { Instance, type InstanceOptions } from '../../engine/instance.js';
import { cryptoNoticeFor } from './engine-crypto-notice.js';
import { listeningOf } from './engine-report.js';
import { rolesOf } from './profile-catalog.js';
import type { LogFeed } from './log-feed.js';

export interface EngineRunnerOptions {
  /** Where the engine's lines and the runner's own (started, stopped, failed) go. */
  logs: LogFeed;
  /** Passed to each `Instance`; default: what the profile's `log` says. */
  logSinks?: InstanceOptions['logSinks'];
  /** A new engine is running (its counters start from zero). */
  onDidStart?: () => void;
  /**
   * The state changed (starting, running, stopping, stopped, failed). The service publishes a
   * snapshot then, so no one reads the old state until the next sampling second.
   */
  onDidChangeStatus?: () => void;
}

function stoppedStatus(profile: string | null): EngineStatus {
  return { state: 'stopped', profile, since: Date.now(), error: null, listening: [] };
}

export class EngineRunner {
  private current: Instance | undefined;
  private stopLogging: (() => void) | undefined;
  private state: EngineStatus = stoppedStatus(null);
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EngineRunnerOptions) {}

  /** The running engine, if any. */
  get instance(): Instance | undefined {
    return this.current;
  }

  /** A copy: callers may keep it. */
  status(): EngineStatus {
    return { ...this.state, listening: [...this.state.listening] };
  }

  /** The profile the status names while no engine runs it (a new active profile, or none). */
  setProfile(profile: string | null): void {
    this.state = { ...this.state, profile };
  }

  /** Runs engine transitions one at a time; a failed one does not stop the next. */
  serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Starts an engine on `config` (already the effective one: profile plus local portal) with the
   * exposures; on failure the status says why and this rejects with `PH_ENGINE_START_FAILED`.
   */
  async start(profile: string | null, config: PortholeConfig, exposures: readonly ExposureSpec[]): Promise<EngineStatus> {
    if (this.current) return this.status();
    const { logs } = this.options;
    this.setStatus({ state: 'starting', profile, error: null, listening: [] });
    let instance: Instance | undefined;
    let stopLogging: (() => void) | undefined;
    try {
      instance = new Instance(config, this.options.logSinks ? { logSinks: this.options.logSinks } : {});
      stopLogging = instance.logger.onDidLog((entry) => logs.add(entry));
      await instance.start();
      await instance.setExposures(exposures);
    } catch (error) {
      stopLogging?.();
      const envelope: ErrorEnvelope = { code: 'PH_ENGINE_START_FAILED', message: `the engine could not start: ${formatErrorLine(error)}` };
      this.setStatus({ state: 'failed', profile, error: envelope, listening: [] });
      logs.note('error', envelope.message);
      throw new ServiceError(envelope.code, envelope.message);
    }
    this.current = instance;
    this.stopLogging = stopLogging;
    this.options.onDidStart?.();
    const cryptoNotice = cryptoNoticeFor(config);
    this.setStatus({ state: 'running', profile, error: null, listening: listeningOf(instance), ...(cryptoNotice ? { cryptoNotice } : {}) });
    const roles = rolesOf(config);
    logs.note('info', `engine started ${profile ? `with profile "${profile}"` : 'with the built-in local portal'}${roles.length ? ` (${roles.join(', ')})` : ''}`);
    return this.status();
  }

  /** Stops the engine, if one runs; the status then names `profileAfter`. */
  async stop(profileAfter: string | null): Promise<void> {
    const instance = this.current;
    if (!instance) return;
    this.setStatus({ ...this.state, state: 'stopping' });
    try {
      await instance.close();
    } finally {
      this.stopLogging?.();
      this.stopLogging = undefined;
      this.current = undefined;
      this.setStatus({ state: 'stopped', profile: profileAfter, error: null, listening: [] });
      this.options.logs.note('info', 'engine stopped');
    }
  }

  private setStatus(status: Omit<EngineStatus, 'since'>): void {
    this.state = { ...status, since: Date.now() };
    this.options.onDidChangeStatus?.();
  }
}
