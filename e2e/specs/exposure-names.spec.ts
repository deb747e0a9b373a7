/**
 * Names for exposures (issue 5/7), in Debian's Chromium against the real dashboard, engine
 * service and built-in local portal, with a real local web site:
 *
 * 1. Expose → the row shows `http://web.localhost:<port>` at once; Copy gives that URL; a GET with
 *    that Host reaches the site, and so does Chromium itself opening the URL (it resolves
 *    `*.localhost` to this machine).
 * 2. The label edited in place: Enter saves (the new URL works, the old one is 404), Escape
 *    cancels, a name another exposure has is refused inline and nothing changes.
 * 3. Access: a password set in the dialog → 401 without it, 200 with it; the password is never
 *    shown again.
 * 4. A Porthole server without names: the exposure is live by port and the page offers the
 *    sslip.io line with the server's IP.
 * 5. A domain of the user's own, typed in the Access dialog: a Porthole server that serves them
 *    shows both URLs (the domain's Host reaches the site); the built-in portal, which does not,
 *    says why beside the field and the exposure stays live by its label.
 * Screenshots (prefix `names-`) in both themes at 1280 x 800 and 800 x 600.
 */
import http from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dashboard } from '../pages/dashboard.js';
import { ExposureNamesPage } from '../pages/exposure-names.js';
import { ExposuresPage } from '../pages/exposures.js';
import { launchChromium } from '../support/browser.js';
import { startPortholePortal, startServiceStack, startTestSite, type ServiceStack, type TestSite } from '../support/exposure-stack.js';
import type { PortholeConfig } from '../../src-core/engine/config/index.js';
import { freePorts, waitForPort } from '../../test/support/ports.js';
import { portalConfig, startPeer } from '../../test/support/reverse-pair.js';
import { bridgeProfileText } from '../support/exposure-stack.js';

let browser: Browser;
const consoleProblems: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await browser?.close();
});

async function openPage(stack: ServiceStack): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.dashboard.origin });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (message) => {
    // A refused call answers 422 with its envelope (shown inline); Chromium logs the status too.
    const refusedCall = message.text().includes('status of 422') && message.location().url.endsWith('/api/call');
    if ((message.type() === 'error' || message.type() === 'warning') && !refusedCall) consoleProblems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleProblems.push(`pageerror: ${error.message}`));
  cleanups.push(() => context.close());
  await new Dashboard(page).open(stack.dashboard.url);
  return { context, page };
}

async function site(name: string): Promise<TestSite> {
  const started = await startTestSite(name);
  cleanups.push(() => started.close());
  return started;
}

/** GET `url` from Node, sent to 127.0.0.1 with the URL's host as the Host header (what `*.localhost` resolves to). */
function getByName(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: Number(port), path: '/', agent: false, headers: { host: `${hostname}:${port}`, connection: 'close', ...headers }, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.once('timeout', () => request.destroy(new Error(`GET ${url}: no answer`)));
    request.once('error', reject);
  });
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

