/**
 * Let's Encrypt's test CA on loopback for the certificate tests: `pebble-challtestsrv` as the only
 * DNS server (every name is 127.0.0.1, its own challenge servers off) and `pebble` validating
 * HTTP-01 against the caller's port. Pebble's HTTPS certificate is a throwaway one made with
 * openssl; the caller trusts it as the ACME server's CA bundle. Debian package `pebble`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { freePort, freeTcpUdpPorts, waitForPort, waitUntil } from '../../../../../../test/support/ports.js';
import { createCertificateFolder, openSslAvailable } from '../../../../transport/internet/testdata/certs.js';

const PEBBLE = '/usr/bin/pebble';
const CHALLTESTSRV = '/usr/bin/pebble-challtestsrv';

/** Why the Pebble tests cannot run here, or undefined when they can. */
export function pebbleMissingReason(): string | undefined {
  if (!existsSync(PEBBLE) || !existsSync(CHALLTESTSRV)) return `${PEBBLE} or ${CHALLTESTSRV} is absent (Debian package pebble; .ci/run installs it)`;
  if (!openSslAvailable()) return 'openssl is absent (it makes Pebble\'s HTTPS certificate)';
  return undefined;
}

export interface RunningPebble {
  readonly directoryUrl: string;
  /** Pebble's own HTTPS certificate: the CA bundle for the ACME client. */
  readonly httpsCaPem: string;
  /** The same as a file (`acme.caFile`), readable by this user only. */
  readonly httpsCaFile: string;
  /** How many new-order requests Pebble has received so far. */
  orderCount(): number;
  /** Pebble's root for issued certificates (management API `/roots/0`): made fresh at each start. */
  rootPem(): Promise<string>;
  stop(): Promise<void>;
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  const read = (chunk: Buffer): void => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  };
  child.stdout?.on('data', read);
  child.stderr?.on('data', read);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/** Starts challtestsrv and pebble; Pebble validates HTTP-01 on 127.0.0.1:`httpPort`. */
export async function startPebble(options: { httpPort: number }): Promise<RunningPebble> {
  const certs = createCertificateFolder();
  const tls = certs.make('pebble', 'localhost');
  const [dnsPort] = await freeTcpUdpPorts(1);
  const [dnsManagementPort, listenPort, managementPort, tlsAlpnPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const log: string[] = [];
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) await stopProcess(child);
    certs.remove();
  };
  try {
    children.push(startProcess(CHALLTESTSRV, [
      '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '',
      '-http01', '', '-https01', '', '-tlsalpn01', '',
      '-dns01', `127.0.0.1:${dnsPort}`, '-management', `127.0.0.1:${dnsManagementPort}`,
    ], {}, (line) => log.push(line)));
    await waitForPort(dnsPort!);

    const configFile = join(dirname(tls.certFile), 'pebble-config.json');
    writeFileSync(configFile, JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listenPort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: tls.certFile,
        privateKey: tls.keyFile,
        httpPort: options.httpPort,
        tlsPort: tlsAlpnPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }));
    children.push(startProcess(PEBBLE, ['-config', configFile, '-dnsserver', `127.0.0.1:${dnsPort}`], {
      PEBBLE_VA_NOSLEEP: '1', // validate at once instead of after a random pause
      PEBBLE_WFE_NONCEREJECT: '0', // no random badNonce answers
      PEBBLE_VA_ALWAYS_VALID: '0', // really fetch the HTTP-01 answer
      PEBBLE_AUTHZREUSE: '0', // every order validates again, renewals included
    }, (line) => log.push(line)));
    await waitUntil(() => log.some((line) => line.includes('ACME directory available')), 15_000, `pebble to start:\n${log.join('\n')}`);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    directoryUrl: `https://127.0.0.1:${listenPort}/dir`,
    httpsCaPem: tls.certPem,
    httpsCaFile: tls.certFile,
    orderCount: () => log.filter((line) => line.includes('POST /order-plz')).length,
    rootPem: () => new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: managementPort, path: '/roots/0', ca: tls.certPem, servername: 'localhost' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { body += chunk; });
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`pebble /roots/0: HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    }),
    stop,
  };
}
