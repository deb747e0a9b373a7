/**
 * `EngineService` over the engine in this process: a profile store, engine control (one
 * `Instance` for the active profile at a time), a 1 s sampler that turns counters into rates and
 * rings, and the batched log feed. The dashboard, Electron's main process and tests all use this.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type {
  ConnectionRow, EngineEvent, EngineService, EngineSnapshot, EngineStatus, ExportedProfile, LogLine, LogQuery, Profile,
  ProfileSummary, Settings, TrafficHistory, TrafficWindow, ValidationResult, ErrorEnvelope, BridgeState, PortalState,
  Exposure, ExposureInput, ExposurePatch, ExposureStatus, PortalKind, ServerSetup, TagTraffic,
} from '../api/index.js';
import { ServiceError, exposureTag, toErrorEnvelope } from '../api/index.js';
import { formatErrorLine } from '../../engine/common/errors.js';
import type { ExposureSpec } from '../../engine/app/reverse/exposure-agent.js';
import { exportV2RayConfig, loadConfig, warningsOf, type ConfigSource, type PortholeConfig } from '../../engine/config/index.js';
import type { ConnectionSnapshot } from '../../engine/features/stats.js';
import { Instance, type InstanceOptions } from '../../engine/instance.js';
import { ExposureProbe } from './exposure-probe.js';
import { localPortalOnly, withLocalPortal } from './local-portal.js';
import { LogFeed } from './log-feed.js';
import { serverSetup } from './server-setup.js';
import { checkProfileName, ProfileStore } from './profile-store.js';
import { SettingsStore, type ServiceState } from './settings-store.js';
import { TrafficSampler } from './traffic-sampler.js';

export interface LocalEngineServiceOptions {
  /** Where stored profiles live, one `<name>.json` each (created on first save). */
  profilesFolder: string;
  /** Settings and the active profile's name; omitted: kept in memory only. */
  settingsFile?: string;
  /** `porthole run -c FILE…`: a read-only profile made of those files, active from the start. */
  commandLineProfile?: { sources: ConfigSource[] };
  /** Passed to each `Instance` (tests keep the engine quiet); default: what the profile's `log` says. */
  logSinks?: InstanceOptions['logSinks'];
  /** Sampling period; default 1000 ms. */
  sampleIntervalMs?: number;
  /** Batching period for log lines; default 250 ms. */
  logFlushMs?: number;
}

interface CommandLineProfile {
  name: string;
  sources: ConfigSource[];
  text: string;
  updatedAt: number;
}

function commandLineName(sources: ConfigSource[]): string {
  const name = sources.map((source) => basename(source.name)).join(' + ').replace(/[^\p{L}\p{N} ._()+-]/gu, '-').replace(/^[^\p{L}\p{N}]+/u, '');
  return (name || 'command line').slice(0, 80);
}

function rolesOf(config: PortholeConfig): string[] {
  return [
    ...config.reverse.bridges.map((bridge) => `bridge "${bridge.tag}"`),
    ...config.reverse.portals.map((portal) => `portal "${portal.tag}"`),
  ];
}

/** `tcp:host:port` → host (IPv6 hosts keep their brackets). */
function hostOf(target: string): string {
  const first = target.indexOf(':');
  const last = target.lastIndexOf(':');
  return first >= 0 && last > first ? target.slice(first + 1, last) : target;
}

function stoppedStatus(profile: string | null): EngineStatus {
  return { state: 'stopped', profile, since: Date.now(), error: null, listening: [] };
}

export class LocalEngineService implements EngineService {
  private readonly profiles: ProfileStore;
  private readonly settingsStore: SettingsStore;
  private readonly logs: LogFeed;
  private readonly sampler = new TrafficSampler();
  private readonly snapshotListeners = new Set<(snapshot: EngineSnapshot) => void>();
  private readonly commandLine: CommandLineProfile | undefined;
  private state: ServiceState = { settings: { theme: 'system' }, activeProfile: null, exposures: [], exposuresPaused: false };
  private readonly probe = new ExposureProbe((target, reachable) => {
    const exposure = this.state.exposures.find((candidate) => candidate.id === target.id);
    const name = exposure ? `"${exposure.name}"` : target.id;
    if (reachable) this.logs.note('info', `exposure ${name}: ${target.localHost}:${target.localPort} answers again`);
    else this.logs.note('warning', `exposure ${name}: nothing is listening on ${target.localHost}:${target.localPort}; the exposure stays on and works once something does`);
  });
  private savingState: Promise<void> = Promise.resolve();
  private status: EngineStatus = stoppedStatus(null);
  private instance: Instance | undefined;
  private stopLogging: (() => void) | undefined;
  private lastSnapshot: EngineSnapshot | undefined;
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The active profile the settings file named, kept there while the command line's is active. */
  private storedActiveProfile: string | null = null;

