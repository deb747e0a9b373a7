/**
 * `EngineService` over the engine in this process. It composes the parts, each with one job:
 * the profiles (profile-catalog.ts), the state kept in the settings file (service-state.ts), the
 * engine's lifecycle (engine-runner.ts), the exposures (exposure-list.ts, exposure-status.ts and
 * the probe of their local addresses), the 1 s snapshots (snapshot-feed.ts) and the batched log
 * feed. The dashboard, Electron's main process and tests all use this.
 */
import type {
  ConnectionRow, EngineEvent, EngineService, EngineSnapshot, EngineStatus, ExportedProfile, ExposureInput, ExposurePatch,
  ExposureStatus, InspectorChange, InspectorEntry, InspectorList, InspectorReplayEdits, InspectorSettings, InspectorSummary, LogLine, LogQuery, Profile, ProfileSummary, ServerCheck, ServerSetup, ServerSetupOptions, Settings, TagTraffic, TrafficHistory, TrafficWindow,
  ValidationResult, PortalInvite, PortalInviteInput, PortalInviteList, RemoteServer, RemoteServerTarget, RemoteSetup, RemoteSetupRequest,
} from '../api/index.js';
import { ServiceError } from '../api/index.js';
import type { ConfigSource } from '../../engine/config/index.js';
import type { Instance, InstanceOptions } from '../../engine/instance.js';
import { tunnelTest } from './engine-report.js';
import { EngineRunner } from './engine-runner.js';
import { addExposure, exposureSpecs, findExposure, patchExposure, probeTargets } from './exposure-list.js';
import { awaitPortalAnswer } from './exposure-answer.js';
import { ExposureProbe } from './exposure-probe.js';
import { exposureStatuses } from './exposure-status.js';
import {
  configForExposures, freeNamesPort, hasLocalPortal, lanAddresses, LOCAL_NAMES_PORTS, localNamesPort, localPortalAddress, localPortalInfo, namesReachLoopback,
  withoutLocalNames, type LocalPortalAddress,
} from './local-portal.js';
import { InspectorFeed } from './inspector-feed.js';
import { PortalInvitesService } from '../invites/portal-invites-service.js';
import type { DeactivateOutcome } from '../remote-setup/bridge-profile-here.js';
import { RemoteSetupService } from '../remote-setup/remote-setup-service.js';
import { dirname } from 'node:path';
import { LogFeed } from './log-feed.js';
import { PortalNames } from './portal-names.js';
import { ProfileCatalog, validateProfileText } from './profile-catalog.js';
import { checkServer } from './server-check.js';
import { serverSetup } from './server-setup.js';
import { ServiceStateFile } from './service-state.js';
import type { ServiceState } from './settings-store.js';
import { SnapshotFeed, type SnapshotSource } from './snapshot-feed.js';

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

export class LocalEngineService implements EngineService {
  private readonly profiles: ProfileCatalog;
  private readonly stateFile: ServiceStateFile;
  private readonly logs: LogFeed;
  private readonly runner: EngineRunner;
  private readonly snapshots = new SnapshotFeed();
  private readonly probe = new ExposureProbe((target, reachable) => {
    const exposure = this.state.exposures.find((candidate) => candidate.id === target.id);
    const name = exposure ? `"${exposure.name}"` : target.id;
    if (reachable) this.logs.note('info', `exposure ${name}: ${target.localHost}:${target.localPort} answers again`);
    else this.logs.note('warning', `exposure ${name}: nothing is listening on ${target.localHost}:${target.localPort}; the exposure stays on and works once something does`);
  });
  /** The request inspector's calls, kept settings and batched changes. */
  private readonly inspector = new InspectorFeed({
    instance: () => this.runner.instance,
    exposures: () => this.state.exposures,
    save: () => this.stateFile.save(),
  });
  /** Set up my server: SSH runs that install the one-file portal. */
  private readonly remoteSetup: RemoteSetupService;
  /** Invites from the window (portal side). */
  private readonly portalInvites: PortalInvitesService;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Where the running engine's built-in portal listens (what its addresses name), set at each start. */
  private localAddressInUse: LocalPortalAddress | undefined;
  /** Whether the exposures' portal gives names (labels are left out for one that does not). */
  private readonly portalNames = new PortalNames();
  /** Why the built-in portal has no `<label>.localhost` names now (their port was taken), else null. */
  private localNamesProblem: string | null = null;

