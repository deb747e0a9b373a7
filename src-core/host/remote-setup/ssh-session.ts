/**
 * One SSH login to the server (the kept `ssh2` library): connect with the ssh-agent or a key file
 * (never a password), run a command and get its exit code, stdout and stderr, and stream a file
 * to the server gzip'd through an exec channel. The host key goes to `checkHostKey` during the
 * handshake, before any credential is sent; a key it refuses ends the connection there.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createRequire } from 'node:module';
import type ssh2 from 'ssh2';
import type { RemoteServerTarget } from '../api/index.js';
import { fingerprintOf, type HostKeyFingerprint } from './host-key.js';
import { keyFileName, readKeyFile } from './key-file.js';

/**
 * ssh2 is loaded on first use, through a `require` bundlers do not follow: the one-file portal
 * bundles the CLI (which reaches this service) but never logs in anywhere, and ssh2's optional
 * native addons would stop its bundle.
 */
let loaded: typeof ssh2 | undefined;
function ssh(): typeof ssh2 {
  if (!loaded) {
    try {
      loaded = createRequire(import.meta.url)('ssh2') as typeof ssh2;
    } catch (error) {
      throw new SshError('unreachable', `SSH is not available in this build of Porthole (${(error as Error).message.split('\n')[0]})`);
    }
  }
  return loaded;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A failure with the one line the step shows; `kind` tells the runner what the user can do. */
export class SshError extends Error {
  constructor(readonly kind: 'unreachable' | 'host-key' | 'auth' | 'passphrase' | 'timeout' | 'closed', message: string) {
    super(message);
    this.name = 'SshError';
  }
}

export interface ConnectOptions {
  target: RemoteServerTarget & { port: number };
  /** Called with the key the server presented; false refuses it (the login stops before auth). */
  checkHostKey(key: HostKeyFingerprint): boolean;
  readyTimeoutMs?: number;
}

const OUTPUT_CAP = 1 << 20;

async function credentials(target: RemoteServerTarget): Promise<Partial<ssh2.ConnectConfig>> {
  if (target.auth.kind === 'agent') {
    const socket = process.env.SSH_AUTH_SOCK;
    if (!socket) throw new SshError('auth', 'no ssh-agent is running here (SSH_AUTH_SOCK is not set): start one and add your key (ssh-add), or choose a key file');
    return { agent: socket, authHandler: ['agent'] };
  }
  const { passphrase } = target.auth;
  const keyFile = keyFileName(target.auth.keyFile);
  let data: Buffer;
  try {
    data = await readKeyFile(target.auth.keyFile);
  } catch (error) {
    throw new SshError('auth', (error as Error).message);
  }
  // Parsed here first so that a missing or wrong passphrase is named as such, not as "refused".
  const parsed = ssh().utils.parseKey(data, passphrase);
  if (parsed instanceof Error) {
    if (/passphrase|encrypted|decrypt/i.test(parsed.message)) {
      throw new SshError('passphrase', passphrase
        ? `the passphrase for ${keyFile} is wrong: retry with the right one`
        : `${keyFile} is protected by a passphrase: retry with it (it is kept in memory for this run only)`);
    }
    throw new SshError('auth', `${keyFile} is not a private key ssh can use: ${parsed.message}`);
  }
  return { privateKey: data, ...(passphrase ? { passphrase } : {}), authHandler: ['publickey'] };
}

export class SshSession {
  private closed = false;

  private constructor(private readonly client: ssh2.Client) {
    client.on('close', () => { this.closed = true; });
    client.on('error', () => { this.closed = true; });
  }

  get alive(): boolean {
    return !this.closed;
  }

  static async connect(options: ConnectOptions): Promise<SshSession> {
    const { target } = options;
    const auth = await credentials(target);
    const client = new (ssh().Client)();
    let refusedKey = false;
    return new Promise<SshSession>((resolve, reject) => {
      const where = `${target.host}:${target.port}`;
      client.once('ready', () => resolve(new SshSession(client)));
      client.once('error', (error: Error & { level?: string; code?: string }) => {
        client.end();
        if (refusedKey) return reject(new SshError('host-key', `the host key of ${where} was not accepted`));
        if (error.level === 'client-authentication') {
          const how = target.auth.kind === 'agent' ? 'none of the ssh-agent\'s keys' : `the key ${target.auth.keyFile}`;
          return reject(new SshError('auth', `${target.user}@${where} refused ${how}: add its public key to ~${target.user}/.ssh/authorized_keys on the server (passwords are never used)`));
        }
        if (error.level === 'client-timeout' || /timed out/i.test(error.message)) return reject(new SshError('timeout', `${where} did not finish the SSH handshake in time: is it an SSH server, and is the port right?`));
        const code = error.code ? `${error.code}` : error.message;
        const hint = error.code === 'ECONNREFUSED' ? ': nothing listens there (is sshd running, and is the port right?)' : error.code === 'ENOTFOUND' ? ': no such host name' : '';
        reject(new SshError('unreachable', `could not reach ${where}: ${code}${hint}`));
      });
      // A server that hangs up without an error (an early drop under load) must not leave the step waiting forever.
      client.once('close', () => {
        if (refusedKey) return reject(new SshError('host-key', `the host key of ${where} was not accepted`));
        reject(new SshError('unreachable', `${where} closed the connection before the login finished: retry`));
      });
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        readyTimeout: options.readyTimeoutMs ?? 20_000,
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        ...auth,
        hostVerifier: (key: Buffer) => {
          const accepted = options.checkHostKey(fingerprintOf(key));
          refusedKey = !accepted;
          return accepted;
        },
      });
    });
  }

  /** Runs `command` with `sh` on the server; `stdin` is written then closed. Never rejects for a non-zero exit. */
  exec(command: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.channel(command, options.timeoutMs ?? 60_000, async (stream) => {
      stream.end(options.stdin ?? '');
    });
  }

  /**
   * Streams `localFile` gzip'd into `command`'s stdin (which should be `gzip -dc > …` on the
   * server): the 108 MiB portal is mostly code and compresses to about a third.
   */
  upload(localFile: string, command: string, options: { timeoutMs?: number; gzip: boolean; onProgress?: (bytesRead: number) => void }): Promise<ExecResult> {
    return this.channel(command, options.timeoutMs ?? 600_000, async (stream) => {
      const source = createReadStream(localFile, { highWaterMark: 1 << 20 });
      // Bytes of the file read so far: they leave as fast as the channel takes them (backpressure).
      if (options.onProgress) source.on('data', () => options.onProgress?.(source.bytesRead));
      if (options.gzip) await pipeline(source, createGzip({ level: 1, chunkSize: 1 << 16 }), stream);
      else await pipeline(source, stream);
    });
  }

  private channel(command: string, timeoutMs: number, feed: (stream: ssh2.ClientChannel) => Promise<void>): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new SshError('closed', 'the SSH connection was closed: retry to log in again'));
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, (error, stream) => {
        if (error) return reject(new SshError('closed', `the server would not run a command: ${error.message}: retry`));
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        let feedError: Error | undefined;
        const timer = setTimeout(() => {
          stream.close();
          reject(new SshError('timeout', `a command on the server did not finish in ${Math.round(timeoutMs / 1000)} s: retry`));
        }, timeoutMs);
        stream.on('data', (chunk: Buffer) => { if (stdout.length < OUTPUT_CAP) stdout += chunk.toString('utf8'); });
        stream.stderr.on('data', (chunk: Buffer) => { if (stderr.length < OUTPUT_CAP) stderr += chunk.toString('utf8'); });
        stream.on('exit', (exitCode: number | null) => { code = exitCode; });
        stream.on('close', () => {
          clearTimeout(timer);
          // A command that stops reading (mkdir refused, disk full) breaks the feed: its own exit and stderr say why.
          if (feedError && code === 0) resolve({ code: null, stdout, stderr: `${stderr}sending to the server failed: ${feedError.message}` });
          else resolve({ code, stdout, stderr });
        });
        feed(stream).catch((error: Error) => {
          feedError = error;
          stream.close();
        });
      });
    });
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }
}
