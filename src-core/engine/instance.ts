/**
 * The composition root (V2Ray's `core.Instance`): builds every feature and handler from the typed
 * config, starts them in order (outbounds and portals, inbounds, then bridges) and closes them in
 * reverse. One instance may be a bridge, a portal, or both.
 *
 * `reload` applies a new config in place: parts whose config did not change keep running (so a
 * bridge's links and a portal's open connections survive a reload that does not touch them);
 * changed parts are replaced, removed ones closed, new ones started. A VMess or VLESS inbound
 * whose users alone changed (an invite added or revoked) is kept and takes the new users in place:
 * only the connections of removed users close, so the other bridges' links stay up.
 */
import { closeAll } from './common/disposable.js';
import { PortholeError } from './common/errors.js';
import { fieldOriginOf, type BridgeConfig, type InboundConfig, type OutboundConfig, type PortalConfig, type PortholeConfig } from './config/index.js';
import { DefaultDispatcher } from './app/dispatcher/default-dispatcher.js';
import { IdleWatch } from './app/dispatcher/idle-watch.js';
import { listenError } from './app/listen-error.js';
import { consoleSink } from './app/log/console-sink.js';
import { openFileSink, type FileSink } from './app/log/file-sink.js';
import { DefaultLogger, type LogSink } from './app/log/logger.js';
import { DefaultOutboundManager } from './app/outbound-manager.js';
import { DefaultPolicyManager } from './app/policy/default-policy.js';
import { Bridge } from './app/reverse/bridge.js';
import { exposureTag } from './app/exposures/tag.js';
import { ExposureAgent, type ExposureSpec } from './app/exposures/exposure-agent.js';
import { ExposureHost } from './app/exposures/exposure-host.js';
import { PortalEdge } from './app/exposures/portal-edge.js';
import { ChallengePorts } from './app/link-certificates/challenge-ports.js';
import { Inspector } from './app/inspector/inspector.js';
import type { PublicListenerFactory } from './app/exposures/public-listener.js';
import { Portal } from './app/reverse/portal.js';
import { bridgeUplink, isServerUplink, type BridgeUplink } from './app/reverse/uplink.js';
import { DokodemoInbound } from './proxy/dokodemo/inbound.js';
import { FreedomOutbound } from './proxy/freedom/outbound.js';
import { DefaultRouter } from './app/router/default-router.js';
import { DefaultConnectionStats } from './app/stats/connection-stats.js';
import type { InboundHandler } from './features/inbound.js';
import { forComponent } from './features/log.js';
import type { OutboundHandler } from './features/outbound.js';
import { createInboundHandlers, createOutboundHandler, differsOnlyInUsers, updateInboundUsers, type HandlerFeatures } from './registry.js';

export interface InstanceOptions {
  /** Overrides where log lines go (tests capture them); default: what `log` in the config says. */
  logSinks?: { error?: LogSink; access?: LogSink };
  /**
   * Whether `stats` keeps recently closed connections for a connections table (default true). A
   * headless engine without one turns it off: each kept row outlives the young generation, and
   * under connection churn they were about a fifth of the bytes V8 promoted, so they brought the
   * full-GC pauses closer.
   */
  closedConnectionHistory?: boolean;
  /**
   * Told (once per opened file) when writing a log file fails; its lines are dropped until a
   * reload reopens it. Default: one line on stderr.
   */
  onLogFileError?: (message: string) => void;
  /** How long before expiry the portals' edge certificates are renewed (tests force renewal); default: a third of the lifetime, at most 30 days. */
  renewCertificatesBeforeMs?: number;
}

/** What a reload did, part by part (keys are tags, or `untagged`). */
export interface ReloadSummary {
  /** Unchanged, left running. */
  kept: string[];
  /** Inbounds whose users alone changed: kept running with the new users (not in `kept`). */
  usersUpdated: string[];
  started: string[];
  stopped: string[];
}

const stderrReport = (message: string): void => {
  process.stderr.write(`porthole: ${message}\n`);
};

/**
 * The sink for `config.log[kind]`; a log file is opened now (pushed to `files`). A file that
 * cannot be opened throws PH_CONFIG_VALUE at `log.<kind>`, as at load.
 */
