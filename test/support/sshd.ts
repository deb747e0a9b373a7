/**
 * A real OpenSSH server on 127.0.0.1 for "Set up my server" tests (Debian's `openssh-server`):
 * its own fresh host key, a fresh client key pair, and an "empty server user". As root (CI), that
 * user is a throwaway account made for this server (`useradd`, `porthole-ssh-<hex>`) and deleted
 * by `stop()`; otherwise sshd runs as the current user (`UsePAM no`, `StrictModes no`)
 * with HOME pointed at a fresh folder, so nothing lands in the real home.
 *
 * No systemd runs here: `systemctl`, `loginctl` and `journalctl` on the session's PATH are
 * stand-ins (test/support/sshd/) that really start a unit's ExecStart in the background. The
 * upload, the config and the start of the real portal binary are real.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from './ports.js';

export const SSHD = '/usr/sbin/sshd';
/** Throwaway accounts made when the tests run as root start with this. */
export const TEST_USER_PREFIX = 'porthole-ssh-';
const SHIMS = ['systemctl', 'loginctl', 'journalctl'];
const SHIM_SOURCE = fileURLToPath(new URL('./sshd/', import.meta.url));

export interface TestSshServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  /** The server user's home (emptied for this server). */
  home: string;
  /** The client's private key file (ed25519, no passphrase). */
  keyFile: string;
  /** The host key's public line as sshd has it now (`ssh-ed25519 AAAA… comment`). */
  readonly hostPublicKey: string;
  /** What `startRemoteSetup` takes (key auth with `keyFile`). */
  target: { host: string; port: number; user: string; auth: { kind: 'key'; keyFile: string } };
  /** Lets one more public key (an OpenSSH `.pub` line) log in. */
  authorize(publicKeyLine: string): void;
  /** Runs a shell command as the server user (not over SSH), for checks and for breaking things on purpose. */
  runAsUser(command: string): { status: number | null; stdout: string; stderr: string };
  /** Makes a new host key and restarts sshd on the same port (a "changed host key"). */
  changeHostKey(): Promise<void>;
  /** Pids the systemctl stand-in started, by unit (`user-porthole-portal.service`). */
  runningUnits(): Record<string, number>;
  /** Kills what the stand-in started and sshd, removes the folders. Idempotent. */
  stop(): Promise<void>;
}

/** Why the tests cannot run here (sshd or ssh-keygen missing), else null. */
export function sshdMissing(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} is missing: install Debian's openssh-server (apt-get install openssh-server)`;
  if (spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error) return 'ssh-keygen is missing: install Debian\'s openssh-client';
  return null;
}