  constructor(private readonly options: LocalEngineServiceOptions) {
    this.profiles = new ProfileStore(options.profilesFolder);
    this.settingsStore = new SettingsStore(options.settingsFile);
    this.logs = new LogFeed(options.logFlushMs);
    if (options.commandLineProfile) {
      const { sources } = options.commandLineProfile;
      const text = sources.length === 1
        ? sources[0]?.text ?? ''
        : `// Merged from ${sources.map((source) => source.name).join(', ')} (read-only: edit those files).\n${JSON.stringify(exportV2RayConfig(loadConfig(sources)), null, 2)}\n`;
      this.commandLine = { name: commandLineName(sources), sources, text, updatedAt: Date.now() };
    }
  }

  /** Loads settings and starts sampling. Call once before use. */
  async open(): Promise<void> {
    this.state = await this.settingsStore.load();
    if (this.settingsStore.dropped > 0) this.logs.note('warning', `settings: ${this.settingsStore.dropped} damaged exposure entr${this.settingsStore.dropped === 1 ? 'y was' : 'ies were'} skipped`);
    this.storedActiveProfile = this.state.activeProfile;
    if (this.commandLine) this.state.activeProfile = this.commandLine.name;
    this.status = stoppedStatus(this.state.activeProfile);
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.sampleIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops the engine and sampling; listeners hear nothing more. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.serial(() => this.stopNow());
    this.logs.close();
    this.snapshotListeners.clear();
  }

  /** The running engine (for embedders and tests), if any. */
  get engine(): Instance | undefined {
    return this.instance;
  }

  // ---- profiles

  async listProfiles(): Promise<ProfileSummary[]> {
    const stored = await this.profiles.list();
    const summaries = stored
      .filter((profile) => profile.name !== this.commandLine?.name)
      .map((profile) => this.summarize(profile.name, 'store', profile.text, profile.updatedAt));
    if (this.commandLine) summaries.push(this.summarizeCommandLine(this.commandLine));
    return summaries.sort((a, b) => a.name.localeCompare(b.name));
  }

  async getProfile(name: string): Promise<Profile> {
    if (this.commandLine?.name === name) return { ...this.summarizeCommandLine(this.commandLine), text: this.commandLine.text };
    const stored = await this.profiles.read(name);
    if (!stored) throw new ServiceError('PH_PROFILE_NOT_FOUND', `there is no profile "${name}"`);
    return { ...this.summarize(name, 'store', stored.text, stored.updatedAt), text: stored.text };
  }

  async saveProfile(name: string, text: string): Promise<ProfileSummary> {
    checkProfileName(name);
    if (this.commandLine?.name === name) throw new ServiceError('PH_PROFILE_READ_ONLY', `"${name}" comes from the command line: save it under another name`);
    const stored = await this.profiles.write(name, text);
    this.logs.note('info', `profile "${name}" saved`);
    return this.summarize(name, 'store', stored.text, stored.updatedAt);
  }

  async deleteProfile(name: string): Promise<void> {
    if (this.commandLine?.name === name) throw new ServiceError('PH_PROFILE_READ_ONLY', `"${name}" comes from the command line and cannot be removed`);
    if (this.state.activeProfile === name && this.instance) throw new ServiceError('PH_PROFILE_READ_ONLY', `"${name}" is running: stop the engine first`);
    if (!(await this.profiles.remove(name))) throw new ServiceError('PH_PROFILE_NOT_FOUND', `there is no profile "${name}"`);
    if (this.state.activeProfile === name) {
      this.state.activeProfile = null;
      this.status = { ...this.status, profile: null };
      await this.saveState();
    }
  }

  async validateProfile(text: string): Promise<ValidationResult> {
    try {
      const config = loadConfig([{ name: 'profile.json', text }]);
      return { ok: true, warnings: warningsOf(config).map(toErrorEnvelope), roles: rolesOf(config) };
    } catch (error) {
      return { ok: false, error: this.configErrorEnvelope(error) };
    }
  }

  async exportProfile(name: string): Promise<ExportedProfile> {
    const config = await this.loadProfileConfig(name);
    const fileName = `${name.replace(/\.json$/i, '').replace(/\s+/g, '-')}.v2ray.json`;
    return { fileName, text: `${JSON.stringify(exportV2RayConfig(config), null, 2)}\n` };
  }