function sinkFor(config: PortholeConfig, kind: 'access' | 'error', files: FileSink[], report: (message: string) => void): LogSink | undefined {
  const target = config.log[kind];
  if (target.type === 'none') return undefined;
  if (target.type === 'console') return consoleSink((error) => report(`standard output failed: ${error.message}; console log lines are dropped from now on`));
  let sink: FileSink;
  try {
    sink = openFileSink(target.path, (error) => report(`the ${kind} log "${target.path}" failed: ${error.message}; its lines are dropped until a reload (SIGHUP) reopens it`));
  } catch (cause) {
    throw new PortholeError('PH_CONFIG_VALUE', `cannot open the ${kind} log "${target.path}"`, { ...fieldOriginOf(config.log, kind), cause });
  }
  files.push(sink);
  return sink;
}

/** Identity of a config part across reloads: the same key means the same config, so keep it running. */
function keyOf(part: InboundConfig | OutboundConfig | BridgeConfig | PortalConfig): string {
  return JSON.stringify(part);
}

function nameOf(kind: string, part: { tag?: string }): string {
  return `${kind} ${part.tag ?? 'untagged'}`;
}

export class Instance {
  readonly logger: DefaultLogger;
  readonly stats: DefaultConnectionStats;
  readonly outbounds = new DefaultOutboundManager();
  private currentConfig: PortholeConfig;
  private readonly policies: DefaultPolicyManager;
  private readonly dispatcher: DefaultDispatcher;
  private readonly features: HandlerFeatures;
  private readonly idleWatch = new IdleWatch();
  private logFiles: FileSink[] = [];
  private outboundParts = new Map<string, OutboundHandler>();
  private portalParts = new Map<string, Portal>();
  /** The exposure host each portal answers bridges' exposure requests with, by portal. */
  private readonly exposureHosts = new WeakMap<Portal, ExposureHost>();
  private inboundParts = new Map<string, InboundHandler[]>();
  private bridgeParts = new Map<string, Bridge>();
  /** One freedom outbound per exposure, tagged `exposure:<id>`, dialling its local address. */
  private exposureOutbounds = new Map<string, { key: string; handler: FreedomOutbound }>();
  private started = false;
  private uplinkFor: { config: PortholeConfig; uplink: BridgeUplink | undefined } | undefined;
  /** The user's exposures, carried by the config's first bridge. */
  readonly exposures: ExposureAgent;
  /** The request inspector: captures what each exposure's local service is sent and answers. */
  readonly inspector = new Inspector();

  constructor(config: PortholeConfig, private readonly options: InstanceOptions = {}) {
    this.currentConfig = config;
    this.stats = options.closedConnectionHistory === false ? new DefaultConnectionStats(0, 0) : new DefaultConnectionStats();
    const logs = this.openLogSinks(config);
    this.logFiles = logs.files;
    this.logger = new DefaultLogger({ level: config.log.level, ...logs.sinks });
    this.policies = new DefaultPolicyManager(config);
    this.dispatcher = new DefaultDispatcher({
      router: new DefaultRouter(config.routing.rules),
      outbounds: this.outbounds,
      policies: this.policies,
      stats: this.stats,
      idleWatch: this.idleWatch,
      log: forComponent(this.logger, 'app/dispatcher'),
    });
    this.features = { dispatcher: this.dispatcher, policies: this.policies, logger: this.logger, challengePorts: new ChallengePorts() };
    this.exposures = new ExposureAgent({
      log: forComponent(this.logger, 'app/reverse/exposures'),
      serverHost: () => this.exposureServerHost(),
    });
    this.outboundParts = new Map(config.outbounds.map((outbound) => [keyOf(outbound), createOutboundHandler(outbound, this.features)]));
    this.portalParts = new Map(config.reverse.portals.map((portal) => [keyOf(portal), this.createPortal(portal)]));
    this.inboundParts = new Map(config.inbounds.map((inbound) => [keyOf(inbound), createInboundHandlers(inbound, this.features)]));
    this.bridgeParts = new Map(config.reverse.bridges.map((bridge) => [keyOf(bridge), this.createBridge(bridge)]));
    // Portals are outbounds too, after the configured ones (so never the default unless alone).
    for (const handler of [...this.outboundParts.values(), ...this.portalParts.values()]) this.outbounds.addHandler(handler);
  }