function run(command: string, args: string[], options: { input?: string; user?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const [file, argv] = options.user ? ['runuser', ['-u', options.user, '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8', input: options.input ?? '', timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function must(command: string, args: string[], options: { user?: string } = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * As root: a throwaway account of its own (`porthole-ssh-<hex>`), so that test files and the e2e
 * spec running at the same time never share a home; `stop()` deletes it. Else the current user
 * with a fresh HOME.
 */
function emptyServerUser(folder: string): { user: string; home: string; uid: number; gid: number } {
  if (!isRoot()) {
    const home = join(folder, 'home');
    mkdirSync(home, { mode: 0o755 });
    const info = userInfo();
    return { user: info.username, home, uid: info.uid, gid: info.gid };
  }
  const user = `${TEST_USER_PREFIX}${randomBytes(4).toString('hex')}`;
  // '*' rather than useradd's locked '!': sshd without PAM refuses a locked account even for keys.
  must('useradd', ['-m', '-s', '/bin/sh', '-p', '*', user]);
  const uid = Number(must('id', ['-u', user]).trim());
  const gid = Number(must('id', ['-g', user]).trim());
  const home = must('getent', ['passwd', user]).split(':')[5] ?? `/home/${user}`;
  // An empty server account: nothing from /etc/skel either.
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { mode: 0o755 });
  must('chown', [`${uid}:${gid}`, home]);
  return { user, home, uid, gid };
}

function keygen(file: string, comment: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

export interface TestSshServerOptions {
  /** Puts a `ufw` on the session's PATH that, as on a real server, only root may use. */
  ufw?: boolean;
}

/** Starts sshd on a free 127.0.0.1 port; throws with a clear line when sshd is missing. */
export async function startTestSshServer(options: TestSshServerOptions = {}): Promise<TestSshServer> {
  const missing = sshdMissing();
  if (missing) throw new Error(`Set up my server tests need a real OpenSSH server: ${missing}`);
  const folder = mkdtempSync(join(tmpdir(), 'porthole-sshd-'));
  chmodSync(folder, 0o755);
  const account = emptyServerUser(folder);
  const bin = join(folder, 'bin');
  const shimState = join(folder, 'units');
  mkdirSync(bin, { mode: 0o755 });
  mkdirSync(shimState, { mode: 0o755 });
  for (const shim of SHIMS) {
    copyFileSync(join(SHIM_SOURCE, shim), join(bin, shim));
    chmodSync(join(bin, shim), 0o755);
  }
  if (options.ufw) {
    writeFileSync(join(bin, 'ufw'), '#!/bin/sh\n# ufw stand-in: the real one refuses anyone but root.\necho "ERROR: You need to be root to run this script" >&2\nexit 1\n', { mode: 0o755 });
  }
  if (isRoot()) {
    must('chown', [`${account.uid}:${account.gid}`, shimState]);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }
  const hostKey = join(folder, 'host_ed25519');
  const clientKey = join(folder, 'client_ed25519');
  keygen(hostKey, 'porthole test host');
  keygen(clientKey, 'porthole test client');
  chmodSync(clientKey, 0o600);
  const authorized = join(folder, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${clientKey}.pub`), { mode: 0o644 });

  const port = await freePort();
  const config = join(folder, 'sshd_config');
  const path = `${bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`;
  writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(folder, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorized}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    `AllowUsers ${account.user}`,
    // HOME matters when sshd runs as the current user: the "empty server" is a fresh folder.
    `SetEnv PATH=${path} HOME=${account.home} PORTHOLE_SHIM_STATE=${shimState}`,
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
    '',
  ].join('\n'));

  let sshd: ChildProcess | undefined;
  let output = '';
  const startSshd = async () => {
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000); });
    sshd = child;
    try {
      await waitForPort(port, '127.0.0.1', 10_000);
    } catch (error) {
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${output.trim() || (error as Error).message}`, { cause: error });
    }
  };
  const stopSshd = async () => {
    const child = sshd;
    sshd = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  await startSshd();

  const runningUnits = (): Record<string, number> => {
    const units: Record<string, number> = {};
    if (!existsSync(shimState)) return units;
    for (const file of readdirSync(shimState).filter((name) => name.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(shimState, file), 'utf8').trim());
      try {
        process.kill(pid, 0);
        units[file.slice(0, -'.pid'.length)] = pid;
      } catch { /* gone */ }
    }
    return units;
  };

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user: account.user,
    home: account.home,
    keyFile: clientKey,
    get hostPublicKey() {
      return readFileSync(`${hostKey}.pub`, 'utf8').trim();
    },
    target: { host: '127.0.0.1', port, user: account.user, auth: { kind: 'key', keyFile: clientKey } },
    authorize: (line) => appendFileSync(authorized, `${line.trim()}\n`),
    runAsUser: (command) => run('sh', ['-c', command], isRoot() ? { user: account.user } : {}),
    changeHostKey: async () => {
      await stopSshd();
      keygen(hostKey, 'porthole test host (changed)');
      await startSshd();
    },
    runningUnits,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const pid of Object.values(runningUnits())) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      await stopSshd();
      rmSync(folder, { recursive: true, force: true });
      if (isRoot()) {
        // Its sessions may take a moment to go after sshd: -f deletes the account regardless.
        run('userdel', ['-r', '-f', account.user]);
        rmSync(account.home, { recursive: true, force: true });
      }
    },
  };
}