  constructor(private readonly options: LocalEngineServiceOptions) {
    this.profiles = new ProfileCatalog(options.profilesFolder, () => this.state.activeProfile, options.commandLineProfile?.sources);
    this.stateFile = new ServiceStateFile(options.settingsFile, this.profiles.commandLineName);
    this.logs = new LogFeed(options.logFlushMs);
    this.runner = new EngineRunner({
      logs: this.logs,
      ...(options.logSinks ? { logSinks: options.logSinks } : {}),
      onDidStart: () => this.snapshots.sampler.resetEngine(Date.now(), this.state.activeProfile),
      // A state change goes out at once: the last snapshot must not say "stopped" while the
      // engine starts or already runs (a dashboard connecting then reads that one).
      onDidChangeStatus: () => {
        if (this.timer !== undefined && !this.closed) this.restate();
      },
    });
    this.remoteSetup = new RemoteSetupService({
      folder: options.settingsFile ? dirname(options.settingsFile) : undefined,
      saveProfile: (name, text) => this.saveProfile(name, text),
      activateProfile: (name) => this.activateProfile(name),
      getProfile: (name) => this.getProfile(name),
      deactivateProfile: (name) => this.deactivateProfile(name),
      deleteProfile: (name) => this.deleteProfile(name),
      listExposures: () => this.listExposures(),
      getSnapshot: () => this.getSnapshot(),
      note: (level, line) => this.logs.note(level, line),
    });
    this.portalInvites = new PortalInvitesService({
      getProfile: (name) => this.profiles.get(name),
      loadConfig: (name) => this.profiles.loadConfig(name),
      commandLineSources: (name) => this.profiles.commandLineSources(name),
      replaceCommandLineSource: (fileName, text) => this.profiles.replaceCommandLineSource(fileName, text),
      saveProfile: (name, text) => this.saveProfile(name, text),
      runningInstance: (name) => (this.state.activeProfile === name ? this.runner.instance : undefined),
      reload: (name) => this.reloadProfile(name),
      note: (level, line) => this.logs.note(level, line),
    });
  }

  /** Loads settings and starts sampling. Call once before use. */
  async open(): Promise<void> {
    const dropped = await this.stateFile.load();
    if (dropped > 0) this.logs.note('warning', `settings: ${dropped} damaged exposure entr${dropped === 1 ? 'y was' : 'ies were'} skipped`);
    this.runner.setProfile(this.state.activeProfile);
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.sampleIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops the engine and sampling; listeners hear nothing more. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.runner.serial(() => this.runner.stop(this.state.activeProfile));
    this.logs.close();
    this.inspector.close();
    this.remoteSetup.close();
    this.snapshots.close();
  }

  /** The running engine (for embedders and tests), if any. */
  get engine(): Instance | undefined {
    return this.runner.instance;
  }

  // ---- profiles

  listProfiles(): Promise<ProfileSummary[]> {
    return this.profiles.list();
  }

  getProfile(name: string): Promise<Profile> {
    return this.profiles.get(name);
  }

  async saveProfile(name: string, text: string): Promise<ProfileSummary> {
    const summary = await this.profiles.save(name, text);
    this.logs.note('info', `profile "${name}" saved`);
    return summary;
  }

  async deleteProfile(name: string): Promise<void> {
    const active = this.state.activeProfile === name;
    await this.profiles.remove(name, active && this.runner.instance !== undefined);
    if (active) {
      this.state.activeProfile = null;
      this.runner.setProfile(null);
      await this.stateFile.save();
    }
  }

  async validateProfile(text: string): Promise<ValidationResult> {
    return validateProfileText(text);
  }

  async exportProfile(name: string): Promise<ExportedProfile> {
    return this.profiles.export(name);
  }