  get config(): PortholeConfig {
    return this.currentConfig;
  }

  get inbounds(): InboundHandler[] {
    return [...this.inboundParts.values()].flat();
  }

  get portals(): Portal[] {
    return [...this.portalParts.values()];
  }

  get bridges(): Bridge[] {
    return [...this.bridgeParts.values()];
  }

  /** Public ports `portal` opened for bridges' exposures (for the UI). */
  publicPortsOf(portal: Portal): { id: string; name: string; port: number; local: string }[] {
    return this.exposureHosts.get(portal)?.openPorts ?? [];
  }

  /** Exposures `portal` holds per bridge user (keyed as `Session.userKey`), for the UI. */
  exposureCountsOf(portal: Portal): Map<string, number> {
    return this.exposureHosts.get(portal)?.exposureCountsByOwner() ?? new Map();
  }

  /** Starts listening and dialling. On failure, whatever started is closed again. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      for (const inbound of this.inbounds) await this.startInbound(inbound);
      for (const portal of this.portals) await this.exposureHosts.get(portal)?.start();
      for (const bridge of this.bridges) await bridge.start();
    } catch (error) {
      await this.close().catch(() => {});
      throw error;
    }
  }

  /** Applies `next`, keeping every part whose config is unchanged running. */
  async reload(next: PortholeConfig): Promise<ReloadSummary> {
    const summary: ReloadSummary = { kept: [], usersUpdated: [], started: [], stopped: [] };
    // First, as it may fail (a log folder gone): then nothing has changed yet.
    const logs = this.openLogSinks(next);
    this.currentConfig = next;
    this.logger.setLevel(next.log.level);
    await this.swapLogs(logs);
    this.policies.update(next);
    this.dispatcher.setRouter(new DefaultRouter(next.routing.rules));

    /**
     * Keeps the running part of each unchanged config; `adopt` may take over a changed one (from
     * `unmatched`, keyed by its old config) in place. The rest are created, and unmatched ones closed.
     */
    const reuse = <C extends { tag?: string }, H>(
      kind: string, before: Map<string, H>, parts: readonly C[], create: (part: C) => H,
      adopt?: (part: C, unmatched: ReadonlyMap<string, H>) => string | undefined,
    ) => {
      const after = new Map<string, H>();
      const nextKeys = new Set(parts.map((part) => keyOf(part as never)));
      const unmatched = new Map([...before].filter(([key]) => !nextKeys.has(key)));
      for (const part of parts) {
        const key = keyOf(part as never);
        const existing = before.get(key);
        const adopted = existing ? undefined : adopt?.(part, unmatched);
        const kept = existing ?? (adopted === undefined ? undefined : unmatched.get(adopted));
        if (adopted !== undefined) unmatched.delete(adopted);
        (existing ? summary.kept : adopted !== undefined ? summary.usersUpdated : summary.started).push(nameOf(kind, part));
        after.set(key, kept ?? create(part));
      }
      summary.stopped.push(...[...unmatched.keys()].map((key) => nameOf(kind, JSON.parse(key) as { tag?: string })));
      return { after, removed: [...unmatched.values()] };
    };
    // An inbound whose users alone changed keeps running and takes the new users.
    const adoptUsersChange = (part: InboundConfig, unmatched: ReadonlyMap<string, InboundHandler[]>): string | undefined => {
      for (const [key, handlers] of unmatched) {
        if (differsOnlyInUsers(JSON.parse(key) as InboundConfig, part) && updateInboundUsers(part, handlers)) return key;
      }
      return undefined;
    };

    const outbounds = reuse('outbound', this.outboundParts, next.outbounds, (part) => createOutboundHandler(part, this.features));
    const before = this.portalParts;
    const portals = reuse('portal', this.portalParts, next.reverse.portals, (part) => this.createPortal(part));
    this.outboundParts = outbounds.after;
    this.portalParts = portals.after;
    await this.outbounds.replaceAll([...outbounds.after.values(), ...portals.after.values(), ...this.exposureHandlers()]);

    const bridges = reuse('bridge', this.bridgeParts, next.reverse.bridges, (part) => this.createBridge(part));
    await closeAll(bridges.removed);
    const inbounds = reuse('inbound', this.inboundParts, next.inbounds, (part) => createInboundHandlers(part, this.features), adoptUsersChange);
    await closeAll(inbounds.removed.flat());
    // New by identity, not by key: an inbound that took new users in place runs already.
    const running = new Set(this.inbounds);
    const newInbounds = [...inbounds.after.values()].flat().filter((handler) => !running.has(handler));
    const newBridges = [...bridges.after].filter(([key]) => !this.bridgeParts.has(key)).map(([, bridge]) => bridge);
    this.inboundParts = inbounds.after;
    this.bridgeParts = bridges.after;
    if (this.started) {
      for (const [key, portal] of portals.after) if (!before.has(key)) await this.exposureHosts.get(portal)?.start();
      for (const inbound of newInbounds) await this.startInbound(inbound);
      for (const bridge of newBridges) await bridge.start();
    }
    return summary;
  }

