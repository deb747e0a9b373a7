/**
 * Issue 4/7 "Honest figures" → Charts, in the dashboard: a local service sending 2 MB/s steadily
 * through an exposure (the built-in portal) reads 2 MB/s ±20 % in the top bar, in the chart's
 * tooltip and in its table, second after second; the tooltip follows the mouse and the arrow
 * keys; the table lists the samples; switching profile (and stopping and starting the engine)
 * keeps the earlier points and marks the start with the profile's name, also after a reload.
 * Screenshots (with the tooltip shown) of Overview and Traffic, both themes, 1280x800 and 800x600.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard as DashboardServer } from '../../src-core/host/dashboard/server.js';
import { createLocalEngineService, type LocalEngineService } from '../../src-core/host/service/local-engine-service.js';
import { freePorts, waitUntil } from '../../test/support/ports.js';
import { startPacedSite } from '../../test/support/upstream.js';
import { TrafficCharts } from '../pages/traffic.js';
import { launchChromium } from '../support/browser.js';
import { RENDERER_FOLDER } from '../support/stack.js';

const quiet = { write: () => {} };
const RATE = 2_000_000;
const OVERVIEW = /over the last 5 minutes/;
const TRAFFIC_TOTAL = /^Total upload and download rate over the last 5 min:/;

let folder: string;
let service: LocalEngineService;
let dashboard: DashboardServer;
let site: net.Server;
let browser: Browser;
let page: Page;
let charts: TrafficCharts;
let publicAddress = '';
/** A moment in the middle of the steady download (the screenshots hover there). */
let steadyAt = 0;

/** Downloads `size` bytes paced at RATE through the exposure; resolves with the bytes received. */
function pacedDownload(size: number): Promise<number> {
  const [host = '', port = ''] = publicAddress.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) }, () => socket.write(`get ${size} ${RATE}\n`));
    let received = 0;
    socket.on('data', (chunk: Buffer) => { received += chunk.length; });
    socket.once('end', () => resolve(received));
    socket.once('error', reject);
  });
}

/** The demo profile (bridge and portal in one process) on free ports. */
async function demoProfile(): Promise<string> {
  const [pub = 0, link = 0] = await freePorts(2);
  return readFileSync(new URL('../../examples/local-demo.json', import.meta.url), 'utf8')
    .replaceAll('"port": 8080', `"port": ${pub}`)
    .replaceAll('10240', String(link))
    .replace('"loglevel": "info"', '"loglevel": "warning"');
}

function within20Percent(rate: number): boolean {
  return Math.abs(rate - RATE) / RATE < 0.2;
}

