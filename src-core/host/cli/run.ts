/** `porthole run`: starts the engine and keeps it running until SIGINT or SIGTERM. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatErrorLine } from '../../engine/common/errors.js';
import { loadConfigFiles, type PortholeConfig } from '../../engine/config/index.js';
import type { Dashboard } from '../dashboard/server.js';
import { Instance } from '../../engine/instance.js';
import { cryptoNoticeFor } from '../service/engine-crypto-notice.js';
import { EXIT_BUG, installLastResortHandlers } from './last-resort.js';
import { listenForReload, type ReloadSignal } from './reload-signal.js';
import type { CliOutput } from './main.js';
import { serveMetrics, type MetricsAddress } from './metrics-option.js';
import type { MetricsSource } from '../metrics/registry.js';

/** Where `--ui` serves the dashboard. */
export interface DashboardAddress {
  host: string;
  port: number;
}

export interface RunOptions {
  configFiles: string[];
  output: CliOutput;
  /** Resolves when the engine should stop; default: the first SIGINT or SIGTERM. */
  stopSignal?: Promise<string>;
  /** `--ui`: also serve the web dashboard there. */
  ui?: DashboardAddress & { allowRemote: boolean };
  /** `--metrics`: also serve Prometheus metrics there. */
  metrics?: MetricsAddress;
}

/** Starts `--metrics` if asked; false when it was asked and could not start (already said why). */
async function startMetrics(options: RunOptions, source: MetricsSource): Promise<{ close(): Promise<void> } | false> {
  if (!options.metrics) return { close: async () => {} };
  return (await serveMetrics(options.metrics, source, options.output)) ?? false;
}

/** Porthole's own folder: `$PORTHOLE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/porthole`, else `~/.config/porthole`. */
export function portholeConfigFolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PORTHOLE_CONFIG_DIR) return env.PORTHOLE_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'porthole');
}

/**
 * The dashboard's token, kept in Porthole's folder (readable by this user only) so a restarted
 * `porthole run --ui` takes the same one: an open dashboard reconnects by itself instead of being
 * locked out. Delete the file to make a new token at the next start.
 */
export function dashboardToken(folder: string, create: () => string): string {
  const file = join(folder, 'dashboard-token');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(kept)) return kept;
  } catch {
    // none yet: made below
  }
  const token = create();
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  } catch {
    // A read-only folder: this run's token still works, the next start makes another.
  }
  return token;
}

/** Shutdown must finish within this, or the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 5000;

/**
 * The first SIGINT or SIGTERM, or `orElse` if it comes first. Listened to from the start of
 * `run`: one that arrives while the engine starts stops it as soon as it runs, gracefully, instead
 * of the signal's default (an exit with nothing closed). `release` stops listening.
 */