  activateProfile(name: string): Promise<EngineStatus> {
    return this.runner.serial(async () => {
      await this.profiles.loadConfig(name);
      this.state.activeProfile = name;
      await this.stateFile.save();
      await this.runner.stop(this.state.activeProfile);
      return this.startNow();
    });
  }

  /**
   * "Remove from server": `name`, whose portal is gone, is no longer the active profile. A running
   * engine then runs as with no active profile: on the built-in local portal when there are
   * exposures, else it stops.
   */
  private deactivateProfile(name: string): Promise<DeactivateOutcome> {
    return this.runner.serial(async () => {
      if (this.state.activeProfile !== name) return 'not-active';
      this.state.activeProfile = null;
      await this.stateFile.save();
      if (!this.runner.instance) {
        this.runner.setProfile(null);
        return 'not-running';
      }
      await this.runner.stop(null);
      if (this.state.exposures.length === 0) return 'stopped';
      await this.startNow();
      return 'local-portal';
    });
  }

  // ---- engine

  async getStatus(): Promise<EngineStatus> {
    return this.runner.status();
  }

  startEngine(): Promise<EngineStatus> {
    return this.runner.serial(() => this.startNow());
  }

  stopEngine(): Promise<EngineStatus> {
    return this.runner.serial(async () => {
      await this.runner.stop(this.state.activeProfile);
      return this.runner.status();
    });
  }

  async getSnapshot(): Promise<EngineSnapshot> {
    return this.latestSnapshot();
  }

  async getTrafficHistory(window: TrafficWindow): Promise<TrafficHistory> {
    return this.snapshots.sampler.history(window);
  }

  // ---- connections

  async listConnections(): Promise<ConnectionRow[]> {
    return this.latestSnapshot().connections;
  }

  async closeConnection(id: number): Promise<boolean> {
    return this.runner.instance?.stats.abort(id) ?? false;
  }

  async closeAllConnections(): Promise<number> {
    const instance = this.runner.instance;
    if (!instance) return 0;
    const isTunnel = tunnelTest(instance.config);
    let closed = 0;
    for (const connection of instance.stats.snapshot()) {
      if (connection.closedAt === undefined && !isTunnel(connection) && instance.stats.abort(connection.id)) closed += 1;
    }
    if (closed > 0) this.logs.note('info', `closed ${closed} connection${closed === 1 ? '' : 's'} on request`);
    return closed;
  }

  // ---- exposures

  async listExposures(): Promise<ExposureStatus[]> {
    return this.exposureStatuses(this.runner.instance, this.latestSnapshot().tags);
  }

  addExposure(input: ExposureInput): Promise<ExposureStatus> {
    return this.runner.serial(async () => {
      const { exposure, created } = addExposure(this.state.exposures, input);
      if (created) this.logs.note('info', `exposure "${exposure.name}" added for ${exposure.localHost}:${exposure.localPort}`);
      await this.stateFile.save();
      await this.applyExposures(true, new Set([exposure.id]));
      // The URL at once: the portal's answer (its name, or why not) usually comes within milliseconds.
      await this.portalAnswer(exposure.id);
      return this.exposureStatus(exposure.id);
    });
  }

  updateExposure(id: string, patch: ExposurePatch): Promise<ExposureStatus> {
    return this.runner.serial(async () => {
      const exposure = findExposure(this.state.exposures, id);
      const labelBefore = exposure.label;
      const domainBefore = exposure.customDomain;
      const switchedOn = patchExposure(exposure, patch, this.state.exposures);
      await this.stateFile.save();
      await this.applyExposures(switchedOn, new Set([id]));
      const answer = await this.portalAnswer(id);
      if (exposure.customDomain !== domainBefore && answer?.state === 'refused' && answer.problem?.code === 'PH_EXPOSE_NAME') {
        // A domain the portal will not give (another user holds it): keep the one before, and say why.
        if (domainBefore === undefined) delete exposure.customDomain;
        else exposure.customDomain = domainBefore;
        await this.stateFile.save();
        await this.applyExposures(false);
        await this.portalAnswer(id);
        throw new ServiceError('PH_EXPOSURE_BAD_INPUT', `${answer.problem.message} (${domainBefore ? `the domain stays "${domainBefore}"` : 'no domain of your own was set'})`);
      }
      if (exposure.label !== labelBefore && answer?.state === 'refused' && answer.problem?.code === 'PH_EXPOSE_NAME') {
        // A name the portal will not give (taken, say): keep the old one, which still works, and say why.
        exposure.label = labelBefore;
        await this.stateFile.save();
        await this.applyExposures(false);
        await this.portalAnswer(id);
        throw new ServiceError('PH_EXPOSURE_BAD_INPUT', `${answer.problem.message} (the name stays "${labelBefore}")`);
      }
      return this.exposureStatus(id);
    });
  }

