/**
 * The `porthole` command line: a thin shell over the config layer and the engine, as V2Ray's
 * `main/` is over `core`. Every failure a user can cause ends as one line on stderr and a
 * non-zero exit code, never a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { formatErrorLine } from '../common/errors.js';
import { loadConfigFiles } from '../config/index.js';
import { runEngine } from './run.js';
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
    .action(async (options: { config: string[] }) => {
      const files = requireConfigFiles(options.config);
      const config = loadConfigFiles(files);
      setExitCode(await runEngine(config, { configFiles: files, output }));
    });

  program.command('version')
    .description('print the version')
    .action(() => output.out(`Porthole ${readPackageVersion()} (V2Ray 4.34 wire-compatible), Node ${process.version}`));

  return program;
}
