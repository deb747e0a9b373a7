/**
 * Issue 4/7, "honest status", in Debian's Chromium against the real dashboard and engine service:
 *
 * 1. A bridge whose portal port is closed: "Running" stops being green and one banner says the
 *    portal refuses the link, where, and what to do; a portal whose name does not resolve says DNS.
 * 2. An exposure of a closed local port: the row says "Local port closed" (never "Live") with the
 *    reason, the banner names it; once a web server starts there the row turns Live by itself and
 *    Copy gives `http://…` (the service asked it HTTP). The built-in portal's addresses say "this
 *    machine only"; the opt-in LAN setting warns, makes the portal listen on the network and the
 *    UI give out the LAN address, which a GET then reaches.
 * 3. The real `porthole run --ui` process killed (SIGKILL) and started again: the page says
 *    "Reconnecting to the Porthole service…", its actions are off, and it comes back by itself.
 * Screenshots of each in both themes at 1280×800 and 800×600.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig } from '../../src-core/engine/config/index.js';
import { lanAddresses } from '../../src-core/host/service/local-portal.js';
import { freePort, freePorts } from '../../test/support/ports.js';
import { portalConfig } from '../../test/support/reverse-pair.js';
import { Dashboard } from '../pages/dashboard.js';
import { ExposuresPage } from '../pages/exposures.js';
import { HonestStatus } from '../pages/problems.js';
import { launchChromium } from '../support/browser.js';
import { bridgeProfileText, httpGet, httpGetEventually, startServiceStack, type ServiceStack } from '../support/exposure-stack.js';

let browser: Browser;
const pageErrors: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await browser?.close();
});

async function openPage(url: string, origin: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  cleanups.push(() => context.close());
  await new Dashboard(page).open(url);
  return { context, page };
}

/**
 * Both themes at both sizes while the service is away (its Settings cannot be changed then): the
 * theme setting is "system", so the browser's colour scheme picks it.
 */