  removeExposure(id: string): Promise<void> {
    return this.runner.serial(async () => {
      const exposure = findExposure(this.state.exposures, id);
      this.state.exposures = this.state.exposures.filter((candidate) => candidate !== exposure);
      await this.stateFile.save();
      await this.applyExposures(false);
      this.logs.note('info', `exposure "${exposure.name}" removed`);
    });
  }

  setExposuresPaused(paused: boolean): Promise<void> {
    return this.runner.serial(async () => {
      if (this.state.exposuresPaused === paused) return;
      this.state.exposuresPaused = paused;
      await this.stateFile.save();
      await this.applyExposures(!paused);
      this.logs.note('info', paused ? 'all exposures paused' : 'exposures resumed');
    });
  }

  async getServerSetup(profile: string, options?: ServerSetupOptions): Promise<ServerSetup> {
    return serverSetup(profile, await this.profiles.loadConfig(profile), this.state.exposures, options);
  }

  async checkServerSetup(profile: string, options?: ServerSetupOptions): Promise<ServerCheck> {
    return checkServer(await this.getServerSetup(profile, options), this.state.exposures, { running: this.runner.instance });
  }

  // ---- set up my server

  startRemoteSetup(request: RemoteSetupRequest): Promise<RemoteSetup> {
    return this.remoteSetup.start(request);
  }

  acceptRemoteHostKey(runId: string, fingerprint: string): Promise<RemoteSetup> {
    return this.remoteSetup.acceptHostKey(runId, fingerprint);
  }

  retryRemoteSetup(runId: string, options: { passphrase?: string } = {}): Promise<RemoteSetup> {
    return this.remoteSetup.retry(runId, options);
  }

  cancelRemoteSetup(runId: string): Promise<RemoteSetup> {
    return this.remoteSetup.cancel(runId);
  }

  removeRemoteSetup(target: RemoteServerTarget): Promise<RemoteSetup> {
    return this.remoteSetup.remove(target);
  }

  getRemoteSetup(): Promise<RemoteSetup | null> {
    return this.remoteSetup.current();
  }

  listRemoteServers(): Promise<RemoteServer[]> {
    return this.remoteSetup.servers();
  }

  // ---- invites (portal side)

  listPortalInvites(profile: string): Promise<PortalInviteList> {
    return this.portalInvites.list(profile);
  }

  createPortalInvite(profile: string, input: PortalInviteInput = {}): Promise<PortalInvite> {
    return this.portalInvites.create(profile, input);
  }

  revokePortalInvite(profile: string, user: string): Promise<void> {
    return this.portalInvites.revoke(profile, user);
  }

  // ---- request inspector

  async listInspectorEntries(exposureId: string): Promise<InspectorList> {
    return this.inspector.list(exposureId);
  }

  getInspectorEntry(id: number, options: { reveal?: boolean } = {}): Promise<InspectorEntry> {
    return this.inspector.get(id, options.reveal === true);
  }

  async clearInspector(exposureId: string): Promise<void> {
    this.inspector.clear(exposureId);
  }

  async setInspectorPaused(exposureId: string, paused: boolean): Promise<void> {
    this.inspector.setPaused(exposureId, paused);
  }

  setInspectorSettings(exposureId: string, patch: Partial<InspectorSettings>): Promise<InspectorSettings> {
    return this.inspector.setSettings(exposureId, patch);
  }

  replayInspectorEntry(id: number, edits?: InspectorReplayEdits): Promise<InspectorSummary> {
    return this.inspector.replay(id, edits);
  }