function firstSignal(orElse: Promise<string>): { signal: Promise<string>; release(): void } {
  let onSignal: (signal: string) => void = () => {};
  const signal = new Promise<string>((resolve) => {
    onSignal = (name: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(name);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void orElse.then(onSignal);
  });
  return {
    signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** SIGHUP: re-reads the config files; a bad file is reported and the running config stays. */
async function reload(instance: Instance, options: RunOptions): Promise<void> {
  const { output } = options;
  let next: PortholeConfig;
  try {
    next = loadConfigFiles(options.configFiles);
  } catch (error) {
    output.err(`porthole: SIGHUP: config not reloaded: ${formatErrorLine(error)}`);
    return;
  }
  try {
    const summary = await instance.reload(next);
    const parts = [
      summary.started.length ? `started ${summary.started.join(', ')}` : '',
      summary.stopped.length ? `stopped ${summary.stopped.join(', ')}` : '',
      // Kept running with new users: only removed users' connections closed.
      summary.usersUpdated.length ? `users updated in place: ${summary.usersUpdated.join(', ')} (other users' connections kept)` : '',
      `kept ${summary.kept.length} unchanged`,
    ].filter(Boolean);
    output.err(`porthole: SIGHUP: config reloaded: ${parts.join('; ')}`);
  } catch (error) {
    output.err(`porthole: SIGHUP: reload failed: ${formatErrorLine(error)}`);
  }
}

/**
 * Starts the engine and resolves with the exit code once it has stopped. Errors nothing caught are
 * logged, and the engine keeps running unless one is a programming error (last-resort.ts).
 */
export async function runEngine(config: PortholeConfig, options: RunOptions): Promise<number> {
  let bugSeen = false;
  let stopForBug: (reason: string) => void = () => {};
  const bug = new Promise<string>((resolve) => { stopForBug = resolve; });
  const onBug = () => {
    bugSeen = true;
    stopForBug('programming error');
  };
  const uninstall = installLastResortHandlers({ report: (line) => options.output.err(line), onBug });
  const reloadSignal = listenForReload();
  const stopSignal = options.stopSignal ? { signal: Promise.race([options.stopSignal, bug]), release: () => {} } : firstSignal(bug);
  const signals: Signals = { reload: reloadSignal, stop: stopSignal.signal };
  try {
    const code = options.ui ? await runWithDashboard(options, options.ui, signals) : await runHeadless(config, options, signals);
    return bugSeen ? EXIT_BUG : code;
  } finally {
    stopSignal.release();
    reloadSignal.release();
    uninstall();
  }
}

/** The signals `run` listens to from its start: stop (SIGINT, SIGTERM, a programming error) and reload (SIGHUP). */
interface Signals {
  reload: ReloadSignal;
  /** Resolves with what asked the engine to stop. */
  stop: Promise<string>;
}

async function runHeadless(config: PortholeConfig, options: RunOptions, signals: Signals): Promise<number> {
  const { output } = options;
  let instance: Instance;
  try {
    // No connections table here (`--ui` runs the engine service instead): closed rows are not kept.
    // Constructing opens the log files, which can fail too.
    instance = new Instance(config, { closedConnectionHistory: false });
    await instance.start();
  } catch (error) {
    output.err(`porthole: failed to start: ${formatErrorLine(error)}`);
    return 1;
  }
  const metrics = await startMetrics(options, { instance: () => instance });
  if (!metrics) {
    await instance.close();
    return 1;
  }
  output.err(startedLine(instance, options.configFiles));
  reportCrypto(instance, output);
  return holdUntilStopped(options, signals, async () => {
    await metrics.close();
    await instance.close();
  }, () => void reload(instance, options));
}

/** `porthole: started (files): portal "portal", bridge "bridge"; listening: external on 127.0.0.1:80, …` */
function startedLine(instance: Instance, configFiles: string[]): string {
  const { config } = instance;
  const listening = instance.inbounds.map((inbound) => {
    const address = inbound.address();
    return `${inbound.tag || 'untagged'} on ${address ? `${address.host}:${address.port}` : '?'}`;
  });
  const roles = [
    ...instance.portals.map((portal) => `portal "${portal.tag}"`),
    ...instance.bridges.map((_, index) => `bridge "${config.reverse.bridges[index]?.tag}"`),
  ];
  return `porthole: started (${configFiles.join(', ')})${roles.length ? `: ${roles.join(', ')}` : ''}${listening.length ? `; listening: ${listening.join(', ')}` : ''}`;
}

/**
 * Once at start, when the engine speaks VMess: a line if its chunk ciphers do not run natively
 * (why, and that node:crypto does instead) or a JavaScript fallback stands in (docs/crypto.md).
 */
function reportCrypto(instance: Instance, output: CliOutput): void {
  const notice = cryptoNoticeFor(instance.config);
  if (notice) output.err(`porthole: ${notice}`);
}

/**
 * The engine as the active profile of an engine service, plus the dashboard serving that service.
 * The files stay a read-only profile; profiles saved in the dashboard go to the config folder.
 */
async function runWithDashboard(options: RunOptions, ui: DashboardAddress & { allowRemote: boolean }, signals: Signals): Promise<number> {
  const { output } = options;
  // Loaded only with --ui: a headless portal does not carry the dashboard in memory.
  const [{ startDashboard }, { createToken, isLoopbackHost }, { createLocalEngineService }] = await Promise.all([
    import('../dashboard/server.js'),
    import('../dashboard/token-gate.js'),
    import('../service/local-engine-service.js'),
  ]);
  const folder = portholeConfigFolder();
  const service = await createLocalEngineService({
    profilesFolder: join(folder, 'profiles'),
    settingsFile: join(folder, 'settings.json'),
    commandLineProfile: { sources: options.configFiles.map((file) => ({ name: file, text: readFileSync(file, 'utf8') })) },
  });
  try {
    await service.startEngine();
  } catch (error) {
    output.err(`porthole: failed to start: ${formatErrorLine(error)}`);
    await service.close();
    return 1;
  }
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({
      service, host: ui.host, port: ui.port, allowRemote: ui.allowRemote, token: dashboardToken(folder, createToken),
      onAcceptError: (error, retryInMs) => output.err(`porthole: dashboard: failed to accept connections > ${formatErrorLine(error)}; listening again in ${retryInMs} ms`),
    });
  } catch (error) {
    output.err(`porthole: cannot serve the dashboard on ${ui.host}:${ui.port}: ${formatErrorLine(error)}`);
    await service.close();
    return 1;
  }
  const metrics = await startMetrics(options, { instance: () => service.engine, exposures: () => service.listExposures() });
  if (!metrics) {
    await dashboard.close();
    await service.close();
    return 1;
  }
  const engine = service.engine;
  if (engine) {
    output.err(startedLine(engine, options.configFiles));
    reportCrypto(engine, output);
  }
  if (!isLoopbackHost(ui.host)) {
    output.err(`porthole: warning: the dashboard listens on ${ui.host}:${dashboard.port}, which other machines can reach; anyone with the token controls this engine, and plain HTTP is not encrypted (prefer an SSH tunnel to 127.0.0.1)`);
  }
  output.err(`porthole: dashboard: ${dashboard.url}`);
  const onReload = () => {
    const running = service.engine;
    if (running) void reload(running, options);
  };
  return holdUntilStopped(options, signals, async () => {
    await metrics.close();
    await dashboard.close();
    await service.close();
  }, onReload);
}

/** Waits for the stop signal (or a programming error), then stops within SHUTDOWN_LIMIT_MS; resolves with the exit code. */
async function holdUntilStopped(options: RunOptions, signals: Signals, stop: () => Promise<void>, onReload: () => void): Promise<number> {
  const { output } = options;
  // The engine's own timers are unref'd (so tests and embedders can exit); the CLI holds the process open.
  const keepAlive = setInterval(() => {}, 1 << 30);
  signals.reload.answerWith(onReload);
  const signal = await signals.stop;
  signals.reload.ignore();
  clearInterval(keepAlive);
  output.err(`porthole: ${signal}: stopping`);
  const stopped = stop().then(() => 0, (error: unknown) => {
    output.err(`porthole: error while stopping: ${formatErrorLine(error)}`);
    return 1;
  });
  const limit = new Promise<number>((resolve) => setTimeout(() => resolve(1), SHUTDOWN_LIMIT_MS).unref());
  return Promise.race([stopped, limit]);
}
