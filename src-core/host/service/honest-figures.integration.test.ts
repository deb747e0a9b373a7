/**
 * Issue 4/7 "Honest figures": the demo profile (examples/local-demo.json: bridge and portal in one
 * process) counts each user connection once, and bytes where they reach the client or the service.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSnapshot } from '../api/index.js';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { startPacedSite } from '../../../test/support/upstream.js';
import { createLocalEngineService, type LocalEngineService } from './local-engine-service.js';

const quiet = { write: () => {} };

let folder: string;
let service: LocalEngineService;
let site: net.Server;
let publicPort = 0;
const snapshots: EngineSnapshot[] = [];

function download(port: number, size: number, rate: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(`get ${size} ${rate}\n`));
    let received = 0;
    socket.on('data', (chunk: Buffer) => { received += chunk.length; });
    socket.once('end', () => resolve(received));
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-honest-'));
  site = await startPacedSite();
  const sitePort = (site.address() as net.AddressInfo).port;
  const [pub = 0, link = 0] = await freePorts(2);
  publicPort = pub;
  const demo = readFileSync(new URL('../../../examples/local-demo.json', import.meta.url), 'utf8')
    .replaceAll('"port": 8080', `"port": ${pub}`)
    .replaceAll('10240', String(link))
    .replaceAll('"port": 80,', `"port": ${sitePort},`)
    .replaceAll('127.0.0.1:80"', `127.0.0.1:${sitePort}"`)
    .replace('"loglevel": "info"', '"loglevel": "warning"');
  service = await createLocalEngineService({
    profilesFolder: join(folder, 'profiles'),
    settingsFile: join(folder, 'settings.json'),
    logSinks: { error: quiet, access: quiet },
  });
  await service.saveProfile('demo', demo);
  await service.activateProfile('demo');
  await service.startEngine();
  await waitForPort(pub);
  service.onDidChangeSnapshot((snapshot) => snapshots.push(snapshot));
  await waitUntil(async () => (await service.getSnapshot()).portals[0]?.linkState === 'up', 10_000, 'a link');
}, 30_000);

afterAll(async () => {
  await service?.close();
  site?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** Opens `count` connections that send a line and then wait. */
async function holdOpen(port: number, count: number): Promise<net.Socket[]> {
  return Promise.all(Array.from({ length: count }, () => new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.write('hold\n');
      resolve(socket);
    });
    socket.once('error', reject);
  })));
}

async function nextSnapshots(count: number): Promise<EngineSnapshot[]> {
  const from = snapshots.length;
  await waitUntil(() => snapshots.length >= from + count, (count + 3) * 1000, `${count} snapshots`);
  return snapshots.slice(from, from + count);
}

describe('the demo profile (bridge and portal in one process) counts each user connection once', () => {
  it('N clients are N open connections, in the totals and the rows', async () => {
    const clients = await holdOpen(publicPort, 40);
    await waitUntil(() => (snapshots.at(-1)?.connections.filter((row) => row.closedAt === null && row.serviceSide === true).length ?? 0) >= 40, 10_000, '40 service sides');
    const [snapshot] = await nextSnapshots(1);
    const open = snapshot?.connections.filter((row) => row.closedAt === null && row.kind === 'connection') ?? [];
    expect({
      total: snapshot?.totals.openConnections,
      publicSide: open.filter((row) => row.serviceSide !== true).length,
      serviceSide: open.filter((row) => row.serviceSide === true).length,
    }).toEqual({ total: 40, publicSide: 40, serviceSide: 40 });
    for (const client of clients) client.destroy();
    await waitUntil(() => snapshots.at(-1)?.totals.openConnections === 0, 10_000, 'all closed');
  }, 30_000);

  it('a download of known size adds its size to the totals, within a few %', async () => {
    await nextSnapshots(1);
    const before = snapshots.at(-1)?.totals.bytesDown ?? 0;
    const size = 16 * 1024 * 1024;
    expect(await download(publicPort, size, 0)).toBe(size);
    await nextSnapshots(2);
    const counted = (snapshots.at(-1)?.totals.bytesDown ?? 0) - before;
    expect(counted / size).toBeGreaterThan(0.97);
    expect(counted / size).toBeLessThan(1.03);
  }, 30_000);

  it('a 2 MB/s paced download shows 2 MB/s ±20 % each second after the first', async () => {
    await nextSnapshots(1);
    const from = snapshots.length;
    const rate = 2_000_000;
    expect(await download(publicPort, 6 * rate, rate)).toBe(6 * rate);
    const during = snapshots.slice(from);
    // The first second is partial (the download starts within it), and so is the last.
    const rates = during.slice(1, -1).map((snapshot) => snapshot.totals.downRate);
    expect(rates.length).toBeGreaterThanOrEqual(3);
    for (const seen of rates) expect(Math.abs(seen - rate) / rate, `rates ${rates.map((value) => (value / 1e6).toFixed(2)).join(' ')} MB/s`).toBeLessThan(0.2);
  }, 30_000);

  it('an upload of known size adds its size to the totals once, counted where it reaches the service', async () => {
    await nextSnapshots(1);
    const before = snapshots.at(-1)?.totals.bytesUp ?? 0;
    const size = 8 * 1024 * 1024;
    const [client] = await holdOpen(publicPort, 1);
    await new Promise<void>((resolve) => client?.end(Buffer.alloc(size, 1), () => resolve()));
    await waitUntil(() => snapshots.at(-1)?.totals.openConnections === 0, 10_000, 'the upload closed');
    await nextSnapshots(1);
    const counted = (snapshots.at(-1)?.totals.bytesUp ?? 0) - before;
    expect(counted / size).toBeGreaterThan(0.97);
    expect(counted / size).toBeLessThan(1.03);
  }, 30_000);
});