  exportInspectorHar(exposureId: string, options?: { reveal?: boolean; entryIds?: number[] }): Promise<string> {
    return this.inspector.exportHar(exposureId, options);
  }

  async exportInspectorCurl(id: number, options: { reveal?: boolean } = {}): Promise<string> {
    return this.inspector.exportCurl(id, options.reveal === true);
  }

  // ---- logs and settings

  async recentLogs(query: LogQuery = {}): Promise<LogLine[]> {
    return this.logs.recent(query.level, query.limit);
  }

  async getSettings(): Promise<Settings> {
    return { ...this.state.settings };
  }

  async setSettings(patch: Partial<Settings>): Promise<Settings> {
    // The theme and the local portal's reach are the service's; the desktop app answers for its own fields (src-main).
    if (patch.theme !== undefined) this.state.settings = { ...this.state.settings, theme: patch.theme };
    if (patch.localPortalLan === undefined && patch.localPortalLanAddress === undefined) {
      await this.stateFile.save();
      return { ...this.state.settings };
    }
    return this.runner.serial(async () => {
      const next = { ...this.state.settings };
      if (patch.localPortalLan !== undefined) next.localPortalLan = patch.localPortalLan;
      if (patch.localPortalLanAddress !== undefined) {
        if (patch.localPortalLanAddress === null) delete next.localPortalLanAddress;
        else next.localPortalLanAddress = patch.localPortalLanAddress;
      }
      this.state.settings = next;
      await this.stateFile.save();
      const address = localPortalAddress(next);
      this.logs.note(address.listen === '127.0.0.1' ? 'info' : 'warning', address.listen === '127.0.0.1'
        ? `built-in portal: public ports listen on 127.0.0.1 only (this machine)${address.problem ? `: ${address.problem}` : ''}`
        : `built-in portal: public ports listen on ${address.listen}: anyone on the network can reach the exposed services at ${address.publicHost}`);
      // The running built-in portal moves to the new address: a restart (its open connections close).
      const instance = this.runner.instance;
      const current = this.localAddressInUse;
      if (instance && hasLocalPortal(instance.config) && (current?.listen !== address.listen || current.publicHost !== address.publicHost)) {
        await this.runner.stop(this.state.activeProfile);
        await this.startNow();
      }
      return { ...this.state.settings };
    });
  }

  // ---- events

  readonly onDidChangeSnapshot: EngineEvent<EngineSnapshot> = (listener) => this.snapshots.onDidChange(listener);

  readonly onDidLog: EngineEvent<LogLine[]> = (listener) => {
    const unsubscribe = this.logs.onDidLog(listener);
    return () => { unsubscribe(); };
  };

  readonly onDidChangeInspector: EngineEvent<InspectorChange[]> = (listener) => this.inspector.onDidChange(listener);

  readonly onDidChangeRemoteSetup: EngineEvent<RemoteSetup> = (listener) => this.remoteSetup.onDidChange(listener);

  // ---- composition

  private get state(): ServiceState {
    return this.stateFile.current;
  }

  /** Starts the active profile, or the built-in local portal alone when there is none but exposures. */
  private async startNow(): Promise<EngineStatus> {
    try {
      return await this.startEngineNow();
    } finally {
      this.inspector.sync();
    }
  }

  private async startEngineNow(): Promise<EngineStatus> {
    if (this.runner.instance) return this.runner.status();
    const name = this.state.activeProfile;
    if (!name && this.state.exposures.length === 0) throw new ServiceError('PH_ENGINE_NO_PROFILE', 'no profile is active: import or paste one in Profiles, then activate it (or expose a port to use the built-in local portal)');
    const address = localPortalAddress(this.state.settings);
    const profile = name ? await this.profiles.loadConfig(name) : undefined;
    const local = !profile || (profile.reverse.bridges.length === 0 && this.state.exposures.length > 0);
    const namesPort = local ? await this.localNamesPortFor(address) : null;
    const config = configForExposures(profile, this.state.exposures.length > 0, address, namesPort);
    this.localAddressInUse = address;
    const specs = exposureSpecs(this.state.exposures, this.state.exposuresPaused);
    if (localNamesPort(config) === null) return this.runner.start(name, config, specs);
    try {
      return await this.runner.start(name, config, specs);
    } catch (error) {
      // Another program took the names' port between the check and the engine's listen: the next
      // free one, else no names (host:port addresses still work) rather than no portal at all.
      const next = await freeNamesPort(address.listen, LOCAL_NAMES_PORTS.filter((port) => port !== namesPort));
      if (next !== null) return this.runner.start(name, configForExposures(profile, this.state.exposures.length > 0, address, next), specs);
      const status = await this.runner.start(name, withoutLocalNames(config), specs);
      this.noLocalNames(`port ${namesPort} could not be had (${error instanceof Error ? error.message : String(error)})`);
      return status;
    }
  }

