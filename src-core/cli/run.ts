/** `porthole run`: starts the engine and keeps it running until SIGINT or SIGTERM. */
import { formatErrorLine } from '../common/errors.js';
import { loadConfigFiles, type PortholeConfig } from '../config/index.js';
import { Instance } from '../instance.js';
import type { CliOutput } from './main.js';

export interface RunOptions {
  configFiles: string[];
  output: CliOutput;
  /** Resolves when the engine should stop; default: the first SIGINT or SIGTERM. */
  stopSignal?: Promise<string>;
}

/** Shutdown must finish within this, or the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 5000;

function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
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
      `kept ${summary.kept.length} unchanged`,
    ].filter(Boolean);
    output.err(`porthole: SIGHUP: config reloaded: ${parts.join('; ')}`);
  } catch (error) {
    output.err(`porthole: SIGHUP: reload failed: ${formatErrorLine(error)}`);
  }
}

/** Starts the engine and resolves with the exit code once it has stopped. */
export async function runEngine(config: PortholeConfig, options: RunOptions): Promise<number> {
  const { output } = options;
  const instance = new Instance(config);
  try {
    await instance.start();
  } catch (error) {
    output.err(`porthole: failed to start: ${formatErrorLine(error)}`);
    return 1;
  }
  const listening = instance.inbounds.map((inbound) => {
    const address = inbound.address();
    return `${inbound.tag || 'untagged'} on ${address ? `${address.host}:${address.port}` : '?'}`;
  });
  const roles = [
    ...instance.portals.map((portal) => `portal "${portal.tag}"`),
    ...instance.bridges.map((_, index) => `bridge "${config.reverse.bridges[index]?.tag}"`),
  ];
  output.err(`porthole: started (${options.configFiles.join(', ')})${roles.length ? `: ${roles.join(', ')}` : ''}${listening.length ? `; listening: ${listening.join(', ')}` : ''}`);
  // The engine's own timers are unref'd (so tests and embedders can exit); the CLI holds the process open.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const onReload = () => void reload(instance, options);
  process.on('SIGHUP', onReload);
  const signal = await (options.stopSignal ?? firstSignal());
  process.off('SIGHUP', onReload);
  clearInterval(keepAlive);
  output.err(`porthole: ${signal}: stopping`);
  const stopped = instance.close().then(() => 0, (error: unknown) => {
    output.err(`porthole: error while stopping: ${formatErrorLine(error)}`);
    return 1;
  });
  const limit = new Promise<number>((resolve) => setTimeout(() => resolve(1), SHUTDOWN_LIMIT_MS).unref());
  return Promise.race([stopped, limit]);
}