  async close(): Promise<void> {
    this.exposures.close();
    this.inspector.close();
    await closeAll(this.bridges);
    await closeAll(this.inbounds);
    await this.outbounds.close();
    this.idleWatch.dispose();
    // Pending summaries of repeated lines go out before the files close.
    this.logger.close();
    await Promise.all(this.logFiles.map((file) => file.close()));
  }

  /**
   * The exposures to carry (the service applies "Pause all" before): each gets an outbound that
   * dials its local address, and the exposure agent asks the portal for public ports.
   */
  async setExposures(specs: readonly ExposureSpec[]): Promise<void> {
    const next = new Map<string, { key: string; handler: FreedomOutbound }>();
    for (const spec of specs) {
      const key = `${spec.localHost}:${spec.localPort}`;
      const existing = this.exposureOutbounds.get(spec.id);
      if (existing && existing.key === key) {
        next.set(spec.id, existing);
        continue;
      }
      // The inspector watches each connection while its capture is on (app/inspector/README.md).
      const settings = { redirectHost: spec.localHost, redirectPort: spec.localPort, observe: this.inspector.observerFor(spec.id) };
      const handler = new FreedomOutbound(exposureTag(spec.id), settings, forComponent(this.logger, 'app/reverse/exposures'));
      if (existing) await this.outbounds.removeHandler(existing.handler.tag);
      this.outbounds.addHandler(handler);
      next.set(spec.id, { key, handler });
    }
    for (const [id, { handler }] of this.exposureOutbounds) if (!next.has(id)) await this.outbounds.removeHandler(handler.tag);
    this.exposureOutbounds = next;
    this.inspector.setExposures(specs);
    this.exposures.setExposures(specs);
  }

  /** Where the inbound tagged `tag` listens (the first port of its range). */
  inboundAddress(tag: string): { host: string; port: number } | undefined {
    return this.inbounds.find((inbound) => inbound.tag === tag)?.address();
  }

  /**
   * The sinks `config.log` asks for (files opened for appending), unless the embedder gave its
   * own. Throws when a file cannot be opened, having closed the ones it opened.
   */
  private openLogSinks(config: PortholeConfig): { sinks: { errorSink?: LogSink; accessSink?: LogSink }; files: FileSink[] } {
    const { logSinks } = this.options;
    const report = this.options.onLogFileError ?? stderrReport;
    const files: FileSink[] = [];
    try {
      const errorSink = logSinks?.error ?? sinkFor(config, 'error', files, report);
      const accessSink = config.log.level === 'none' ? undefined : (logSinks?.access ?? sinkFor(config, 'access', files, report));
      return { sinks: { ...optional('errorSink', errorSink), ...optional('accessSink', accessSink) }, files };
    } catch (error) {
      for (const file of files) void file.close();
      throw error;
    }
  }