async function screenshotsAway(page: Page, name: string, settle: () => Promise<void>): Promise<void> {
  const dashboard = new Dashboard(page);
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
    for (const [size, viewport] of [['1280', { width: 1280, height: 800 }], ['800', { width: 800, height: 600 }]] as const) {
      await page.setViewportSize(viewport);
      await settle();
      await dashboard.screenshot(`honest-${name}-${size}-${theme}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Both themes at both sizes, named `honest-<name>-<size>-<theme>`. */
async function screenshots(page: Page, name: string, pageName: 'Overview' | 'Exposures' | 'Settings', settle: () => Promise<void>): Promise<void> {
  const dashboard = new Dashboard(page);
  for (const theme of ['light', 'dark'] as const) {
    await dashboard.setTheme(theme);
    for (const [size, viewport] of [['1280', { width: 1280, height: 800 }], ['800', { width: 800, height: 600 }]] as const) {
      await page.setViewportSize(viewport);
      await dashboard.goTo(pageName);
      await settle();
      await dashboard.screenshot(`honest-${name}-${size}-${theme}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await dashboard.setTheme('light');
}

describe('the portal cannot be reached: one banner says why', () => {
  let stack: ServiceStack;
  let page: Page;

  beforeAll(async () => {
    stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    ({ page } = await openPage(stack.dashboard.url, stack.dashboard.origin));
  });

  it('a bridge whose portal port is closed: refused, at which address, and what to do; Running is not green', async () => {
    const closed = await freePort();
    await stack.service.saveProfile('closed portal', bridgeProfileText(closed, 'a portal that is not running'));
    await stack.service.activateProfile('closed portal');
    const status = new HonestStatus(page);
    await status.goTo('Overview');
    const banner = await status.waitForBanner('portal-refused');
    expect(banner.title).toBe(`Your server refuses the link at 127.0.0.1:${closed}: nothing listens there`);
    expect(banner.action).toMatch(/Start Porthole or V2Ray on the server/);
    expect(await status.enginePill()).toEqual({ label: 'Running', troubled: true });
    await screenshots(page, 'portal-refused', 'Overview', async () => { await status.waitForBanner('portal-refused'); });
  });

  it('a portal whose name does not resolve: says DNS, naming the host', async () => {
    const text = bridgeProfileText(await freePort(), 'a portal by name').replaceAll('"127.0.0.1"', '"portal.porthole-test.invalid"');
    expect(text).toContain('portal.porthole-test.invalid');
    await stack.service.saveProfile('unknown portal', text);
    await stack.service.activateProfile('unknown portal');
    const status = new HonestStatus(page);
    const banner = await status.waitForBanner('portal-dns');
    expect(banner.title).toBe('Cannot find your server: the name portal.porthole-test.invalid does not resolve (DNS)');
    await screenshots(page, 'portal-dns', 'Overview', async () => { await status.waitForBanner('portal-dns'); });
  });
});

describe('an exposure of a closed local port, the built-in portal\'s reach', () => {
  let stack: ServiceStack;
  let page: Page;
  let port: number;
  const local = () => `127.0.0.1:${port}`;

  beforeAll(async () => {
    stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    port = await freePort();
    ({ page } = await openPage(stack.dashboard.url, stack.dashboard.origin));
  });

  it('is never "Live" while nothing answers locally: the row and the banner say what is wrong', async () => {
    const exposures = new ExposuresPage(page);
    await exposures.show();
    await exposures.expose({ localPort: port, name: 'Late web app' });
    await exposures.waitForState(local(), 'local-down', { portal: 'local' });
    expect(await exposures.stateLabel(local())).toBe('Local port closed');
    expect(await exposures.waitForProblem(local(), /Nothing is listening/)).toContain(local());
    const status = new HonestStatus(page);
    const banner = await status.waitForBanner('local-down');
    expect(banner.title).toBe(`Nothing answers on ${local()} (“Late web app”)`);
    expect(banner.action).toMatch(/visitors get no answer/);
    // Its address is given (it works once the service starts), and says who can open it.
    expect(await status.rowReach(local())).toBe('local');
    const note = await status.localPortalNote();
    expect(note).toMatchObject({ reach: 'local' });
    expect(note.text).toMatch(/Only this machine can open these addresses/);
    expect(note.text).toMatch(/connect a server for a public address/);
    await screenshots(page, 'local-down', 'Exposures', async () => { await status.waitForBanner('local-down'); });
  });

  it('turns Live by itself once a web server answers there, and Copy gives http://', async () => {
    const server = http.createServer((_request, response) => response.end('late but here'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const exposures = new ExposuresPage(page);
    await exposures.show();
    const address = await exposures.waitForLive(local(), { portal: 'local' });
    const status = new HonestStatus(page);
    await status.waitForNoBanner();
    expect(await status.rowUrl(local())).toBe(`http://${address}`);
    expect(await exposures.copyPublicAddress(local())).toBe(`http://${address}`);
    expect((await httpGet(address)).body).toBe('late but here');
  });

  it('the LAN opt-in: off by default, warns, then the portal listens on the network and the UI gives the LAN address', async () => {
    const lan = lanAddresses();
    const status = new HonestStatus(page);
    const exposures = new ExposuresPage(page);
    const before = await exposures.publicAddress(local());
    expect(before).toMatch(/^127\.0\.0\.1:/);
    const warning = await status.setLanReach(true);
    if (lan.length === 0) {
      // A machine with no network: it says so and stays on loopback.
      expect(warning).toMatch(/no network address/);
      return;
    }
    expect(warning).toMatch(/anyone on your network can open the exposed services/);
    await exposures.show();
    await status.waitForNoBanner();
    // The built-in portal restarts on the new address; the row follows within a snapshot or two.
    const address = await waitForAddress(exposures, local(), new RegExp(`^${(lan[0] ?? '').replaceAll('.', '\\.')}:\\d+$`));
    expect(await status.rowReach(local())).toBe('lan');
    expect((await status.localPortalNote()).reach).toBe('lan');
    expect(await status.rowUrl(local())).toBe(`http://${address}`);
    expect(await httpGetEventually(address)).toBe('late but here');
    await screenshots(page, 'lan-settings', 'Settings', async () => { await page.getByTestId('lan-warning').waitFor(); });
    await screenshots(page, 'lan-exposures', 'Exposures', async () => { await page.locator('[data-testid="local-portal-note"][data-reach="lan"]').waitFor(); });
    // Off again: back on loopback.
    await status.setLanReach(false);
    await exposures.show();
    await waitForAddress(exposures, local(), /^127\.0\.0\.1:/);
    expect(await status.rowReach(local())).toBe('local');
  });
});

async function waitForAddress(exposures: ExposuresPage, local: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await exposures.waitForState(local, 'live');
    const address = await exposures.publicAddress(local);
    if (pattern.test(address)) return address;
    if (Date.now() > deadline) throw new Error(`the address stayed ${address}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `porthole run -c FILE --ui 127.0.0.1:PORT` as a real process, with its own Porthole folder. */
class PortholeProcess {
  private child: ChildProcess | undefined;
  url = '';

  constructor(private readonly configFile: string, private readonly uiPort: number, private readonly folder: string) {}

  async start(): Promise<void> {
    const bin = fileURLToPath(new URL('../../bin/porthole.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'run', '-c', this.configFile, '--ui', `127.0.0.1:${this.uiPort}`], {
      env: { ...process.env, PORTHOLE_CONFIG_DIR: this.folder },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`porthole run printed no dashboard URL: ${output}`)), 30_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = /porthole: dashboard: (\S+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`porthole run exited (${code}): ${output}`)));
    });
  }

  /** SIGKILL: no goodbye on the socket, as a crash or a pulled plug. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('the dashboard\'s service goes away and comes back', () => {
  let porthole: PortholeProcess;
  let page: Page;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'porthole-e2e-honest-'));
    cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
    const [publicPort = 0, linkPort = 0, uiPort = 0] = await freePorts(3);
    const configFile = join(folder, 'portal.json');
    writeFileSync(configFile, JSON.stringify(exportV2RayConfig(portalConfig({ publicPort, linkPort, upstreamPort: 9 })), null, 2));
    porthole = new PortholeProcess(configFile, uiPort, join(folder, 'porthole'));
    cleanups.push(() => porthole.kill());
    await porthole.start();
    const origin = new URL(porthole.url).origin;
    ({ page } = await openPage(porthole.url, origin));
  });

  it('says "Reconnecting…" with actions off while the process is gone, and reconnects by itself when it is back', async () => {
    const status = new HonestStatus(page);
    await status.goTo('Exposures');
    expect(await status.actionsEnabled()).toEqual({ engine: true, page: true });
    const firstUrl = porthole.url;

    await porthole.kill();
    await status.waitForLinkStatus('offline');
    const banner = await status.waitForBanner('dashboard-offline');
    expect(banner.title).toBe('Reconnecting to the Porthole service…');
    expect(banner.action).toMatch(/actions are off until it is back/);
    expect(await status.actionsEnabled()).toEqual({ engine: false, page: false });
    // "Running" is only the last state heard: grey, not green.
    expect(await page.getByTestId('engine-state').getAttribute('data-stale')).toBe('true');
    await screenshotsAway(page, 'reconnecting', async () => { await status.waitForBanner('dashboard-offline'); });

    // The same command again (same folder, so the same token): the page comes back by itself.
    const port = Number(new URL(firstUrl).port);
    const deadline = Date.now() + 10_000;
    while (!(await portFree(port)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await porthole.start();
    expect(porthole.url).toBe(firstUrl);
    await status.waitForLinkStatus('live', 20_000);
    await status.waitForNoBanner();
    expect(await status.actionsEnabled()).toEqual({ engine: true, page: true });
    // Calls work again: the theme round-trips through the restarted service.
    await status.setTheme('dark');
    await status.setTheme('light');
    expect(await status.waitForEnginePill('Running')).toEqual({ label: 'Running', troubled: false });
    expect(pageErrors).toEqual([]);
  });
});
