/**
 * Issuance and renewal end to end against Pebble, Let's Encrypt's test CA, on loopback: the
 * manager orders, Pebble fetches the HTTP-01 answer from a node:http server that asks the
 * manager, and the certificate is then served by a real TLS server and checked by a real client
 * trusting Pebble's root. Orders are counted on Pebble's side, from its log.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { freePort, waitUntil } from '../../../../../test/support/ports.js';
import type { ComponentLogger } from '../../../features/log.js';
import type { HttpChallengeResponder } from '../certificate-source.js';
import { CertificateManager, type CertificateManagerOptions } from './certificate-manager.js';
import { pebbleMissingReason, startPebble, type RunningPebble } from './testdata/pebble.js';

const missing = pebbleMissingReason();
const CHALLENGE_PATH = '/.well-known/acme-challenge/';
const TEN_YEARS_MS = 10 * 365 * 24 * 60 * 60 * 1000;

function recordingLogger(lines: string[]): ComponentLogger {
  const write = (level: string) => (message: string) => { lines.push(`${level}: ${message}`); };
  return { debug: write('debug'), info: write('info'), warning: write('warning'), error: write('error'), summarised: (level, _key, message) => { lines.push(`${level}: ${message}`); }, enabled: () => true, access() {} };
}

/** Names the challenge server answers wrongly for, besides every name starting with `fail.`. */
const answerWronglyFor = new Set<string>();
/** Requests for names starting with `held.` are answered only when the test says: the CA's validation stays pending meanwhile. */
const heldRequests = new Map<ServerResponse, string>();