  activateProfile(name: string): Promise<EngineStatus> {
    return this.serial(async () => {
      await this.loadProfileConfig(name);
      this.state.activeProfile = name;
      await this.saveState();
      await this.stopNow();
      return this.startNow();
    });
  }

  // ---- engine

  async getStatus(): Promise<EngineStatus> {
    return this.statusCopy();
  }

  startEngine(): Promise<EngineStatus> {
    return this.serial(() => this.startNow());
  }

  stopEngine(): Promise<EngineStatus> {
    return this.serial(async () => {
      await this.stopNow();
      return this.statusCopy();
    });
  }

  async getSnapshot(): Promise<EngineSnapshot> {
    return this.lastSnapshot ?? this.tick();
  }

  async getTrafficHistory(window: TrafficWindow): Promise<TrafficHistory> {
    return this.sampler.history(window);
  }

  // ---- connections

  async listConnections(): Promise<ConnectionRow[]> {
    return (this.lastSnapshot ?? this.tick()).connections;
  }

  async closeConnection(id: number): Promise<boolean> {
    return this.instance?.stats.abort(id) ?? false;
  }

  async closeAllConnections(): Promise<number> {
    const instance = this.instance;
    if (!instance) return 0;
    const isTunnel = this.tunnelTest(instance.config);
    let closed = 0;
    for (const connection of instance.stats.snapshot()) {
      if (connection.closedAt === undefined && !isTunnel(connection) && instance.stats.abort(connection.id)) closed += 1;
    }
    if (closed > 0) this.logs.note('info', `closed ${closed} connection${closed === 1 ? '' : 's'} on request`);
    return closed;
  }

  // ---- exposures

  async listExposures(): Promise<ExposureStatus[]> {
    return this.exposureStatuses(this.instance, (this.lastSnapshot ?? this.tick()).tags);
  }

  addExposure(input: ExposureInput): Promise<ExposureStatus> {
    return this.serial(async () => {
      const localHost = input.localHost ?? '127.0.0.1';
      const publicPort = input.publicPort ?? null;
      let exposure = this.state.exposures.find((candidate) => candidate.localHost === localHost && candidate.localPort === input.localPort);
      if (exposure) {
        // The one click again: the existing exposure is switched on (and takes the new choices).
        exposure.enabled = true;
        if (input.publicPort !== undefined) exposure.publicPort = publicPort;
        if (input.name !== undefined) exposure.name = input.name.trim();
      } else {
        exposure = {
          id: this.newExposureId(),
          name: input.name?.trim() || defaultExposureName(localHost, input.localPort),
          localHost,
          localPort: input.localPort,
          publicPort,
          enabled: true,
          createdAt: Date.now(),
        };
        this.state.exposures.push(exposure);
        this.logs.note('info', `exposure "${exposure.name}" added for ${localHost}:${input.localPort}`);
      }
      await this.saveState();
      await this.applyExposures(true, new Set([exposure.id]));
      return this.exposureStatus(exposure.id);
    });
  }

  updateExposure(id: string, patch: ExposurePatch): Promise<ExposureStatus> {
    return this.serial(async () => {
      const exposure = this.findExposure(id);
      if (patch.name !== undefined) exposure.name = patch.name.trim();
      if (patch.publicPort !== undefined) exposure.publicPort = patch.publicPort;
      const switchedOn = patch.enabled === true && !exposure.enabled;
      if (patch.enabled !== undefined) exposure.enabled = patch.enabled;
      await this.saveState();
      await this.applyExposures(switchedOn, new Set([id]));
      return this.exposureStatus(id);
    });
  }

  removeExposure(id: string): Promise<void> {
    return this.serial(async () => {
      const exposure = this.findExposure(id);
      this.state.exposures = this.state.exposures.filter((candidate) => candidate !== exposure);
      await this.saveState();
      await this.applyExposures(false);
      this.logs.note('info', `exposure "${exposure.name}" removed`);
    });
  }

  setExposuresPaused(paused: boolean): Promise<void> {
    return this.serial(async () => {
      if (this.state.exposuresPaused === paused) return;
      this.state.exposuresPaused = paused;
      await this.saveState();
      await this.applyExposures(!paused);
      this.logs.note('info', paused ? 'all exposures paused' : 'exposures resumed');
    });
  }

  async getServerSetup(profile: string): Promise<ServerSetup> {
    return serverSetup(profile, await this.loadProfileConfig(profile), this.state.exposures);
  }

