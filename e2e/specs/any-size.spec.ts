/**
 * Issue 4/7, "any size": the window works at 800 x 600 as at 1280 x 800. The sidebar collapses to
 * a rail of icons (the page names stay as the links' names), every control of every page can be
 * reached and clicked without sideways scrolling, the top bar's rates are named for screen
 * readers, and a missing or wrong dashboard token gets a page that says where the URL is.
 * Screenshots of the pages and the token page in both themes, at both sizes.
 */
import net from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionsPage } from '../pages/connections.js';
import { Dashboard, type PageName } from '../pages/dashboard.js';
import { ExposuresPage } from '../pages/exposures.js';
import { ProfilesPage } from '../pages/profiles.js';
import { launchChromium, recordConsoleProblems } from '../support/browser.js';
import { startServiceStack, startTestSite, type ServiceStack, type TestSite } from '../support/exposure-stack.js';

const SMALL = { width: 800, height: 600 };
const LARGE = { width: 1280, height: 800 };
const PAGES: PageName[] = ['Overview', 'Exposures', 'Connections', 'Traffic', 'Logs', 'Profiles', 'Settings'];

let browser: Browser;
let stack: ServiceStack;
let context: BrowserContext;
let page: Page;
const sites: TestSite[] = [];
const idle: net.Socket[] = [];
const consoleProblems: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startServiceStack();
  // Two live exposures through the built-in portal, with long names, and a connection held open through one.
  for (const name of ['Porthole e2e: the team wiki', 'Porthole e2e: a staging API']) sites.push(await startTestSite(name));
  const [wiki, api] = sites as [TestSite, TestSite];
  await stack.service.addExposure({ localPort: wiki.port, name: 'Team wiki (staging build, shared)' });
  await stack.service.addExposure({ localPort: api.port, name: 'Staging API' });
  await stack.service.saveProfile('home bridge with a rather long name', '// a bridge\n{ "outbounds": [{ "protocol": "freedom", "tag": "direct" }] }\n');
  context = await browser.newContext({ viewport: SMALL, colorScheme: 'light' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.dashboard.origin });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  recordConsoleProblems(page, consoleProblems);
  await new Dashboard(page).open(stack.dashboard.url);
  const exposures = new ExposuresPage(page);
  await exposures.show();
  const address = await exposures.waitForLive(`127.0.0.1:${wiki.port}`, { portal: 'local' });
  await exposures.waitForLive(`127.0.0.1:${api.port}`, { portal: 'local' });
  const [host = '', port = '0'] = address.split(':');
  const socket = net.connect({ host, port: Number(port) });
  socket.on('error', () => {});
  idle.push(socket);
});

afterAll(async () => {
  for (const socket of idle) socket.destroy();
  await context?.close();
  await browser?.close();
  for (const site of sites) await site.close();
  await stack?.stop();
});

async function showPage(name: PageName): Promise<void> {
  const dashboard = new Dashboard(page);
  await dashboard.goTo(name);
  if (name === 'Connections') await new ConnectionsPage(page).waitForOpenRow('127.0.0.1:');
  if (name === 'Profiles') await new ProfilesPage(page).openProfile('home bridge with a rather long name');
  if (name === 'Exposures') await page.getByTestId('exposure-row').first().waitFor();
}

describe('at 800 x 600', () => {
  it('the sidebar is a rail of icons whose links keep their names', async () => {
    const dashboard = new Dashboard(page);
    expect(await dashboard.navigationWidth()).toBeLessThan(60);
    for (const name of PAGES) await dashboard.goTo(name);
  });

  it.each(PAGES)('%s: every control can be reached and clicked, none cut off', async (name) => {
    await showPage(name);
    expect(await new Dashboard(page).unreachableControls()).toEqual([]);
  });

  it('the top bar\'s rates are named for screen readers', async () => {
    const rates = await new Dashboard(page).ratesForScreenReaders();
    expect(rates).toMatch(/Upload \d[\d.]* (B|KiB|MiB|GiB)\/s/);
    expect(rates).toMatch(/Download \d[\d.]* (B|KiB|MiB|GiB)\/s/);
  });

  it('shows the pages in both themes at both sizes (screenshots)', async () => {
    const dashboard = new Dashboard(page);
    for (const [size, viewport] of [['800', SMALL], ['1280', LARGE]] as const) {
      await page.setViewportSize(viewport);
      for (const theme of ['light', 'dark'] as const) {
        await dashboard.setTheme(theme);
        for (const name of ['Overview', 'Exposures', 'Connections', 'Settings'] as const) {
          await showPage(name);
          await page.evaluate('document.querySelector("main.page").scrollTo(0, 0)');
          await dashboard.screenshot(`size-${size}-${name.toLowerCase()}-${theme}`);
        }
      }
    }
    await dashboard.setTheme('light');
    await page.setViewportSize(SMALL);
  });

  it('logged no console error or CSP violation', () => {
    expect(consoleProblems).toEqual([]);
  });
});

describe('without the dashboard\'s token', () => {
  it.each([
    ['no token', '', /this link needs its token/, /came without it/],
    ['a wrong token', '?token=not-the-token', /this link needs its token/, /not this dashboard’s/],
  ])('%s: 401 with a page that says where the URL is printed', async (_case, query, heading, why) => {
    const stranger = await browser.newContext({ viewport: SMALL });
    const problems: string[] = [];
    const visitor = await stranger.newPage();
    visitor.on('console', (message) => { if (!message.text().includes('401')) problems.push(message.text()); });
    const response = await visitor.goto(`${stack.dashboard.origin}${query}`);
    const shown = {
      status: response?.status(),
      heading: await visitor.getByRole('heading', { level: 1 }).textContent(),
      text: await visitor.locator('main').innerText(),
      // The inline style sheet is allowed by its hash: the card is styled, and nothing was blocked.
      styled: await visitor.evaluate<string>('getComputedStyle(document.querySelector("main")).borderRadius'),
    };
    expect(shown.status).toBe(401);
    expect(shown.heading).toMatch(heading);
    expect(shown.text).toMatch(why);
    expect(shown.text).toContain('porthole: dashboard: http://…/?token=…');
    expect(shown.styled).toBe('10px');
    expect(problems).toEqual([]);
    await stranger.close();
  });

  it('the token page in both themes at both sizes (screenshots)', async () => {
    for (const theme of ['light', 'dark'] as const) {
      for (const [size, viewport] of [['800', SMALL], ['1280', LARGE]] as const) {
        const stranger = await browser.newContext({ viewport, colorScheme: theme });
        const visitor = await stranger.newPage();
        await visitor.goto(`${stack.dashboard.origin}?token=not-the-token`);
        await new Dashboard(visitor).screenshot(`token-page-${size}-${theme}`);
        await stranger.close();
      }
    }
  });
});
