/**
 * The dashboard end to end: a real Porthole portal and XOR echo, the engine service with an empty
 * profile folder, the real dashboard server, and Debian's Chromium. The user pastes a broken and
 * then a working bridge config, activates it, watches a connection and the graph, closes the
 * connection, finds its log line; every page is shot in both themes.
 */
import { parse } from 'jsonc-parser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src-core/engine/config/index.js';
import { waitUntil } from '../../test/support/ports.js';
import { ConnectionsPage } from '../pages/connections.js';
import { Dashboard, type PageName } from '../pages/dashboard.js';
import { LogsPage } from '../pages/logs.js';
import { OverviewPage } from '../pages/overview.js';
import { ProfilesPage } from '../pages/profiles.js';
import { launchChromium, recordConsoleProblems } from '../support/browser.js';
import { startStack, type Stack } from '../support/stack.js';
import { startTraffic, type TrafficClient } from '../support/traffic.js';

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleProblems: string[] = [];
const clients: TrafficClient[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page = await context.newPage();
  recordConsoleProblems(page, consoleProblems);
});

afterAll(async () => {
  for (const client of clients) client.stop();
  await browser?.close();
  await stack?.stop();
});

function expectedConfigError(text: string): { place: string; message: string } {
  try {
    loadConfig([{ name: 'profile.json', text }]);
  } catch (error) {
    const { place, message } = error as { place: { line: number; column: number; path?: string }; message: string };
    return { place: `${place.line}:${place.column}`, message: `${place.path ? `${place.path}: ` : ''}${message}` };
  }
  throw new Error('the broken config loads');
}

describe('web dashboard', () => {
  it('answers 401 without the token: page, API and a wrong token', async () => {
    const origin = stack.dashboard.origin;
    expect((await fetch(origin)).status).toBe(401);
    const api = await fetch(new URL('/api/call', origin), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: 'getStatus', args: [] }) });
    expect({ status: api.status, code: ((await api.json()) as { error: { code: string } }).error.code }).toEqual({ status: 401, code: 'PH_API_UNAUTHORIZED' });
    const stranger = await browser.newContext();
    const response = await (await stranger.newPage()).goto(`${origin}?token=not-the-token`);
    expect(response?.status()).toBe(401);
    await stranger.close();
  });

  it('trades the URL token for a cookie and shows the app on the clean URL', async () => {
    const dashboard = new Dashboard(page);
    await dashboard.open(stack.dashboard.url);
    expect(dashboard.currentUrl()).toBe(stack.dashboard.origin);
    expect(await dashboard.engineState()).toBe('Stopped');
    await dashboard.screenshot('first-run-light');
  });

  it('marks a broken config at its line:column with the config layer\'s message', async () => {
    const profiles = new ProfilesPage(page);
    await profiles.show();
    const broken = stack.bridgeText.replace('"protocol": "freedom"', '"protocol": "socks"');
    await profiles.pasteNewProfile('home bridge', broken);
    const expected = expectedConfigError(broken);
    const shown = await profiles.validationResult();
    expect(shown).toEqual({ valid: false, place: expected.place, message: expected.message });
    await profiles.revealError();
    expect(await profiles.markedErrorLine()).toBe(Number(expected.place.split(':')[0]));
    await profiles.screenshot('profiles-error-light');
  });

  it('validates the pasted bridge config and activates it: the bridge links to the portal', async () => {
    const profiles = new ProfilesPage(page);
    await profiles.replaceText(stack.bridgeText);
    const shown = await profiles.validationResult();
    expect(shown.valid).toBe(true);
    expect(shown.message).toContain('bridge "bridge"');
    await profiles.activate();
    await profiles.waitForEngineState('Running');
    const overview = new OverviewPage(page);
    await overview.show();
    await overview.waitForBridgeLinkUp();
  });

  it('imports from a file and by drag-and-drop, and exports V2Ray JSON', async () => {
    const profiles = new ProfilesPage(page);
    await profiles.show();
    await profiles.importFile('office-bridge.json', stack.bridgeText);
    expect({ name: await profiles.draftName(), valid: (await profiles.validationResult()).valid }).toEqual({ name: 'office-bridge', valid: true });
    // The imported file is not saved yet: dropping another one asks first (issue 4/7); here it is let go.
    await profiles.dropFile('dropped.jsonc', '{ "outbounds": [ }', { unsaved: 'Discard changes' });
    expect({ name: await profiles.draftName(), valid: (await profiles.validationResult()).valid }).toEqual({ name: 'dropped', valid: false });
    await profiles.openProfile('home bridge', { unsaved: 'Discard changes' });
    const exported = await profiles.export();
    // The profile's own text (its comment line included), minus Porthole-only fields.
    const json = parse(exported.text) as { reverse: unknown };
    expect({ fileName: exported.fileName, reverse: json.reverse }).toEqual({ fileName: 'home-bridge.v2ray.json', reverse: { bridges: [{ tag: 'bridge', domain: 'test.v2ray.com' }] } });
  });

  it('is keyboard reachable: Tab reaches the navigation with a visible focus ring, Enter follows it', async () => {
    const dashboard = new Dashboard(page);
    // Overview, Exposures, Inspector, Connections: the fourth stop.
    const focused = await dashboard.tabFromTop(4);
    expect(focused).toEqual({ tag: 'a', text: 'Connections', outlined: true });
    await dashboard.screenshot('keyboard-focus-light');
    await dashboard.pressEnter();
    await dashboard.waitForPage('Connections');
  });

  it('shows a live connection with growing bytes, and the graph moves', async () => {
    const client = await startTraffic(stack.publicPort);
    clients.push(client);
    const overview = new OverviewPage(page);
    await overview.show();
    const pointsBefore = await overview.graphPoints();
    await waitUntil(async () => (await overview.graphPoints()) > pointsBefore && (await overview.downloadRate()) !== '0 B/s', 10_000, 'the graph to move');

    const connections = new ConnectionsPage(page);
    await connections.show();
    const id = await connections.waitForOpenRow('127.0.0.1:80');
    const first = await connections.bytesDown(id);
    await waitUntil(async () => (await connections.bytesDown(id)) > first, 10_000, 'bytes to grow');
    expect(client.mismatches).toBe(0);

    await connections.close(id);
    await connections.waitForClosed(id);
    await client.closedByPeer;

    const logs = new LogsPage(page);
    await logs.show();
    await logs.search('[bridge -> out]');
    expect(await logs.waitForLine('accepted tcp:127.0.0.1:80')).toContain('[bridge -> out]');
  });

  it('shows every page in both themes (screenshots under e2e/screenshots/)', async () => {
    const client = await startTraffic(stack.publicPort, 48 * 1024, 100);
    clients.push(client);
    const dashboard = new Dashboard(page);
    const pages: PageName[] = ['Overview', 'Connections', 'Traffic', 'Logs', 'Profiles', 'Settings'];
    // A few seconds of traffic, so graphs and tables have something to show.
    await new ConnectionsPage(page).show();
    await new ConnectionsPage(page).waitForOpenRow('127.0.0.1:80');
    for (const theme of ['light', 'dark'] as const) {
      await dashboard.setTheme(theme);
      for (const name of pages) {
        await dashboard.goTo(name);
        if (name === 'Logs') await new LogsPage(page).search('');
        if (name === 'Profiles') await page.getByTestId('profile-item').filter({ hasText: 'home bridge' }).click();
        await dashboard.screenshot(`${name.toLowerCase()}-${theme}`);
      }
    }
    client.stop();
  });

  it('logged no console error or CSP violation', () => {
    expect(consoleProblems).toEqual([]);
  });
});