  // ---- logs and settings

  async recentLogs(query: LogQuery = {}): Promise<LogLine[]> {
    return this.logs.recent(query.level, query.limit);
  }

  async getSettings(): Promise<Settings> {
    return { ...this.state.settings };
  }

  async setSettings(patch: Partial<Settings>): Promise<Settings> {
    // Only the theme is the service's; the desktop app answers for its own fields (src-main).
    if (patch.theme !== undefined) this.state.settings = { ...this.state.settings, theme: patch.theme };
    await this.saveState();
    return { ...this.state.settings };
  }

  // ---- events

  readonly onDidChangeSnapshot: EngineEvent<EngineSnapshot> = (listener) => {
    this.snapshotListeners.add(listener);
    return () => { this.snapshotListeners.delete(listener); };
  };

  readonly onDidLog: EngineEvent<LogLine[]> = (listener) => {
    const unsubscribe = this.logs.onDidLog(listener);
    return () => { unsubscribe(); };
  };

  // ---- internals

  /** Writes settings; the command line's profile is never remembered as the active one. */
  private async saveState(): Promise<void> {
    const active = this.state.activeProfile;
    if (active !== null && active !== this.commandLine?.name) this.storedActiveProfile = active;
    if (active === null) this.storedActiveProfile = null;
    const snapshot: ServiceState = { ...this.state, exposures: this.state.exposures.map((exposure) => ({ ...exposure })), activeProfile: this.storedActiveProfile };
    // One write at a time: two quick changes must not race on the temporary file.
    const write = this.savingState.then(() => this.settingsStore.save(snapshot));
    this.savingState = write.catch(() => undefined);
    await write;
  }

  /** Runs engine transitions one at a time, so two quick clicks cannot start two engines. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async startNow(): Promise<EngineStatus> {
    if (this.instance) return this.statusCopy();
    const name = this.state.activeProfile;
    if (!name && this.state.exposures.length === 0) throw new ServiceError('PH_ENGINE_NO_PROFILE', 'no profile is active: import or paste one in Profiles, then activate it (or expose a port to use the built-in local portal)');
    const config = this.effectiveConfig(name ? await this.loadProfileConfig(name) : undefined);
    this.setStatus({ state: 'starting', profile: name, error: null, listening: [] });
    let instance: Instance | undefined;
    let stopLogging: (() => void) | undefined;
    try {
      instance = new Instance(config, this.options.logSinks ? { logSinks: this.options.logSinks } : {});
      stopLogging = instance.logger.onDidLog((entry) => this.logs.add(entry));
      await instance.start();
      await instance.setExposures(this.exposureSpecs());
    } catch (error) {
      stopLogging?.();
      const envelope: ErrorEnvelope = { code: 'PH_ENGINE_START_FAILED', message: `the engine could not start: ${formatErrorLine(error)}` };
      this.setStatus({ state: 'failed', profile: name, error: envelope, listening: [] });
      this.logs.note('error', envelope.message);
      throw new ServiceError(envelope.code, envelope.message);
    }
    this.instance = instance;
    this.stopLogging = stopLogging;
    this.sampler.resetEngine();
    const listening = instance.inbounds.flatMap((inbound) => {
      const address = inbound.address();
      return address ? [{ tag: inbound.tag, address: `${address.host}:${address.port}` }] : [];
    });
    this.setStatus({ state: 'running', profile: name, error: null, listening });
    const roles = rolesOf(config);
    this.logs.note('info', `engine started ${name ? `with profile "${name}"` : 'with the built-in local portal'}${roles.length ? ` (${roles.join(', ')})` : ''}`);
    return this.statusCopy();
  }

  private async stopNow(): Promise<void> {
    const instance = this.instance;
    if (!instance) return;
    this.setStatus({ ...this.status, state: 'stopping' });
    try {
      await instance.close();
    } finally {
      this.stopLogging?.();
      this.stopLogging = undefined;
      this.instance = undefined;
      this.setStatus({ state: 'stopped', profile: this.state.activeProfile, error: null, listening: [] });
      this.logs.note('info', 'engine stopped');
    }
  }

  private setStatus(status: Omit<EngineStatus, 'since'>): void {
    this.status = { ...status, since: Date.now() };
  }

  private statusCopy(): EngineStatus {
    return { ...this.status, listening: [...this.status.listening] };
  }

  private async loadProfileConfig(name: string): Promise<PortholeConfig> {
    if (this.commandLine?.name === name) return loadConfig(this.commandLine.sources);
    const stored = await this.profiles.read(name);
    if (!stored) throw new ServiceError('PH_PROFILE_NOT_FOUND', `there is no profile "${name}"`);
    return loadConfig([{ name: `${name}.json`, text: stored.text }]);
  }

  private summarize(name: string, origin: ProfileSummary['origin'], text: string, updatedAt: number): ProfileSummary {
    let error: ErrorEnvelope | null = null;
    let roles: string[] = [];
    try {
      roles = rolesOf(loadConfig([{ name: `${name}.json`, text }]));
    } catch (failure) {
      error = this.configErrorEnvelope(failure);
    }
    return { name, origin, active: this.state.activeProfile === name, updatedAt, error, roles };
  }

  private summarizeCommandLine(profile: CommandLineProfile): ProfileSummary {
    let error: ErrorEnvelope | null = null;
    let roles: string[] = [];
    try {
      roles = rolesOf(loadConfig(profile.sources));
    } catch (failure) {
      error = this.configErrorEnvelope(failure);
    }
    return { name: profile.name, origin: 'command-line', active: this.state.activeProfile === profile.name, updatedAt: profile.updatedAt, error, roles };
  }

  /** A config error as the editor needs it: code, message and place; anything else says what failed. */
  private configErrorEnvelope(error: unknown): ErrorEnvelope {
    const envelope = toErrorEnvelope(error);
    return envelope.code === 'PH_INTERNAL' ? { code: 'PH_CONFIG_VALUE', message: formatErrorLine(error) } : envelope;
  }

