/**
 * An exposure belongs to the bridge that asked for it (docs/exposures.md, "Whose exposure it is"):
 * two Porthole bridges, each authenticated by its own VMess user, share one Porthole portal on
 * 127.0.0.1 sockets. Each exposes its own local service; every connection to A's public port must
 * reach A's service and none B's, whoever is least loaded; B cannot withdraw or replace A's
 * exposure by sending A's id; and each user may hold only `maxPerUser` exposures.
 *
 * Each bridge's `freedom` redirects everything it is not told about to its own service, so a
 * connection that wrongly reaches B answers "service B" and is counted.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import type { Instance } from '../../instance.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { startPeer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { startHttp, type RunningServer } from '../../../../test/support/upstream.js';
import type { ExposureSpec } from './exposure-agent.js';

const USER_A = '6d3c1a1e-0b4e-4a8e-9a55-3c1f5e0a0001';
const USER_B = '6d3c1a1e-0b4e-4a8e-9a55-3c1f5e0a0002';
const DOMAIN = 'reverse.porthole.test';
/** Connections to A's public port, all opened at once so the portal's least-loaded picker would spread them. */
const CONNECTIONS = 40;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function service(body: string): Promise<RunningServer> {
  const server = await startHttp(body);
  cleanups.push(() => server.close());
  return server;
}

async function run(name: string, config: object): Promise<RunningPeer> {
  const peer = await startPeer('porthole', loadConfig([{ name, text: JSON.stringify(config) }]));
  cleanups.push(() => peer.stop());
  return peer;
}

/** A Porthole portal with two VMess users (one with an email, one without) and a plain public port. */
async function startPortal(allowed: number[], maxPerUser?: number) {
  const [linkPort = 0, plainPort = 0] = await freePorts(2);
  const portal = await run('portal.json', {
    log: { loglevel: 'warning', access: 'none' },
    reverse: { portals: [{ tag: 'portal', domain: DOMAIN, exposures: { ports: allowed, listen: '127.0.0.1', ...(maxPerUser === undefined ? {} : { maxPerUser }) } }] },
    inbounds: [
      { tag: 'interconn', listen: '127.0.0.1', port: linkPort, protocol: 'vmess', settings: { clients: [{ id: USER_A, email: 'alice@example.com' }, { id: USER_B }] } },
      { tag: 'external', listen: '127.0.0.1', port: plainPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 80, network: 'tcp' } },
    ],
    routing: { rules: [{ type: 'field', inboundTag: ['interconn', 'external'], outboundTag: 'portal' }] },
  });
  await waitForPort(linkPort);
  return { portal, linkPort, plainPort };
}

/** A Porthole bridge of `user` whose freedom sends everything it does not know to `servicePort`. */
async function startBridge(name: string, user: string, linkPort: number, servicePort: number): Promise<{ peer: RunningPeer; engine: Instance }> {
  const peer = await run(name, {
    log: { loglevel: 'warning', access: 'none' },
    reverse: { bridges: [{ tag: 'bridge', domain: DOMAIN }] },
    outbounds: [
      { tag: 'out', protocol: 'freedom', settings: { redirect: `127.0.0.1:${servicePort}` } },
      { tag: 'interconn', protocol: 'vmess', settings: { vnext: [{ address: '127.0.0.1', port: linkPort, users: [{ id: user }] }] } },
    ],
    routing: { rules: [
      { type: 'field', inboundTag: ['bridge'], domain: [`full:${DOMAIN}`], outboundTag: 'interconn' },
      { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
    ] },
  });
  return { peer, engine: peer.instance as Instance };
}

function spec(id: string, localPort: number, publicPort: number | null = null): ExposureSpec {
  return { id, name: `service ${id}`, localHost: '127.0.0.1', localPort, publicPort, enabled: true };
}

async function live(engine: Instance, id: string): Promise<number> {
  await waitUntil(() => engine.exposures.status(id).state === 'live', 10_000, `exposure ${id} live (now ${JSON.stringify(engine.exposures.status(id))})`);
  return Number((engine.exposures.status(id).publicAddress ?? '').split(':')[1]);
}

/**
 * One HTTP/1.0 request on its own connection: the body; 'reset' when the connection is reset
 * without an answer, 'refused' when nothing listens, 'closed' when it ends without one.
 */
function ask(port: number, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let failure: string | undefined;
    const timer = setTimeout(() => { socket.destroy(); resolve('timed out'); }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('connect', () => socket.write('GET / HTTP/1.0\r\nHost: test\r\n\r\n'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure = error.code === 'ECONNRESET' ? 'reset' : error.code === 'ECONNREFUSED' ? 'refused' : error.code;
    });
    socket.once('close', () => {
      clearTimeout(timer);
      const body = Buffer.concat(chunks).toString().split('\r\n\r\n')[1];
      resolve(body ? body : failure ?? 'closed');
    });
  });
}