async function screenshots(page: Page, name: string, prepare: () => Promise<void>, after: () => Promise<void> = async () => {}): Promise<void> {
  const dashboard = new Dashboard(page);
  for (const theme of ['light', 'dark'] as const) {
    await dashboard.setTheme(theme);
    for (const [size, viewport] of [['1280', { width: 1280, height: 800 }], ['800', { width: 800, height: 600 }]] as const) {
      await page.setViewportSize(viewport);
      await prepare();
      await dashboard.screenshot(`names-${name}-${theme}-${size}`);
      await after();
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await dashboard.setTheme('light');
  await dashboard.goTo('Exposures');
}

describe('names on the built-in portal', () => {
  let stack: ServiceStack;
  let page: Page;
  let context: BrowserContext;
  let web: TestSite;
  let api: TestSite;
  const local = (server: TestSite) => `127.0.0.1:${server.port}`;
  let names: ExposureNamesPage;

  beforeAll(async () => {
    stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    web = await site('Porthole e2e: web by name');
    api = await site('Porthole e2e: api by name');
    ({ page, context } = await openPage(stack));
    names = new ExposureNamesPage(page);
  });

  it('Expose → the URL at once; Copy gives it; its Host reaches the site, from Node and from Chromium', async () => {
    const exposures = new ExposuresPage(page);
    await exposures.show();
    await exposures.expose({ localPort: web.port, name: 'web' });
    const url = await names.url(local(web));
    expect(url).toMatch(/^http:\/\/web\.localhost:210\d\d$/);
    expect(await names.copyUrl(local(web))).toBe(url);
    expect(await getByName(url)).toMatchObject({ status: 200, body: expect.stringContaining('Porthole e2e: web by name') });
    // Chromium resolves *.localhost itself: the URL works as given out.
    const visitor = await context.newPage();
    await visitor.goto(url);
    expect(await visitor.textContent('body')).toContain('Porthole e2e: web by name');
    await visitor.close();
    // host:port stays under it (for other machines when the LAN setting is on).
    expect(await exposures.waitForLive(local(web))).toMatch(/^127\.0\.0\.1:20\d\d\d$/);
  });

  it('edits the label in place: Enter saves (new URL works, old 404), Escape cancels, a taken name is refused inline', async () => {
    const before = await names.url(local(web));
    await names.editLabel(local(web), 'shop');
    const after = await names.url(local(web), /shop/);
    expect(after).toBe(before.replace('//web.', '//shop.'));
    expect(await getByName(after)).toMatchObject({ status: 200, body: expect.stringContaining('Porthole e2e: web by name') });
    expect((await getByName(before)).status).toBe(404);

    await names.editLabel(local(web), 'elsewhere', 'Escape');
    expect(await names.labelEditorOpen(local(web))).toBe(false);
    expect(await names.url(local(web))).toBe(after);

    await new ExposuresPage(page).expose({ localPort: api.port, name: 'api' });
    expect(await names.url(local(api))).toMatch(/^http:\/\/api\.localhost:/);
    await names.editLabel(local(api), 'shop');
    expect(await names.labelError(local(api))).toMatch(/^Name "shop" is already used by your exposure "web"/);
    await screenshots(page, 'label-taken', async () => {
      await names.show();
      if (!(await names.labelEditorOpen(local(api)))) {
        await names.editLabel(local(api), 'shop');
        await names.labelError(local(api));
      }
    });
    await page.keyboard.press('Escape');
    expect(await names.url(local(api))).toMatch(/^http:\/\/api\.localhost:/);
    expect((await getByName(after)).body).toContain('Porthole e2e: web by name');
  });

  it('access: a password set in the dialog → 401 without it, 200 with it; it is not shown again', async () => {
    const url = await names.url(local(web));
    expect(await names.setAccess(local(web), { user: 'ann', password: 'open sesame' })).toBe('password');
    // The raw port cannot ask for the password: the row says it is closed.
    expect(await names.rawPortClosed(local(web))).toBe(true);
    expect((await getByName(url)).status).toBe(401);
    expect((await getByName(url, basic('ann', 'wrong'))).status).toBe(401);
    expect(await getByName(url, basic('ann', 'open sesame'))).toMatchObject({ status: 200, body: expect.stringContaining('Porthole e2e: web by name') });
    const dialog = await names.openAccess(local(web));
    expect([await dialog.getByLabel('User').inputValue(), await dialog.getByLabel(/^Password/).inputValue()]).toEqual(['ann', '']);
    expect(await page.content()).not.toContain('open sesame');
    await page.getByTestId('access-dialog').getByRole('button', { name: 'Cancel' }).click();
    await screenshots(page, 'access', async () => {
      await names.show();
      await names.openAccess(local(web));
    }, async () => {
      await page.keyboard.press('Escape');
      await page.getByTestId('access-dialog').waitFor({ state: 'detached' });
    });
    await names.openAccess(local(web));
    // A bad range is said in the dialog, next to the field; nothing is saved.
    await page.getByTestId('access-dialog').getByLabel(/^Allow only these addresses/).fill('10.0.0.0/8\nnot-a-range');
    await page.getByTestId('access-dialog').getByRole('button', { name: 'Save' }).click();
    expect(await page.getByTestId('access-error').textContent()).toMatch(/"not-a-range" is not an IP address or range/);
    await page.getByTestId('access-dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await getByName(url, basic('ann', 'open sesame'))).toMatchObject({ status: 200 });
  });

  it('looks right in both themes at both sizes (screenshots)', async () => {
    for (let index = 0; index < 3; index += 1) await getByName(await names.url(local(api)));
    await screenshots(page, 'exposures', async () => {
      await names.show();
      await names.url(local(web));
    });
    await screenshots(page, 'overview', async () => {
      await new Dashboard(page).goTo('Overview');
      await page.getByTestId('public-url').first().waitFor();
    });
    expect(consoleProblems).toEqual([]);
  });
});

describe('a Porthole server without names', () => {
  it('the exposure is live by port, and the page offers the sslip.io line with the server\'s IP', async () => {
    const stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    const portal = await startPortholePortal();
    cleanups.push(() => portal.stop());
    const served = await site('Porthole e2e: served by port');
    await stack.service.saveProfile('vps', portal.bridgeText);
    await stack.service.activateProfile('vps');
    await stack.service.addExposure({ localPort: served.port, name: 'web' });
    const { page } = await openPage(stack);
    const names = new ExposureNamesPage(page);
    await names.show();
    const exposures = new ExposuresPage(page);
    const address = await exposures.waitForLive(`127.0.0.1:${served.port}`, { portal: 'porthole' });
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await names.namesHint()).toBe('"names": {"domain": "127-0-0-1.sslip.io", "acme": {}}');
    await screenshots(page, 'sslip-hint', async () => {
      await names.show();
      await names.namesHint();
    });
    expect(consoleProblems).toEqual([]);
  });
});

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

/** A Porthole server with plain-HTTP names under tunnel.test that serves domains of the users' own. */
async function portalServingOwnDomains(): Promise<{ bridgeText: string; httpPort: number }> {
  const [publicPort = 0, linkPort = 0, exposed = 0, httpPort = 0] = await freePorts(4);
  const config = portalConfig({ publicPort, linkPort, upstreamPort: 9 }) as Mutable<PortholeConfig>;
  const portal = config.reverse.portals[0];
  if (!portal) throw new Error('the fixture portal has no reverse.portals[0]');
  portal.exposures = { ports: [{ from: exposed, to: exposed }], listen: '127.0.0.1', names: { domain: 'tunnel.test', httpPort, certificates: [], customDomains: true } };
  const peer = await startPeer('porthole', config);
  cleanups.push(() => peer.stop());
  await waitForPort(linkPort);
  return { bridgeText: bridgeProfileText(linkPort, 'a Porthole portal serving own domains'), httpPort };
}

describe('a domain of the user\'s own', () => {
  it('a server that serves them: typed in Access, both URLs shown, the domain reaches the site', async () => {
    const stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    const { bridgeText, httpPort } = await portalServingOwnDomains();
    const served = await site('Porthole e2e: by my own domain');
    await stack.service.saveProfile('vps', bridgeText);
    await stack.service.activateProfile('vps');
    await stack.service.addExposure({ localPort: served.port, name: 'web' });
    const { page } = await openPage(stack);
    const names = new ExposureNamesPage(page);
    await names.show();
    const local = `127.0.0.1:${served.port}`;
    expect(await names.url(local)).toBe(`http://web.tunnel.test:${httpPort}`);
    const dialog = await names.openAccess(local);
    await dialog.getByLabel(/^Your own domain/).fill('Shop.Example.com');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await names.url(local, /shop\.example\.com/)).toBe(`http://shop.example.com:${httpPort}`);
    expect(await getByName(`http://shop.example.com:${httpPort}`)).toMatchObject({ status: 200, body: expect.stringContaining('Porthole e2e: by my own domain') });
    await screenshots(page, 'custom-both', async () => {
      await names.show();
      await names.url(local, /shop\.example\.com/);
    });
    expect(consoleProblems).toEqual([]);
  });

  it('the built-in portal, which does not serve them: the reason beside the field, still live by its label', async () => {
    const stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    const served = await site('Porthole e2e: by label still');
    await stack.service.addExposure({ localPort: served.port, name: 'web', customDomain: 'shop.example.com' });
    const { page } = await openPage(stack);
    const names = new ExposureNamesPage(page);
    await names.show();
    const local = `127.0.0.1:${served.port}`;
    const url = await names.url(local);
    expect(url).toMatch(/^http:\/\/web\.localhost:210\d\d$/);
    expect(await getByName(url)).toMatchObject({ status: 200, body: expect.stringContaining('Porthole e2e: by label still') });
    const dialog = await names.openAccess(local);
    expect(await dialog.getByLabel(/^Your own domain/).inputValue()).toBe('shop.example.com');
    expect(await dialog.getByTestId('access-domain-refusal').textContent()).toMatch(/^Not served: The built-in portal serves names under localhost only/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await screenshots(page, 'custom-refused', async () => {
      await names.show();
      await names.openAccess(local);
    }, async () => {
      await page.keyboard.press('Escape');
      await page.getByTestId('access-dialog').waitFor({ state: 'detached' });
    });
    expect(consoleProblems).toEqual([]);
  });
});