  private tunnelTest(config: PortholeConfig): (connection: ConnectionSnapshot) => boolean {
    const domains = new Set([...config.reverse.bridges.map((bridge) => bridge.domain), ...config.reverse.portals.map((portal) => portal.domain)]);
    return (connection) => domains.size > 0 && domains.has(hostOf(connection.target));
  }

  private tick(): EngineSnapshot {
    const now = Date.now();
    this.probe.tick(this.state.exposures.filter((exposure) => exposure.enabled && !this.state.exposuresPaused), now);
    const instance = this.instance;
    const connections = instance ? instance.stats.snapshot(now) : [];
    const isTunnel = instance ? this.tunnelTest(instance.config) : () => false;
    const sample = this.sampler.sample(now, connections, isTunnel);
    const snapshot: EngineSnapshot = {
      seq: ++this.seq,
      time: now,
      status: this.statusCopy(),
      totals: sample.totals,
      point: sample.point,
      tags: sample.tags,
      bridges: instance ? this.bridgeStates(instance, sample.rows) : [],
      portals: instance ? this.portalStates(instance) : [],
      connections: sample.rows,
      exposures: this.exposureStatuses(instance, sample.tags),
      exposuresPaused: this.state.exposuresPaused,
    };
    this.lastSnapshot = snapshot;
    for (const listener of this.snapshotListeners) {
      try {
        listener(snapshot);
      } catch {
        // A listener's failure is its own (a closed socket); the others still get the snapshot.
      }
    }
    return snapshot;
  }

  /** The profile's config, plus the built-in local portal when no bridge of its own can carry exposures. */
  private effectiveConfig(profile: PortholeConfig | undefined): PortholeConfig {
    if (!profile) return localPortalOnly();
    if (profile.reverse.bridges.length > 0 || this.state.exposures.length === 0) return profile;
    return withLocalPortal(profile);
  }

  /** The exposures as the engine runs them: "Pause all" switches every one off without forgetting `enabled`. */
  private exposureSpecs(): ExposureSpec[] {
    const paused = this.state.exposuresPaused;
    return this.state.exposures.map((exposure) => ({ ...exposure, enabled: exposure.enabled && !paused }));
  }

  /**
   * Hands the exposures to the running engine (adding the local portal first if the profile has no
   * bridge), or starts the engine when `start` says the user just switched one on.
   */
  private async applyExposures(start: boolean, probeNow: ReadonlySet<string> = new Set()): Promise<void> {
    this.probe.tick(this.state.exposures.filter((exposure) => exposure.enabled && !this.state.exposuresPaused), Date.now(), probeNow);
    const instance = this.instance;
    if (!instance) {
      if (start) await this.startNow();
      return;
    }
    // Without a profile the engine already runs the local portal; with one, the local portal is added once needed.
    const next = this.state.activeProfile ? this.effectiveConfig(instance.config) : instance.config;
    if (next !== instance.config) await instance.reload(next);
    await instance.setExposures(this.exposureSpecs());
  }

