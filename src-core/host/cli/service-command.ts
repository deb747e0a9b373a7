/**
 * `porthole service install|uninstall`: writes (or removes) a systemd unit that runs this porthole
 * headless with the given config. The config is checked first; `systemctl` runs only with `--now`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfigFiles } from '../../engine/config/index.js';
import type { CliOutput } from './main.js';
import { systemdUnit, writablePathsOf } from './systemd-unit.js';

interface UnitPlace {
  name: string;
  unitDir?: string;
  userUnit?: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9_.@-]{1,200}$/;

/** Where the unit goes: `--unit-dir`, else the user manager's folder, else /etc/systemd/system. */
function unitFile(place: UnitPlace, usage: (message: string) => Error): string {
  if (!NAME_PATTERN.test(place.name)) throw usage(`--name: "${place.name}" is not a unit name (letters, digits, . _ - @)`);
  const folder = place.unitDir ? resolve(place.unitDir)
    : place.userUnit ? join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user')
      : '/etc/systemd/system';
  return join(folder, `${place.name}.service`);
}

/** What ExecStart runs: this Node and this CLI script, or the one-file portal (its script is inside it). */
export function selfCommand(execPath = process.execPath, argv = process.argv): string[] {
  const script = argv[1];
  const isScript = script !== undefined && /\.(c|m)?js$/.test(script);
  return isScript ? [execPath, resolve(script)] : [execPath];
}

function systemctlExists(): boolean {
  return spawnSync('systemctl', ['--version'], { stdio: 'ignore' }).status === 0;
}

function systemctl(userUnit: boolean, args: string[], output: CliOutput): boolean {
  const full = userUnit ? ['--user', ...args] : args;
  const result = spawnSync('systemctl', full, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) output.err(`porthole: service: systemctl ${full.join(' ')} failed (exit ${result.status ?? result.signal})`);
  return result.status === 0;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function serviceCommand(output: CliOutput, usage: (message: string) => Error): Command {
  const service = new Command('service').description('install or remove a systemd unit running `porthole run -c <config>` headless (a portal or a bridge)');
  const placeOptions = (command: Command) => command
    .option('--name <name>', 'unit name', 'porthole')
    .option('--unit-dir <dir>', 'write the unit here instead of /etc/systemd/system')
    .option('--user-unit', 'a unit for `systemctl --user` (in ~/.config/systemd/user)');

  placeOptions(service.command('install'))
    .description('check the config, then write <name>.service (prints the systemctl line; runs it with --now)')
    .addOption(new Option('-c, --config <file>', 'config file (repeat to merge several)').argParser(collect).default([] as string[], 'none'))
    .option('--user <user>', 'run as this user (system units; ports below 1024 still work through CAP_NET_BIND_SERVICE)')
    .option('--metrics [host:port]', 'also pass --metrics to porthole run')
    .option('--now', 'run systemctl daemon-reload and enable --now after writing')
    .action((options: { config: string[]; name: string; unitDir?: string; userUnit?: boolean; user?: string; metrics?: string | boolean; now?: boolean }) => {
      if (options.config.length === 0) throw usage('service install: no config file given: pass -c FILE');
      if (options.user && options.userUnit) throw usage('--user is for system units; a --user-unit runs as you');
      const files = options.config.map((file) => resolve(file));
      // The same check as `porthole test`: a bad file fails here with its file:line:column, not at boot.
      const config = loadConfigFiles(files);
      const file = unitFile(options, usage);
      const writable = writablePathsOf(config);
      const runArgs = options.metrics === undefined ? [] : options.metrics === true ? ['--metrics'] : ['--metrics', String(options.metrics)];
      const text = systemdUnit({ command: selfCommand(), configFiles: files, user: options.user, userUnit: options.userUnit === true, writablePaths: writable, runArgs });
      const replaced = existsSync(file);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, text, { mode: 0o644 });
      output.out(`${replaced ? 'replaced' : 'wrote'} ${file}`);
      for (const path of writable) if (!existsSync(path)) output.out(`note: make ${path} writable by ${options.user ?? 'the service user'}: the unit lets the engine write only there`);
      const ctl = options.userUnit ? 'systemctl --user' : 'systemctl';
      const line = `${ctl} daemon-reload && ${ctl} enable --now ${options.name}`;
      if (!options.now) {
        output.out(`to start it now and at boot: ${line}`);
        return;
      }
      if (!systemctlExists()) {
        output.out(`systemctl is not here; on the target machine run: ${line}`);
        return;
      }
      if (systemctl(options.userUnit === true, ['daemon-reload'], output) && systemctl(options.userUnit === true, ['enable', '--now', options.name], output)) {
        output.out(`started ${options.name}; logs: journalctl ${options.userUnit ? '--user ' : ''}-u ${options.name} -f`);
      }
    });

  placeOptions(service.command('uninstall'))
    .description('remove <name>.service and its enable links (prints the systemctl line; runs it with --now)')
    .option('--now', 'run systemctl disable --now first and daemon-reload after')
    .action((options: UnitPlace & { now?: boolean }) => {
      const file = unitFile(options, usage);
      const userUnit = options.userUnit === true;
      const ctl = userUnit ? 'systemctl --user' : 'systemctl';
      if (!existsSync(file)) {
        output.out(`no unit at ${file}: nothing to remove`);
        return;
      }
      const run = options.now === true && systemctlExists();
      if (run) systemctl(userUnit, ['disable', '--now', options.name], output);
      rmSync(file);
      // What `systemctl disable` removes, in case it was not run: the enable link beside the unit.
      rmSync(join(file, '..', `${userUnit ? 'default' : 'multi-user'}.target.wants`, `${options.name}.service`), { force: true });
      output.out(`removed ${file}`);
      if (run) systemctl(userUnit, ['daemon-reload'], output);
      else output.out(`to stop it if it still runs: ${ctl} stop ${options.name} && ${ctl} daemon-reload`);
    });
  return service;
}