  /**
   * The HTTP port for the built-in portal's `<label>.localhost` names, or null (then it gives
   * host:port addresses only, and the snapshot says why).
   */
  private async localNamesPortFor(address: LocalPortalAddress): Promise<number | null> {
    this.localNamesProblem = null;
    if (!namesReachLoopback(address.listen)) {
      this.localNamesProblem = `names under localhost reach only this machine, and the built-in portal listens on ${address.listen} only: exposures keep their ${address.publicHost}:port addresses`;
      return null;
    }
    const port = await freeNamesPort(address.listen);
    if (port === null) this.noLocalNames('ports 21080–21089 are all taken by other programs');
    return port;
  }

  private noLocalNames(why: string): void {
    this.localNamesProblem = `no <name>.localhost addresses: ${why}; exposures keep their 127.0.0.1:port addresses`;
    this.logs.note('warning', `built-in portal: ${this.localNamesProblem}`);
  }

  /**
   * Waits briefly for the portal to answer `id` (while a link is up); the engine's answer, if any.
   * A portal that gives no names is asked again without the label first, so the answer is the real one.
   */
  private async portalAnswer(id: string) {
    let answer = await awaitPortalAnswer(() => this.runner.instance, id);
    // At most twice: its own domain left out, then (a portal with no names at all) its label.
    for (let round = 0; round < 2; round += 1) {
      const on = probeTargets(this.state.exposures, this.state.exposuresPaused).map((exposure) => exposure.id);
      if (!this.portalNames.observe(this.runner.instance, on, this.customDomainOf)) return answer;
      await this.applyExposures(false);
      answer = await awaitPortalAnswer(() => this.runner.instance, id);
    }
    return answer;
  }

  /** The own domain exposure `id` has, if any (what the portal is asked for unless it said no). */
  private readonly customDomainOf = (id: string): string | undefined => this.state.exposures.find((exposure) => exposure.id === id)?.customDomain;

  /**
   * Hands the exposures to the running engine (adding the local portal first if the profile has no
   * bridge), or starts the engine when `start` says the user just switched one on.
   */
  private async applyExposures(start: boolean, probeNow: ReadonlySet<string> = new Set()): Promise<void> {
    this.probe.tick(probeTargets(this.state.exposures, this.state.exposuresPaused), Date.now(), probeNow);
    const instance = this.runner.instance;
    if (!instance) {
      if (start) await this.startNow();
      return;
    }
    // Without a profile the engine already runs the local portal; with one, the local portal is added once needed.
    const address = this.localAddressInUse ?? localPortalAddress(this.state.settings);
    if (this.state.activeProfile && instance.config.reverse.bridges.length === 0 && !hasLocalPortal(instance.config) && this.state.exposures.length > 0) {
      const next = configForExposures(instance.config, true, address, await this.localNamesPortFor(address));
      if (next !== instance.config) await this.reloadWithLocalPortal(instance, next);
    }
    const withoutCustomDomain = this.portalNames.withoutCustomDomain(instance, this.customDomainOf);
    await instance.setExposures(exposureSpecs(this.state.exposures, this.state.exposuresPaused, this.portalNames.asksNames(instance), withoutCustomDomain));
    // An exposure switched back on starts from the engine's defaults: give it its kept settings.
    this.inspector.sync();
  }

