/**
 * The `porthole` command line: a thin shell over the config layer and the engine, as V2Ray's
 * `main/` is over `core`. Every failure a user can cause ends as one line on stderr and a
 * non-zero exit code, never a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { formatErrorLine } from '../../engine/common/errors.js';
import { tuneV8ForTraffic } from '../process/v8-tuning.js';
import { tuneMemoryForTraffic } from '../process/memory-tuning.js';
import { loadConfigFiles } from '../../engine/config/index.js';
import { nativeAeadStatus } from '../../engine/native/aead.js';
import { nativeHeapStatus } from '../../engine/native/heap.js';
import { isLoopbackHost } from '../dashboard/token-gate.js';
import { runEngine, type DashboardAddress } from './run.js';
import { DEFAULT_METRICS_ADDRESS, metricsAddress } from './metrics-option.js';
import { serviceCommand } from './service-command.js';
import { registerInviteCommands } from './invite.js';
import { readPackageVersion } from './version.js';

/** Exit codes: 0 ok, 1 bad config or runtime failure, 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], output: CliOutput = processOutput): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(output, (code) => { exitCode = code; });
  try {
    await program.parseAsync(normaliseV2RayFlags(argv), { from: 'user' });
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`porthole: ${error.message} (run porthole --help for usage)`);
      return EXIT_USAGE;
    }
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    output.err(`porthole: ${formatErrorLine(error)}`);
    return EXIT_FAILURE;
  }
  return exitCode;
}

/** V2Ray users type `-config x.json` and `-test`; accept both spellings. */
function normaliseV2RayFlags(argv: string[]): string[] {
  return argv.map((arg) => (arg === '-config' ? '--config' : arg));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function configOption(): Option {
  return new Option('-c, --config <file>', 'V2Ray JSON config (comments allowed); repeat to merge several, as V2Ray does')
    .argParser(collect)
    .default([] as string[], 'none');
}

/** A mistake in the command line itself (not in a config file). */
class UsageError extends Error {}

/** Where `--ui` serves the dashboard when given without a value. */
export const DEFAULT_UI_ADDRESS = '127.0.0.1:7070';

/** `host:port`, `[v6]:port` or a bare port (on 127.0.0.1). */
export function parseUiAddress(value: string, flag = '--ui', example = DEFAULT_UI_ADDRESS): DashboardAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new UsageError(`${flag}: expected host:port (e.g. ${example}), got "${value}"`);
  return { host: (match[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

function requireConfigFiles(files: string[]): string[] {
  if (files.length === 0) throw new UsageError('no config file given: pass -c FILE (repeat -c to merge several)');
  return files;
}

function buildProgram(output: CliOutput, setExitCode: (code: number) => void): Command {
  const program = new Command('porthole')
    .description('Expose a service behind NAT through a public server, speaking V2Ray\'s reverse-proxy protocol.')
    .version(readPackageVersion(), '-v, --version', 'print the version')
    .showHelpAfterError('(run porthole --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.trimEnd()),
      writeErr: (text) => output.err(text.trimEnd()),
    });

  program.command('test')
    .description('check config files and exit: prints "Configuration OK." or the first error with its file:line:column')
    .addOption(configOption())
    .action((options: { config: string[] }) => {
      loadConfigFiles(requireConfigFiles(options.config));
      output.out('Configuration OK.');
    });

  program.command('run')
    .description('run the engine (bridge, portal or both) with the given config until SIGINT/SIGTERM')
    .addOption(configOption())
    .option('--ui [host:port]', `also serve the web dashboard, protected by a token printed at start (default ${DEFAULT_UI_ADDRESS})`)
    .option('--ui-allow-remote', 'let --ui listen on an address other machines can reach (prints a warning)')
    .option('--metrics [host:port]', `serve Prometheus metrics at /metrics (default ${DEFAULT_METRICS_ADDRESS}; off unless given)`)
    .option('--metrics-token <token>', 'require Authorization: Bearer <token> for /metrics (default $PORTHOLE_METRICS_TOKEN; made and printed once for a non-loopback --metrics)')
    .action(async (options: { config: string[]; ui?: string | boolean; uiAllowRemote?: boolean; metrics?: string | boolean; metricsToken?: string }) => {
      const files = requireConfigFiles(options.config);
      if (options.uiAllowRemote && options.ui === undefined) throw new UsageError('--ui-allow-remote needs --ui');
      if (options.metricsToken !== undefined && options.metrics === undefined) throw new UsageError('--metrics-token needs --metrics');
      const metricsToken = options.metricsToken ?? process.env.PORTHOLE_METRICS_TOKEN;
      const metrics = options.metrics === undefined ? undefined
        : metricsAddress(options.metrics === true ? true : String(options.metrics), metricsToken || undefined, (value) => parseUiAddress(value, '--metrics', DEFAULT_METRICS_ADDRESS));
      const ui = options.ui === undefined ? undefined : { ...parseUiAddress(options.ui === true ? DEFAULT_UI_ADDRESS : String(options.ui)), allowRemote: options.uiAllowRemote === true };
      if (ui && !ui.allowRemote && !isLoopbackHost(ui.host)) {
        throw new UsageError(`--ui ${ui.host}: other machines could reach the dashboard there; add --ui-allow-remote if that is what you want`);
      }
      const config = loadConfigFiles(files);
      tuneV8ForTraffic();
      const stopMemoryTuning = tuneMemoryForTraffic();
      try {
        setExitCode(await runEngine(config, { configFiles: files, output, ...(ui ? { ui } : {}), ...(metrics ? { metrics } : {}) }));
      } finally {
        stopMemoryTuning();
      }
    });

  program.addCommand(serviceCommand(output, (message) => new UsageError(message)));
  registerInviteCommands(program, output, configOption, (message) => new UsageError(message));

  program.command('version')
    .description('print the version')
    .action(() => {
      output.out(`Porthole ${readPackageVersion()} (V2Ray 4.34 wire-compatible), Node ${process.version}`);
      output.out(`native AEAD: ${nativeAeadStatus}`);
      output.out(`native heap trim: ${nativeHeapStatus}`);
    });

  return program;
}
