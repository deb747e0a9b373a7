/**
 * Tiny ACME servers on loopback for what Pebble cannot do. One answers every new account with
 * RFC 8555's rateLimited problem (HTTP 429 and a Retry-After), as Let's Encrypt does past its
 * limits: the issuer must report one line with the retry time at once, not sleep out the
 * Retry-After inside acme-client. Another takes connections and never answers: an order ends at
 * the request timeout, and closing the manager cancels it at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import type { ComponentLogger } from '../../../features/log.js';
import { AcmeIssueError, AcmeIssuer, RATE_LIMITED_PROBLEM } from './acme-issuer.js';
import { CertificateManager } from './certificate-manager.js';
import { createEcdsaKeyPem } from './certificate-store.js';
import { HttpChallenges } from './http-challenges.js';

const silent: ComponentLogger = { debug() {}, info() {}, warning() {}, error() {}, summarised() {}, enabled: () => false, access() {} };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startRateLimitedCa(): Promise<{ directoryUrl: string; accountRequests: () => number }> {
  let accountRequests = 0;
  const server: Server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    if (req.url === '/dir') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order` }));
    } else if (req.url === '/nonce') {
      res.writeHead(200, { 'replay-nonce': `n${Date.now()}`, 'cache-control': 'no-store' }).end();
    } else {
      if (req.url === '/account') accountRequests++;
      req.resume();
      res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '3600', 'replay-nonce': 'n2' });
      res.end(JSON.stringify({ type: RATE_LIMITED_PROBLEM, detail: 'too many new registrations (10) from this IP address\nin the last 3h0m0s', status: 429 }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { directoryUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/dir`, accountRequests: () => accountRequests };
}

test('a rateLimited answer fails the order at once with one line that names the retry time', async () => {
  const ca = await startRateLimitedCa();
  const now = Date.parse('2030-01-02T03:04:05.000Z');
  const issuer = new AcmeIssuer({ directoryUrl: ca.directoryUrl, accountKeyPem: createEcdsaKeyPem(), challenges: new HttpChallenges(), log: silent, now: () => now });
  cleanups.push(() => issuer.dispose());

  const failure = await issuer.issue('app.example.test', createEcdsaKeyPem()).then(() => undefined, (error: unknown) => error);
  expect(failure).toBeInstanceOf(AcmeIssueError);
  const { kind, message, retryAt } = failure as AcmeIssueError;
  expect({ kind, message, retryAt }).toEqual({
    kind: 'rate-limited',
    message: 'rate limited by the CA until 2030-01-02T04:04:05.000Z: too many new registrations (10) from this IP address in the last 3h0m0s',
    retryAt: new Date(now + 3600_000),
  });
  expect(ca.accountRequests()).toBe(1); // asked once: no retry loop inside acme-client
});

test('the manager reports a rate limit as a failed status that waits for the CA\'s retry time', async () => {
  const ca = await startRateLimitedCa();
  const folder = mkdtempSync(join(tmpdir(), 'porthole-acme-'));
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  const now = Date.parse('2030-01-02T03:04:05.000Z');
  const warnings: string[] = [];
  const manager = await CertificateManager.open({
    directory: folder,
    acme: { directoryUrl: ca.directoryUrl },
    log: { ...silent, warning: (line) => { warnings.push(line); } },
    retry: { minMs: 60_000, maxMs: 60_000 },
    now: () => now,
  });
  cleanups.push(() => manager.close());

  const status = await manager.ensure('app.example.test');
  expect(status).toEqual({
    hostname: 'app.example.test',
    state: 'failed',
    source: 'acme',
    reason: 'rate limited by the CA until 2030-01-02T04:04:05.000Z: too many new registrations (10) from this IP address in the last 3h0m0s',
    retryAt: new Date(now + 3600_000), // the Retry-After, longer than the backoff
  });
  expect(warnings).toEqual([`${status.reason} (next try at 2030-01-02T04:04:05.000Z)`]);
  expect(await manager.ensure('app.example.test')).toEqual(status);
  expect(ca.accountRequests()).toBe(1);
});

/** A CA that takes connections and never answers (an overloaded or broken front end). */
async function startSilentCa(): Promise<{ directoryUrl: string }> {
  const held = new Set<Socket>();
  const server: Server = createServer(() => { /* never answers */ });
  server.on('connection', (socket) => { held.add(socket); socket.once('close', () => held.delete(socket)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const socket of held) socket.destroy();
    server.close(() => resolve());
  }));
  return { directoryUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/dir` };
}

test('a CA that never answers fails the order after the request timeout, naming it', async () => {
  const ca = await startSilentCa();
  const issuer = new AcmeIssuer({ directoryUrl: ca.directoryUrl, accountKeyPem: createEcdsaKeyPem(), challenges: new HttpChallenges(), log: silent, requestTimeoutMs: 300 });
  cleanups.push(() => issuer.dispose());
  const failure = await issuer.issue('app.example.test', createEcdsaKeyPem()).then(() => undefined, (error: unknown) => error);
  expect(failure).toBeInstanceOf(AcmeIssueError);
  expect((failure as AcmeIssueError).message).toBe(`order for app.example.test failed: no answer from ${new URL(ca.directoryUrl).origin} within 300 ms`);
});

test('closing the manager cancels an order that waits on a silent CA: the stop is not held, and says nothing went wrong', async () => {
  const ca = await startSilentCa();
  const folder = mkdtempSync(join(tmpdir(), 'porthole-acme-'));
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  const warnings: string[] = [];
  // A minute per request: only the cancel can end this order within the test's time.
  const manager = await CertificateManager.open({ directory: folder, acme: { directoryUrl: ca.directoryUrl, requestTimeoutMs: 60_000 }, log: { ...silent, warning: (line) => { warnings.push(line); } } });
  const order = manager.ensure('app.example.test');
  await new Promise((resolve) => setTimeout(resolve, 200));
  await manager.close();
  expect((await order).state).toBe('failed');
  expect(warnings).toEqual([]);
}, 15_000);