  /**
   * The active profile's text changed (an invite added or revoked): the running engine takes the
   * new config in place, as SIGHUP does (unchanged parts keep running). False when it does not run `name`.
   */
  private reloadProfile(name: string): Promise<boolean> {
    return this.runner.serial(async () => {
      const instance = this.runner.instance;
      if (!instance || this.state.activeProfile !== name) return false;
      const profile = await this.profiles.loadConfig(name);
      const address = this.localAddressInUse ?? localPortalAddress(this.state.settings);
      await instance.reload(configForExposures(profile, this.state.exposures.length > 0, address, localNamesPort(instance.config)));
      return true;
    });
  }

  /** Adds the built-in portal to the running engine; without names when their port was taken meanwhile. */
  private async reloadWithLocalPortal(instance: Instance, next: Instance['config']): Promise<void> {
    try {
      await instance.reload(next);
    } catch (error) {
      if (localNamesPort(next) === null) throw error;
      await instance.reload(withoutLocalNames(next));
      this.noLocalNames(`port ${localNamesPort(next)} could not be had (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  private exposureStatus(id: string): ExposureStatus {
    const status = this.exposureStatuses(this.runner.instance, this.latestSnapshot().tags).find((candidate) => candidate.id === id);
    if (!status) throw new ServiceError('PH_EXPOSURE_NOT_FOUND', `there is no exposure ${id}`);
    return status;
  }

  private exposureStatuses(instance: Instance | undefined, tags: readonly TagTraffic[]): ExposureStatus[] {
    return exposureStatuses({
      exposures: this.state.exposures,
      paused: this.state.exposuresPaused,
      instance,
      tags,
      localReachable: (id) => this.probe.reachable(id),
      localHttp: (id) => this.probe.http(id),
      noNames: this.portalNames.givesNoNames(instance),
      customDomainProblem: (exposure) => this.portalNames.customDomainRefusal(instance, exposure.id, exposure.customDomain),
    });
  }

  private latestSnapshot(): EngineSnapshot {
    return this.snapshots.latest ?? this.tick();
  }

  /** One sampling second: the probe looks at what is due, and a snapshot goes out. */
  private tick(): EngineSnapshot {
    const now = Date.now();
    this.probe.tick(probeTargets(this.state.exposures, this.state.exposuresPaused), now);
    this.watchPortalNames();
    // Notices an engine that stopped (or started) since: its lists went with it.
    this.inspector.sync();
    return this.snapshots.publish(this.snapshotSource(), now);
  }

  /** A portal that gives no names is asked again without labels (and with them once its links come back). */
  private watchPortalNames(): void {
    const instance = this.runner.instance;
    const on = probeTargets(this.state.exposures, this.state.exposuresPaused).map((exposure) => exposure.id);
    if (!this.portalNames.observe(instance, on, this.customDomainOf)) return;
    void this.runner.serial(async () => {
      if (this.runner.instance === instance && !this.closed) await this.applyExposures(false);
    }).catch((error: unknown) => this.logs.note('warning', `exposures could not be asked for again: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** The engine's state changed: the snapshot says so now, without waiting for the next second. */
  private restate(): void {
    this.snapshots.restate(this.snapshotSource());
  }

  private snapshotSource(): SnapshotSource {
    const instance = this.runner.instance;
    return {
      status: this.runner.status(),
      instance,
      exposuresPaused: this.state.exposuresPaused,
      exposures: (tags) => this.exposureStatuses(instance, tags),
      localPortal: this.localPortal(instance),
    };
  }

  /** The built-in portal's reach: what the running one uses, else what the next start would. */
  private localPortal(instance: Instance | undefined) {
    const lan = lanAddresses();
    const inUse = instance !== undefined && hasLocalPortal(instance.config);
    const address = inUse && this.localAddressInUse ? this.localAddressInUse : localPortalAddress(this.state.settings, lan);
    return { ...localPortalInfo(address, inUse, lan), namesPort: instance ? localNamesPort(instance.config) : null, namesProblem: inUse ? this.localNamesProblem : null };
  }
}

/** Creates the service and opens it (settings loaded, sampling on). */
export async function createLocalEngineService(options: LocalEngineServiceOptions): Promise<LocalEngineService> {
  const service = new LocalEngineService(options);
  await service.open();
  return service;
}