/** One HTTP/1.0 request whose body must start with `expected`: how many bytes the client received. */
function fetchLength(port: number, expected: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let bytes = 0;
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      text += chunk.toString();
    });
    socket.once('connect', () => socket.write('GET / HTTP/1.0\r\nHost: test\r\n\r\n'));
    socket.once('error', reject);
    socket.once('close', () => ((text.split('\r\n\r\n')[1] ?? '').startsWith(expected) ? resolve(bytes) : reject(new Error(`answered ${JSON.stringify(text)}`))));
  });
}

function tally(answers: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[answer] = (counts[answer] ?? 0) + 1;
  return counts;
}

describe('two bridges, two VMess users, one portal', () => {
  it('sends every connection to A\'s public port to A, never to the less loaded B; plain portal traffic still goes to any link', async () => {
    const [serviceA, serviceB] = [await service('service A'), await service('service B')];
    const { portal, linkPort, plainPort } = await startPortal(await freePorts(4));
    const a = await startBridge('bridge-a.json', USER_A, linkPort, serviceA.port);
    const b = await startBridge('bridge-b.json', USER_B, linkPort, serviceB.port);
    await a.engine.setExposures([spec('e-a', serviceA.port)]);
    await b.engine.setExposures([spec('e-b', serviceB.port)]);
    const publicA = await live(a.engine, 'e-a');
    const publicB = await live(b.engine, 'e-b');
    await waitUntil(() => portal.instance!.portals[0]!.linkCount === 2, 10_000, 'both bridges linked');

    const toA = await Promise.all(Array.from({ length: CONNECTIONS }, () => ask(publicA)));
    const toB = await Promise.all(Array.from({ length: CONNECTIONS }, () => ask(publicB)));
    expect({ toA: tally(toA), toB: tally(toB) }).toEqual({ toA: { 'service A': CONNECTIONS }, toB: { 'service B': CONNECTIONS } });

    // The config's own dokodemo-door keeps V2Ray's meaning: any link of the portal carries it.
    const plain = tally(await Promise.all(Array.from({ length: CONNECTIONS }, () => ask(plainPort))));
    // (Opened together, they spread over both bridges' links: 20 and 20 here.)
    expect(Object.keys(plain).sort()).toEqual(['service A', 'service B']);
    expect((plain['service A'] ?? 0) + (plain['service B'] ?? 0)).toBe(CONNECTIONS);
  });

  it('while A has no link, a connection to A\'s port waits, then is reset: it never falls back to B', async () => {
    const [serviceA, serviceB] = [await service('service A'), await service('service B')];
    const { portal, linkPort } = await startPortal(await freePorts(2));
    const a = await startBridge('bridge-a.json', USER_A, linkPort, serviceA.port);
    const b = await startBridge('bridge-b.json', USER_B, linkPort, serviceB.port);
    await a.engine.setExposures([spec('e-a', serviceA.port)]);
    await b.engine.setExposures([spec('e-b', serviceB.port)]);
    const publicA = await live(a.engine, 'e-a');
    await live(b.engine, 'e-b');
    expect(await ask(publicA)).toBe('service A');

    await a.peer.stop();
    await waitUntil(() => portal.instance!.portals[0]!.linkCount === 1, 10_000, 'A\'s link gone');
    // A's port stays open for the grace period (a reconnecting bridge keeps it), but only A may answer.
    const started = Date.now();
    expect(await Promise.all([ask(publicA), ask(publicA), ask(publicA)])).toEqual(['reset', 'reset', 'reset']);
    expect(Date.now() - started).toBeGreaterThan(3000);
  });

  it('B cannot withdraw or take over A\'s exposure by sending A\'s id', async () => {
    const [serviceA, serviceB] = [await service('service A'), await service('service B')];
    const { linkPort } = await startPortal(await freePorts(4));
    const a = await startBridge('bridge-a.json', USER_A, linkPort, serviceA.port);
    const b = await startBridge('bridge-b.json', USER_B, linkPort, serviceB.port);
    await a.engine.setExposures([spec('e-shared', serviceA.port)]);
    const publicA = await live(a.engine, 'e-shared');

    // The same id and the same local address: B gets an exposure of its own (another port), not A's.
    await b.engine.setExposures([spec('e-shared', serviceA.port)]);
    const publicB = await live(b.engine, 'e-shared');
    expect(publicB).not.toBe(publicA);
    // B withdraws "its" e-shared: A's port stays A's.
    await b.engine.setExposures([]);
    await waitUntil(async () => (await ask(publicB, 2000)) === 'refused', 5000, 'B\'s port closed');
    expect(await ask(publicA)).toBe('service A');

    // The same id pointing at B's service, on A's public port: refused, A's port untouched.
    await b.engine.setExposures([spec('e-shared', serviceB.port, publicA)]);
    await waitUntil(() => b.engine.exposures.status('e-shared').state === 'refused', 10_000, 'refusal');
    expect(b.engine.exposures.status('e-shared').problem).toEqual({ code: 'PH_EXPOSE_PORT_TAKEN', message: `public port ${publicA} is already taken by another exposure` });
    expect(tally(await Promise.all(Array.from({ length: 10 }, () => ask(publicA))))).toEqual({ 'service A': 10 });
    expect(a.engine.exposures.status('e-shared')).toMatchObject({ state: 'live', publicAddress: `127.0.0.1:${publicA}` });
  });

  it('counts two users\' exposures with the same id apart: each public listener has its own tag and traffic figures', async () => {
    const [serviceA, serviceB] = [await service('service A'), await service(`service B ${'b'.repeat(500)}`)];
    const { portal, linkPort } = await startPortal(await freePorts(4));
    const a = await startBridge('bridge-a.json', USER_A, linkPort, serviceA.port);
    const b = await startBridge('bridge-b.json', USER_B, linkPort, serviceB.port);
    await a.engine.setExposures([spec('e-shared', serviceA.port)]);
    await b.engine.setExposures([spec('e-shared', serviceB.port)]);
    const [publicA, publicB] = [await live(a.engine, 'e-shared'), await live(b.engine, 'e-shared')];
    const received = { A: 0, B: 0 };
    for (let index = 0; index < 3; index += 1) received.A += await fetchLength(publicA, 'service A');
    for (let index = 0; index < 2; index += 1) received.B += await fetchLength(publicB, 'service B');

    // Per inbound tag, as the UI sums them: once every connection has closed, two rows, each one user's bytes.
    const exposureRows = () => portal.instance!.stats.snapshot().filter((row) => row.inboundTag.startsWith('exposure'));
    const figures = () => {
      const byTag = new Map<string, number>();
      for (const row of exposureRows()) byTag.set(row.inboundTag, (byTag.get(row.inboundTag) ?? 0) + row.bytesDown);
      return byTag;
    };
    await waitUntil(() => exposureRows().every((row) => row.closedAt !== undefined), 10_000, 'the connections closed');
    const rows = [...figures()].sort(([, one], [, other]) => one - other);
    expect(rows.map(([tag, bytes]) => [tag.replace(/^exposure@[0-9a-f]{16}:/, 'exposure@<user>:'), bytes])).toEqual([
      ['exposure@<user>:e-shared', received.A],
      ['exposure@<user>:e-shared', received.B],
    ]);
    expect(rows[0]?.[0]).not.toBe(rows[1]?.[0]);
  });

  it('each user holds at most `maxPerUser` exposures; beyond that the bridge is told why, and other users are not affected', async () => {
    const [serviceA, serviceB] = [await service('service A'), await service('service B')];
    const { linkPort } = await startPortal(await freePorts(6), 2);
    const a = await startBridge('bridge-a.json', USER_A, linkPort, serviceA.port);
    const b = await startBridge('bridge-b.json', USER_B, linkPort, serviceB.port);
    await a.engine.setExposures([spec('e-1', serviceA.port), spec('e-2', serviceA.port), spec('e-3', serviceA.port)]);
    await live(a.engine, 'e-1');
    await live(a.engine, 'e-2');
    await waitUntil(() => a.engine.exposures.status('e-3').state === 'refused', 10_000, 'refusal');
    expect(a.engine.exposures.status('e-3').problem).toEqual({
      code: 'PH_EXPOSE_LIMIT',
      message: 'this portal allows 2 exposures per user, and you already have 2: remove one first, or ask the portal\'s owner to raise "maxPerUser"',
    });
    // B has its own allowance.
    await b.engine.setExposures([spec('e-1', serviceB.port), spec('e-2', serviceB.port)]);
    expect(await ask(await live(b.engine, 'e-2'))).toBe('service B');
    // Removing one of A's frees a place: the refused one is asked again at once.
    await a.engine.setExposures([spec('e-2', serviceA.port), spec('e-3', serviceA.port)]);
    expect(await ask(await live(a.engine, 'e-3'))).toBe('service A');
  });
});