  private findExposure(id: string): Exposure {
    const exposure = this.state.exposures.find((candidate) => candidate.id === id);
    if (!exposure) throw new ServiceError('PH_EXPOSURE_NOT_FOUND', `there is no exposure ${id}`);
    return exposure;
  }

  private newExposureId(): string {
    for (;;) {
      const id = `e-${randomBytes(4).toString('hex')}`;
      if (!this.state.exposures.some((exposure) => exposure.id === id)) return id;
    }
  }

  private exposureStatus(id: string): ExposureStatus {
    const status = this.exposureStatuses(this.instance, (this.lastSnapshot ?? this.tick()).tags).find((candidate) => candidate.id === id);
    if (!status) throw new ServiceError('PH_EXPOSURE_NOT_FOUND', `there is no exposure ${id}`);
    return status;
  }

  private exposureStatuses(instance: Instance | undefined, tags: readonly TagTraffic[]): ExposureStatus[] {
    const portalKind = instance ? this.portalKind(instance) : null;
    return this.state.exposures.map((exposure): ExposureStatus => {
      const traffic = tags.find((tag) => tag.direction === 'outbound' && tag.tag === exposureTag(exposure.id));
      const localReachable = exposure.enabled && !this.state.exposuresPaused ? this.probe.reachable(exposure.id) : null;
      const engine = instance?.exposures.status(exposure.id);
      const off = !exposure.enabled || this.state.exposuresPaused;
      const state = off ? 'disabled' : engine?.state ?? 'offline';
      const linkProblem = engine?.state === 'offline' ? instance?.bridges[0]?.lastProblem ?? null : null;
      const localProblem = localReachable === false
        ? { code: 'PH_DIAL_REFUSED', message: `nothing is listening on ${exposure.localHost}:${exposure.localPort}: the exposure stays on and works once something does` }
        : null;
      return {
        ...exposure,
        state,
        publicAddress: off ? null : engine?.publicAddress ?? null,
        portalKind,
        problem: off ? null : engine?.problem ?? linkProblem ?? localProblem,
        localReachable,
        bytesUp: traffic?.bytesUp ?? 0,
        bytesDown: traffic?.bytesDown ?? 0,
        upRate: traffic?.upRate ?? 0,
        downRate: traffic?.downRate ?? 0,
        openConnections: traffic?.openConnections ?? 0,
      };
    });
  }

  /** Which portal the exposure bridge links to: the built-in one, or what answered on the links. */
  private portalKind(instance: Instance): PortalKind | null {
    const uplink = instance.exposureUplink;
    if (!uplink) return null;
    if (uplink.kind === 'portal') return 'local';
    return instance.exposures.portalKind;
  }

  private bridgeStates(instance: Instance, rows: ConnectionRow[]): BridgeState[] {
    return instance.bridges.map((bridge, index): BridgeState => {
      const config = instance.config.reverse.bridges[index];
      const tag = config?.tag ?? '';
      const open = rows.filter((row) => row.closedAt === null && row.inboundTag === tag);
      const workers = open.filter((row) => row.kind === 'tunnel').length;
      const activeLinks = bridge.activeLinks;
      return {
        tag,
        domain: config?.domain ?? '',
        activeLinks,
        workers,
        openStreams: open.length - workers,
        linkState: activeLinks > 0 ? 'up' : workers > 0 ? 'connecting' : 'down',
      };
    });
  }

  private portalStates(instance: Instance): PortalState[] {
    return instance.portals.map((portal, index): PortalState => {
      const loads = portal.linkLoads();
      return {
        tag: portal.tag,
        domain: instance.config.reverse.portals[index]?.domain ?? '',
        links: portal.linkCount,
        linkLoads: loads,
        openStreams: loads.reduce((sum, load) => sum + load, 0),
        drainedLinks: portal.drainedLinks,
        linkState: portal.linkCount > 0 ? 'up' : 'down',
        publicPorts: portal.publicPorts,
      };
    });
  }
}

/** Creates the service and opens it (settings loaded, sampling on). */
export async function createLocalEngineService(options: LocalEngineServiceOptions): Promise<LocalEngineService> {
  const service = new LocalEngineService(options);
  await service.open();
  return service;
}

/** `localhost:80` for the loopback host, else `host:port`. */
function defaultExposureName(host: string, port: number): string {
  return `${host === '127.0.0.1' || host === '::1' || host === 'localhost' ? 'localhost' : host}:${port}`;
}