/** The node:http side of HTTP-01: answers from `responder`, or wrongly for names starting with `fail.`. */
function startChallengeServer(port: number, current: () => HttpChallengeResponder | undefined): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const answer = url.startsWith(CHALLENGE_PATH) ? current()?.keyAuthorization(url.slice(CHALLENGE_PATH.length)) : undefined;
    if (answer === undefined) {
      res.writeHead(404).end();
      return;
    }
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (host.startsWith('held.')) {
      heldRequests.set(res, answer);
      res.once('close', () => heldRequests.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(host.startsWith('fail.') || answerWronglyFor.has(host) ? 'not-the-key-authorization' : answer);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function splitPem(chain: string): X509Certificate[] {
  return (chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
}

describe.skipIf(missing !== undefined)(`certificates from Pebble on loopback${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let pebble: RunningPebble;
  let challengeServer: Server;
  let responder: HttpChallengeResponder | undefined;
  let rootPem: string;
  const folders: string[] = [];
  const managers: CertificateManager[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const httpPort = await freePort();
    challengeServer = await startChallengeServer(httpPort, () => responder);
    pebble = await startPebble({ httpPort });
    rootPem = await pebble.rootPem();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const manager of managers.splice(0)) await manager.close();
    responder = undefined;
  });

  afterAll(async () => {
    await pebble?.stop();
    await new Promise((resolve) => challengeServer?.close(resolve));
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  function newFolder(): string {
    const folder = join(mkdtempSync(join(tmpdir(), 'porthole-acme-')), 'certs');
    folders.push(join(folder, '..'));
    return folder;
  }

  async function openManager(directory: string, lines: string[] = [], extra: Partial<CertificateManagerOptions> = {}): Promise<CertificateManager> {
    const manager = await CertificateManager.open({
      directory,
      acme: { directoryUrl: pebble.directoryUrl, caBundle: pebble.httpsCaPem, email: 'owner@example.test', poll: { minMs: 100, maxMs: 1_000, attempts: 20 } },
      log: recordingLogger(lines),
      retry: { minMs: 60_000, maxMs: 60_000 },
      ...extra,
    });
    managers.push(manager);
    responder = manager;
    return manager;
  }

  async function serveOverTls(manager: CertificateManager): Promise<number> {
    const server: TlsServer = createTlsServer({ SNICallback: (name, callback) => callback(null, manager.contextFor(name)) }, (socket) => socket.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    return (server.address() as { port: number }).port;
  }

  function handshake(port: number, servername: string): Promise<{ authorized: boolean; serial: string; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca: rootPem }, () => {
        const serial = socket.getPeerCertificate().serialNumber;
        let body = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => { body += chunk; });
        socket.on('end', () => resolve({ authorized: socket.authorized, serial, body }));
      });
      socket.on('error', reject);
    });
  }

  test('issues app.example.test, serves it over TLS to a client trusting Pebble\'s root, keeps it across a restart and renews it', async () => {
    const directory = newFolder();
    const lines: string[] = [];
    const manager = await openManager(directory, lines);
    const ordersBefore = pebble.orderCount();

    const issued = await manager.ensure('app.example.test');
    expect(issued, lines.join('\n')).toMatchObject({ hostname: 'app.example.test', state: 'issued', source: 'acme' });
    expect(pebble.orderCount()).toBe(ordersBefore + 1);
    expect(manager.status('App.Example.Test')).toEqual(issued);

    // The chain: leaf ← Pebble's intermediate ← the root its management API hands out.
    const chainFile = join(directory, 'certificates', 'app.example.test', 'fullchain.pem');
    const [leaf, intermediate] = splitPem(readFileSync(chainFile, 'utf8'));
    const root = new X509Certificate(rootPem);
    expect(leaf!.subjectAltName).toBe('DNS:app.example.test');
    expect(leaf!.serialNumber).toBe(issued.serialNumber);
    expect(leaf!.verify(intermediate!.publicKey) && intermediate!.verify(root.publicKey)).toBe(true);
    expect(leaf!.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    // Served by a real TLS server through SNI, checked by a real client.
    const port = await serveOverTls(manager);
    expect(await handshake(port, 'app.example.test')).toEqual({ authorized: true, serial: issued.serialNumber, body: 'hello' });

    // Safe permissions: the folder 0700, private keys 0600.
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    expect(statSync(join(directory, 'certificates', 'app.example.test', 'key.pem')).mode & 0o777).toBe(0o600);
    const [account] = readdirSync(join(directory, 'accounts'));
    expect(statSync(join(directory, 'accounts', account!, 'account-key.pem')).mode & 0o777).toBe(0o600);
    await manager.close();

    // A restart from the same folder serves the stored certificate and orders nothing.
    const restarted = await openManager(directory);
    expect(restarted.status('app.example.test')).toMatchObject({ state: 'issued', serialNumber: issued.serialNumber });
    expect(await restarted.ensure('app.example.test')).toMatchObject({ state: 'issued', serialNumber: issued.serialNumber });
    expect(pebble.orderCount()).toBe(ordersBefore + 1);
    await restarted.close();

    // With the threshold above the lifetime it is due: a new order, a new serial, served at once.
    const renewing = await openManager(directory, lines, { renewBeforeMs: TEN_YEARS_MS });
    const renewed = await renewing.ensure('app.example.test');
    expect(renewed).toMatchObject({ state: 'issued' });
    expect(renewed.serialNumber).not.toBe(issued.serialNumber);
    expect(pebble.orderCount()).toBe(ordersBefore + 2);
    const renewedPort = await serveOverTls(renewing);
    expect(await handshake(renewedPort, 'app.example.test')).toEqual({ authorized: true, serial: renewed.serialNumber, body: 'hello' });
    expect(new X509Certificate(readFileSync(chainFile, 'utf8')).serialNumber).toBe(renewed.serialNumber);
    expect(statSync(join(directory, 'certificates', 'app.example.test', 'key.pem')).mode & 0o777).toBe(0o600);
  });

  test('a failed validation is reported with the CA\'s reason and not ordered again before its retry time', async () => {
    const lines: string[] = [];
    const manager = await openManager(newFolder(), lines);
    const ordersBefore = pebble.orderCount();

    const failed = await manager.ensure('fail.example.test');
    expect(failed).toMatchObject({ hostname: 'fail.example.test', state: 'failed', source: 'acme' });
    expect(failed.reason).toMatch(/^validation of fail\.example\.test failed: .*key authorization/i);
    expect(failed.reason).not.toContain('\n');
    expect(failed.retryAt!.getTime()).toBeGreaterThan(Date.now());
    expect(manager.status('fail.example.test')).toEqual(failed);
    expect(manager.contextFor('fail.example.test')).toBeUndefined();
    expect(lines.some((line) => line.startsWith('warning: validation of fail.example.test failed'))).toBe(true);

    expect(await manager.ensure('fail.example.test')).toEqual(failed);
    expect(pebble.orderCount()).toBe(ordersBefore + 1);
  });

  test('close() during a validation ends the order at once, without waiting for the CA', async () => {
    const lines: string[] = [];
    // acme-client's default schedule (1 s doubling to 15 s, 12 tries): its own loop held a close for minutes.
    const manager = await openManager(newFolder(), lines, { acme: { directoryUrl: pebble.directoryUrl, caBundle: pebble.httpsCaPem } });
    const ordered = manager.ensure('held.example.test');
    await waitUntil(() => heldRequests.size > 0, 15_000, `Pebble to fetch the held challenge (${lines.join('; ')})`);
    await manager.close();
    // Pebble still waits for the held answer: the close did not wait for the CA to give up.
    expect(heldRequests.size).toBeGreaterThan(0);
    expect(await ordered).toMatchObject({ hostname: 'held.example.test' });
    expect(lines.filter((line) => line.startsWith('warning:'))).toEqual([]);
    // Answered, not dropped: after a dropped fetch the next test's order waited on Pebble past its 15 s.
    for (const [res, answer] of heldRequests) res.end(answer);
  });

  test('concurrent ensure() calls for one name share one order', async () => {
    const manager = await openManager(newFolder());
    const ordersBefore = pebble.orderCount();
    const pending = Array.from({ length: 5 }, () => manager.ensure('together.example.test'));
    expect(manager.status('together.example.test')).toMatchObject({ state: 'pending' });
    const results = await Promise.all(pending);
    expect(new Set(results.map((result) => result.serialNumber)).size).toBe(1);
    expect(results[0]).toMatchObject({ state: 'issued' });
    expect(pebble.orderCount()).toBe(ordersBefore + 1);
  });

  test('a retry timer that fires before the retry time by the manager\'s clock waits out the rest, then orders', async () => {
    answerWronglyFor.add('early.example.test');
    let offset = 0;
    const lines: string[] = [];
    const manager = await openManager(newFolder(), lines, { retry: { minMs: 300, maxMs: 300 }, now: () => Date.now() + offset });
    expect(await manager.ensure('early.example.test')).toMatchObject({ state: 'failed' });
    answerWronglyFor.delete('early.example.test');
    // The clock falls back 200 ms: the timer, set for 300 ms, now fires 200 ms early by it (as a timer
    // counted from the loop's cached time can, by a few ms, on a busy machine).
    offset = -200;
    await waitUntil(() => manager.status('early.example.test')?.state === 'issued', 15_000, () => `the retry to issue (now ${JSON.stringify(manager.status('early.example.test'))}; ${lines.join('; ')})`);
  });

  test('the retry timer orders again after a failure, and the renewal timer renews when due', async () => {
    answerWronglyFor.add('later.example.test');
    const lines: string[] = [];
    const manager = await openManager(newFolder(), lines, { retry: { minMs: 200, maxMs: 200 } });
    const ordersBefore = pebble.orderCount();
    expect(await manager.ensure('later.example.test')).toMatchObject({ state: 'failed' });
    answerWronglyFor.delete('later.example.test');
    await waitUntil(() => manager.status('later.example.test')?.state === 'issued', 15_000, () => `the retry to issue (now ${JSON.stringify(manager.status('later.example.test'))}; ${lines.join('; ')})`);
    expect(manager.status('later.example.test')!.reason).toBeUndefined();
    expect(pebble.orderCount()).toBe(ordersBefore + 2);
    await manager.close();

    const renewing = await openManager(newFolder(), [], { retry: { minMs: 200, maxMs: 200 }, renewBeforeMs: TEN_YEARS_MS });
    const first = await renewing.ensure('renew.example.test');
    await waitUntil(() => renewing.status('renew.example.test')?.serialNumber !== first.serialNumber, 15_000, 'the renewal timer');
    expect(renewing.status('renew.example.test')).toMatchObject({ state: 'issued' });
  });
});
