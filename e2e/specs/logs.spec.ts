/**
 * Issue 4/7, Logs: a long line is readable whole (opened with the keyboard, or every line wrapped,
 * remembered), find reaches a line the list has not drawn and scrolls to it, Download saves the
 * held lines as a .log file, and the screen-reader status stays quiet for access lines.
 *
 * The lines come from the service's real LogFeed (batched, as the engine's lines are), served by the
 * real dashboard server over its WebSocket; the rest of the service is the 0-connection stand-in.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../src-core/host/api/index.js';
import { startDashboard, type Dashboard as DashboardServer } from '../../src-core/host/dashboard/server.js';
import { LogFeed } from '../../src-core/host/service/log-feed.js';
import { waitUntil } from '../../test/support/ports.js';
import { LogsPage } from '../pages/logs.js';
import { launchChromium } from '../support/browser.js';
import { createBusyService, type BusyService } from '../support/busy-service.js';
import { RENDERER_FOLDER } from '../support/stack.js';

const NEEDLE = 'portal link lost: needle-7f3a';
const LONG_LINE = 'dial tcp:files.example.internal:443 failed: tls handshake: x509: certificate is valid for *.example.net, example.net, '
  + `not files.example.internal (presented chain: ${'MIIBQk'.repeat(60)}) — retrying in 5 s, 3 attempts left, END-OF-LONG-LINE`;
const ACCESS_LINES = 2500;

let feed: LogFeed;
let service: BusyService;
let server: DashboardServer;
let browser: Browser;
let page: Page;
let accessSeq = 0;

function addAccessLines(count: number): void {
  for (let index = 0; index < count; index += 1) {
    accessSeq += 1;
    feed.add({ kind: 'access', time: Date.now(), from: `203.0.113.${accessSeq % 250}:${40000 + (accessSeq % 20000)}`, status: 'accepted', to: 'tcp:127.0.0.1:80', route: 'bridge -> out', connectionId: accessSeq });
  }
}

beforeAll(async () => {
  feed = new LogFeed(50);
  for (let index = 0; index < 100; index += 1) feed.add({ kind: 'error', time: Date.now(), level: index % 3 ? 'debug' : 'info', component: 'app/reverse/bridge', message: `worker ${index} ready` });
  feed.add({ kind: 'error', time: Date.now(), level: 'warning', component: 'app/reverse/bridge', message: `${NEEDLE} (reconnecting)` });
  feed.add({ kind: 'error', time: Date.now(), level: 'warning', component: 'proxy/vmess/outbound', message: 'tls handshake with 203.0.113.9:443 timed out' });
  addAccessLines(ACCESS_LINES);
  feed.add({ kind: 'error', time: Date.now(), level: 'warning', component: 'proxy/vmess/outbound', message: 'tls handshake with 203.0.113.10:443 timed out' });
  feed.add({ kind: 'error', time: Date.now(), level: 'error', component: 'proxy/freedom', message: LONG_LINE });
  addAccessLines(3);
  let settings: Settings = { theme: 'light' };
  service = {
    ...createBusyService(0),
    recentLogs: async (query) => feed.recent(query?.level, query?.limit),
    onDidLog: (listener) => feed.onDidLog(listener),
    getSettings: async () => settings,
    setSettings: async (patch) => (settings = { ...settings, ...patch }),
  };
  server = await startDashboard({ service, port: 0, staticFolder: RENDERER_FOLDER });
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  service?.dispose();
  feed?.close();
});

describe('Logs', () => {
  it('shows a long line whole: opened with the keyboard, or every line wrapped (remembered)', async () => {
    const logs = new LogsPage(page);
    await logs.open(server.url);
    await logs.show();
    await logs.waitForLine('END-OF-LONG-LINE');
    const cut = await logs.message('END-OF-LONG-LINE');
    await logs.toggleLineByKeyboard('END-OF-LONG-LINE');
    const opened = await logs.message('END-OF-LONG-LINE');
    await logs.screenshot('logs-line-opened-1280-light');
    await logs.toggleLineByKeyboard('END-OF-LONG-LINE');
    const closed = await logs.message('END-OF-LONG-LINE');
    await logs.setWrap(true);
    const wrapped = await logs.message('END-OF-LONG-LINE');
    await page.reload();
    await logs.show();
    await logs.waitForLine('END-OF-LONG-LINE');
    const afterReload = { wrap: await logs.wrapIsOn(), clipped: (await logs.message('END-OF-LONG-LINE')).clipped };

    expect({ cut: cut.clipped, closed: closed.clipped, opened: opened.clipped, wrapped: wrapped.clipped, afterReload }).toEqual({
      cut: true, closed: true, opened: false, wrapped: false, afterReload: { wrap: true, clipped: false },
    });
    expect([opened.text, wrapped.text]).toEqual([LONG_LINE, LONG_LINE]);
    expect(opened.textRows).toBeGreaterThan(1);
    await logs.setWrap(false);
  });

  it('tells screen readers nothing for access lines, and sums up new warnings and errors', async () => {
    const logs = new LogsPage(page);
    await logs.followLive();
    const before = await logs.announcement();
    addAccessLines(40);
    const newest = `:${40000 + accessSeq} accepted`;
    await logs.waitForLine(newest);
    expect({ said: await logs.announcement(), regions: await logs.liveRegionsHolding(newest) }).toEqual({ said: before, regions: 0 });

    feed.add({ kind: 'error', time: Date.now(), level: 'warning', component: 'app/reverse/portal', message: 'link drained' });
    feed.add({ kind: 'error', time: Date.now(), level: 'error', component: 'proxy/vmess/inbound', message: 'invalid user' });
    addAccessLines(5);
    await waitUntil(async () => (await logs.announcement()) === '1 new error and 1 new warning in the log', 10_000, 'the summary');
    expect(before).toBe('');
  });

  it('finds a line the list has not drawn, scrolls to it, and steps between matches', async () => {
    const logs = new LogsPage(page);
    expect(await logs.isDrawn(NEEDLE)).toBe(false);
    await logs.search('NEEDLE-7F3A');
    await waitUntil(() => logs.isInViewAsCurrent(NEEDLE), 5000, 'the match in view');
    expect(await logs.matchCount()).toBe('1 of 1');

    await logs.search('tls handshake');
    await waitUntil(async () => (await logs.matchCount()) === '3 of 3', 5000, 'three matches, the newest current');
    await logs.previousMatch();
    await waitUntil(() => logs.isInViewAsCurrent('203.0.113.10:443 timed out'), 5000, 'the previous match in view');
    await logs.previousMatch();
    await waitUntil(() => logs.isInViewAsCurrent('203.0.113.9:443 timed out'), 5000, 'the oldest match in view');
    await logs.nextMatchByKeyboard();
    expect(await logs.matchCount()).toBe('2 of 3');
    await logs.search('no such words');
    expect(await logs.matchCount()).toBe('No matches');
    await logs.search('');
  });

  it('downloads every held line as a .log text file', async () => {
    const logs = new LogsPage(page);
    const label = await logs.downloadLabel();
    const { name, text } = await logs.download();
    const lines = text.trimEnd().split('\n');
    expect({
      name: /^porthole-[\d-]+T[\d-]+\.log$/.test(name),
      label,
      long: lines.filter((line) => line.endsWith(`[error] proxy/freedom: ${LONG_LINE}`)).length,
      needle: lines.filter((line) => line.includes(NEEDLE)).length,
      access: lines.filter((line) => / \[access\] \[\d+\] from 203\.0\.113\.\d+:\d+ accepted tcp:127\.0\.0\.1:80 \[bridge -> out\]$/.test(line)).length,
    }).toEqual({ name: true, label: `Download ${lines.length.toLocaleString('en')} lines`, long: 1, needle: 1, access: accessSeq });
  });

  it('looks right with a search and a wrapped line, in both themes and both sizes (screenshots)', async () => {
    const logs = new LogsPage(page);
    for (const theme of ['light', 'dark'] as const) {
      await logs.setTheme(theme);
      for (const [width, height] of [[1280, 800], [800, 600]] as const) {
        await page.setViewportSize({ width, height });
        await logs.show();
        await logs.setWrap(true);
        await logs.search('');
        await logs.search('tls handshake');
        await waitUntil(() => logs.isInViewAsCurrent('END-OF-LONG-LINE'), 5000, 'the long line in view');
        expect((await logs.message('END-OF-LONG-LINE')).clipped).toBe(false);
        await logs.screenshot(`logs-search-wrap-${width}-${theme}`);
        expect(await logs.unreachableControls()).toEqual([]);
      }
    }
    await logs.setWrap(false);
    await logs.search('');
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
