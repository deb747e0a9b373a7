/**
 * Issue 4/7 "Honest figures" and "Connections as users expect", in the dashboard: the demo profile
 * (examples/local-demo.json, bridge and portal in one process) with N clients shows N open
 * connections, not 2N; a download of known size adds its size to the totals; active and recently
 * closed connections are two lists; a row opens its detail view, whose Close button closes it.
 * Both themes are shot.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard as DashboardServer } from '../../src-core/host/dashboard/server.js';
import { createLocalEngineService, type LocalEngineService } from '../../src-core/host/service/local-engine-service.js';
import { freePorts, waitForPort, waitUntil } from '../../test/support/ports.js';
import { ConnectionsPage } from '../pages/connections.js';
import { launchChromium } from '../support/browser.js';
import { RENDERER_FOLDER } from '../support/stack.js';

const quiet = { write: () => {} };
const CLIENTS = 12;

let folder: string;
let service: LocalEngineService;
let dashboard: DashboardServer;
let site: net.Server;
let browser: Browser;
let page: Page;
let publicPort = 0;
const clients: net.Socket[] = [];

/** The local service: `hold` keeps the connection open; `get SIZE` sends SIZE bytes and ends. */
function startSite(): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', (request) => {
        const [kind, size] = request.toString().trim().split(' ');
        if (kind === 'get') socket.end(Buffer.alloc(Number(size), 3));
      });
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-e2e-honest-'));
  site = await startSite();
  const sitePort = (site.address() as net.AddressInfo).port;
  const [pub = 0, link = 0] = await freePorts(2);
  publicPort = pub;
  const demo = readFileSync(new URL('../../examples/local-demo.json', import.meta.url), 'utf8')
    .replaceAll('"port": 8080', `"port": ${pub}`)
    .replaceAll('10240', String(link))
    .replaceAll('"port": 80,', `"port": ${sitePort},`)
    .replaceAll('127.0.0.1:80"', `127.0.0.1:${sitePort}"`);
  service = await createLocalEngineService({ profilesFolder: join(folder, 'profiles'), settingsFile: join(folder, 'settings.json'), logSinks: { error: quiet, access: quiet } });
  await service.saveProfile('demo', demo);
  await service.activateProfile('demo');
  await service.startEngine();
  await waitForPort(pub);
  await waitUntil(async () => (await service.getSnapshot()).portals[0]?.linkState === 'up', 10_000, 'a link');
  dashboard = await startDashboard({ service, port: 0, staticFolder: RENDERER_FOLDER });
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' })).newPage();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await browser?.close();
  await dashboard?.close();
  await service?.close();
  site?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function connect(text: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: publicPort }, () => {
      socket.write(text);
      resolve(socket);
    });
    socket.on('data', () => {});
    socket.once('error', reject);
  });
}

describe('Connections in the demo profile (bridge and portal in one process)', () => {
  it(`shows ${CLIENTS} clients as ${CLIENTS} open connections, and their bridge sides only on request`, async () => {
    for (let index = 0; index < CLIENTS; index += 1) clients.push(await connect('hold\n'));
    const connections = new ConnectionsPage(page);
    await connections.open(dashboard.url);
    await connections.show();
    await waitUntil(async () => (await connections.summary()).includes(`${CLIENTS} bridge sides`), 15_000, 'the bridge sides');
    const summary = await connections.summary();
    expect(summary).toContain(`${CLIENTS} open`);
    const shown = Number(/(\d+) shown/.exec(summary)?.[1]);
    expect((await service.getSnapshot()).totals.openConnections).toBe(CLIENTS);
    expect(await page.getByTestId('list-active').innerText()).toContain(String(CLIENTS));
    await page.getByRole('checkbox', { name: 'Show bridge sides' }).check();
    await waitUntil(async () => (await connections.summary()).includes(`${shown + CLIENTS} shown`), 5000, 'the bridge sides shown');
    await page.getByRole('checkbox', { name: 'Show bridge sides' }).uncheck();
    await connections.screenshot('connections-active-light');
  });

  it('adds a download of known size to the totals within a few %', async () => {
    const before = (await service.getSnapshot()).totals.bytesDown;
    const size = 8 * 1024 * 1024;
    const client = await connect(`get ${size}\n`);
    let received = 0;
    client.on('data', (chunk: Buffer) => { received += chunk.length; });
    await new Promise((resolve) => client.once('close', resolve));
    expect(received).toBe(size);
    await waitUntil(async () => (await service.getSnapshot()).totals.openConnections === CLIENTS, 5000, 'the download closed');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const counted = (await service.getSnapshot()).totals.bytesDown - before;
    expect(Math.abs(counted - size) / size).toBeLessThan(0.03);
  });

  it('keeps closed connections in their own list, and a row opens a detail view that closes it', async () => {
    const connections = new ConnectionsPage(page);
    const id = await connections.waitForOpenRow('127.0.0.1:');
    const detail = await connections.openDetail(id);
    expect(detail).toContain('public');
    expect(detail).toContain('portal');
    expect(await connections.detailState()).toBe('open');
    await connections.screenshot('connection-detail-light');
    await connections.closeFromDetail();
    await waitUntil(async () => (await connections.detailState()) === 'closed', 10_000, 'the detail to say closed');
    await connections.dismissDetail();
    expect(await connections.rowStates()).not.toContain('closed');
    await connections.waitForClosed(id);
    await connections.showList('closed');
    const closedStates = await connections.rowStates();
    expect(closedStates.length).toBeGreaterThan(0);
    expect(closedStates.every((state) => state === 'closed')).toBe(true);
    await connections.screenshot('connections-closed-light');
    await connections.setTheme('dark');
    await connections.show();
    await connections.showList('closed');
    await connections.screenshot('connections-closed-dark');
    await connections.showList('active');
    await connections.openDetail(await connections.waitForOpenRow('127.0.0.1:'));
    await connections.screenshot('connection-detail-dark');
    await connections.dismissDetail();
    await connections.setTheme('light');
  });
});