function megabytes(rates: number[]): string {
  return rates.map((rate) => (rate / 1e6).toFixed(2)).join(' ');
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-e2e-charts-'));
  site = await startPacedSite();
  service = await createLocalEngineService({ profilesFolder: join(folder, 'profiles'), settingsFile: join(folder, 'settings.json'), logSinks: { error: quiet, access: quiet } });
  await service.saveProfile('alpha', await demoProfile());
  await service.saveProfile('beta', await demoProfile());
  const added = await service.addExposure({ localPort: (site.address() as net.AddressInfo).port, name: 'paced' });
  await waitUntil(async () => {
    const exposure = (await service.listExposures()).find((candidate) => candidate.id === added.id);
    publicAddress = exposure?.state === 'live' ? exposure.publicAddress ?? '' : '';
    return publicAddress !== '';
  }, 15_000, 'the exposure live');
  dashboard = await startDashboard({ service, port: 0, staticFolder: RENDERER_FOLDER });
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' })).newPage();
  charts = new TrafficCharts(page);
  await charts.open(dashboard.url);
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await service?.close();
  site?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('traffic charts', () => {
  it('reads a steady 2 MB/s download as 2 MB/s ±20 % in the top bar, the tooltip and the table, each second', async () => {
    const seconds = 9;
    const done = pacedDownload(seconds * RATE);
    // The first second is partial: start reading once a full one has been seen.
    await waitUntil(async () => (await charts.topBarDownRate()) > RATE / 2, 5000, 'the download under way');
    await charts.nextSample(OVERVIEW);
    const topBar: number[] = [];
    const tooltip: number[] = [];
    for (let sample = 0; sample < 3; sample += 1) {
      await charts.nextSample(OVERVIEW);
      topBar.push(await charts.topBarDownRate());
      if (sample === 1) steadyAt = Date.now();
      // Just left of the plot's right edge: the newest sample (the axis ends at it).
      tooltip.push((await charts.hover(OVERVIEW, 3)).down);
    }
    const table = (await charts.table(OVERVIEW)).samples.slice(0, 3).map((sample) => sample.down);
    await charts.hideTable(OVERVIEW);
    await charts.moveMouseAway();
    expect(await done).toBe(seconds * RATE);
    expect({
      topBar: topBar.every(within20Percent) ? 'within 20 %' : megabytes(topBar),
      tooltip: tooltip.every(within20Percent) ? 'within 20 %' : megabytes(tooltip),
      table: table.length === 3 && table.every(within20Percent) ? 'within 20 %' : megabytes(table),
    }).toEqual({ topBar: 'within 20 %', tooltip: 'within 20 %', table: 'within 20 %' });
  }, 40_000);

  it('shows time and rates under the mouse, and hides them when it leaves', async () => {
    const shown = await charts.hover(OVERVIEW, 60);
    expect(shown.time).toMatch(/^\d\d:\d\d:\d\d$/);
    await charts.moveMouseAway();
    expect(await charts.tooltipShown(OVERVIEW)).toBe(false);
  });

  it('moves the crosshair with the arrow keys and says the sample for screen readers', async () => {
    await charts.pressOnChart(OVERVIEW, 'End');
    const newest = await charts.tooltip(OVERVIEW);
    const newestSaid = await charts.keyboardReadout(OVERVIEW);
    await charts.pressOnChart(OVERVIEW, 'ArrowLeft', 'ArrowLeft', 'ArrowLeft');
    const earlier = await charts.tooltip(OVERVIEW);
    const said = await charts.keyboardReadout(OVERVIEW);
    expect({
      // Three samples back, one a second (give or take the timer's jitter).
      stepBack: Math.round((newest.at - earlier.at) / 1000),
      said: said.startsWith(`${earlier.time}: download `) && said.includes(', upload '),
      changed: said !== newestSaid,
    }).toEqual({ stepBack: 3, said: true, changed: true });
    await charts.blurChart(OVERVIEW);
    expect(await charts.tooltipShown(OVERVIEW)).toBe(false);
    expect(await charts.summary(OVERVIEW)).toMatch(/: now download .+, upload .+; peak download .+, upload .+$/);
  });

  it('keeps the earlier points across profile switches and an engine stop and start, and marks each start', async () => {
    const before = await charts.points(OVERVIEW);
    const rowsBefore = (await charts.table(OVERVIEW)).samples.length;
    // The built-in portal's start (the exposure's one click), from the service's history.
    const marksBefore = await charts.marks(OVERVIEW);
    expect({ enough: before >= 10, marksBefore }).toEqual({ enough: true, marksBefore: 1 });
    await service.activateProfile('alpha');
    await waitUntil(async () => (await charts.marks(OVERVIEW)) === 2, 10_000, 'the alpha start marked');
    await service.activateProfile('beta');
    await service.stopEngine();
    await charts.nextSample(OVERVIEW);
    await service.startEngine();
    await waitUntil(async () => (await charts.marks(OVERVIEW)) >= 4, 10_000, 'the beta starts marked').catch(async (error: Error) => {
      throw new Error(`${error.message}: the chart has ${await charts.marks(OVERVIEW)}, the service ${JSON.stringify((await service.getTrafficHistory('5m')).marks)}`);
    });
    await charts.nextSample(OVERVIEW);
    const after = await charts.points(OVERVIEW);
    const table = await charts.table(OVERVIEW);
    const tooltip = await charts.hover(OVERVIEW, 3);
    expect({
      grew: after > before,
      rowsGrew: table.samples.length > rowsBefore && Math.abs(table.samples.length - after) <= 1,
      marks: table.marks.map((text) => text.replace(/^\d\d:\d\d:\d\d: /, '')),
      hovered: typeof tooltip.down,
    }).toEqual({
      grew: true,
      rowsGrew: true,
      marks: ['engine started with profile beta', 'engine started with profile beta', 'engine started with profile alpha', 'engine started with the built-in portal'],
      hovered: 'number',
    });
    // A reload gets the points and the marks back from the service.
    await charts.open(dashboard.url);
    await waitUntil(async () => (await charts.points(OVERVIEW)) >= after, 5000, 'the history reloaded');
    expect(await charts.marks(OVERVIEW)).toBe(4);
  }, 40_000);

  it('works the same on the Traffic page, and is shot with the tooltip in both themes and sizes', async () => {
    const shots: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await charts.setTheme(theme);
      for (const [width, height] of [[1280, 800], [800, 600]] as const) {
        await charts.setViewport(width, height);
        await charts.goTo('Overview');
        await charts.scrollTo(OVERVIEW);
        await charts.hoverTime(OVERVIEW, steadyAt, 300_000);
        shots.push(await charts.screenshot(`traffic-overview-${width}-${theme}`));
        await charts.goTo('Traffic');
        await charts.scrollTo(TRAFFIC_TOTAL);
        const tip = await charts.hoverTime(TRAFFIC_TOTAL, steadyAt, 300_000);
        expect(within20Percent(tip.down)).toBe(true);
        shots.push(await charts.screenshot(`traffic-page-${width}-${theme}`));
        if (width === 1280 && theme === 'light') {
          const table = await charts.table(TRAFFIC_TOTAL);
          expect(Math.abs(table.samples.length - (await charts.points(TRAFFIC_TOTAL)))).toBeLessThanOrEqual(1);
          shots.push(await charts.screenshot('traffic-page-table-1280-light'));
          await charts.hideTable(TRAFFIC_TOTAL);
        }
        await charts.moveMouseAway();
      }
    }
    await charts.setViewport(1280, 800);
    await charts.setTheme('light');
    expect(shots).toHaveLength(9);
  }, 60_000);
});