  /** Reload: log files are reopened by path, so a file logrotate moved away is started afresh. */
  private async swapLogs(next: { sinks: { errorSink?: LogSink; accessSink?: LogSink }; files: FileSink[] }): Promise<void> {
    const previous = this.logFiles;
    this.logFiles = next.files;
    this.logger.setSinks(next.sinks);
    await Promise.all(previous.map((file) => file.close()));
  }

  /** Starts one inbound; a failure to listen names the inbound and where it is configured. */
  private async startInbound(inbound: InboundHandler): Promise<void> {
    try {
      await inbound.start();
    } catch (error) {
      const config = this.currentConfig.inbounds.find((part) => this.inboundParts.get(keyOf(part))?.includes(inbound));
      throw listenError(inbound.tag, config, error);
    }
  }

  private exposureHandlers(): FreedomOutbound[] {
    return [...this.exposureOutbounds.values()].map(({ handler }) => handler);
  }

  /**
   * Where the exposure bridge's (the first bridge's) links go, as routing decides it: worked out
   * once per config rather than on every status read.
   */
  get exposureUplink(): BridgeUplink | undefined {
    if (this.uplinkFor?.config !== this.currentConfig) {
      const bridge = this.currentConfig.reverse.bridges[0];
      this.uplinkFor = { config: this.currentConfig, uplink: bridge ? bridgeUplink(this.currentConfig, bridge) : undefined };
    }
    return this.uplinkFor.uplink;
  }

  /** The host the exposure bridge dials its portal at, when that goes through a VMess or VLESS outbound. */
  private exposureServerHost(): string | undefined {
    const uplink = this.exposureUplink;
    return isServerUplink(uplink) ? uplink.server.address : undefined;
  }

  private createPortal(portal: PortalConfig): Portal {
    const names = portal.exposures?.names;
    const edge = names && portal.exposures ? new PortalEdge({
      names, listen: portal.exposures.listen, portalTag: portal.tag, log: forComponent(this.logger, 'app/exposures/edge'), challengePorts: this.features.challengePorts,
      ...optional('renewBeforeMs', this.options.renewCertificatesBeforeMs),
    }) : undefined;
    // Every Porthole portal answers exposure requests; without `exposures` in its config it refuses them, saying how to allow them.
    const exposures = new ExposureHost({
      ...(edge ? { names: edge.table, edge } : {}),
      config: portal.exposures,
      portalTag: portal.tag,
      dispatcher: this.dispatcher,
      log: forComponent(this.logger, 'app/reverse/exposures'),
      listeners: this.publicListeners(),
      isOwnBridge: (tag) => this.currentConfig.reverse.bridges.some((bridge) => bridge.tag === tag),
    });
    const created = new Portal({
      tag: portal.tag,
      domain: portal.domain,
      streamBufferBytes: this.policies.forLevel(0).bufferBytes,
      log: forComponent(this.logger, 'app/reverse/portal'),
      extension: exposures,
    });
    this.exposureHosts.set(created, exposures);
    return created;
  }

  /** Exposures' public ports are dokodemo-door inbounds (logging as the configured ones do). */
  private publicListeners(): PublicListenerFactory {
    const log = forComponent(this.logger, 'proxy/dokodemo-door/inbound');
    return {
      create: (tag, settings, dispatcher) => new DokodemoInbound(tag, { ...settings, level: 0, acceptsTcp: true }, dispatcher, log),
    };
  }

  private createBridge(bridge: BridgeConfig): Bridge {
    // The first bridge carries the user's exposures.
    const carriesExposures = this.currentConfig.reverse.bridges[0] === bridge;
    return new Bridge({
      tag: bridge.tag,
      domain: bridge.domain,
      // Its sessions towards an exposure's local address go to that exposure's outbound.
      dispatcher: carriesExposures ? this.exposures.dispatcherFor(this.dispatcher) : this.dispatcher,
      streamBufferBytes: this.policies.forLevel(0).bufferBytes,
      log: forComponent(this.logger, 'app/reverse/bridge'),
      ...(carriesExposures ? { extension: this.exposures } : {}),
    });
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
