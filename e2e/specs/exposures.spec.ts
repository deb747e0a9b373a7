/**
 * One click, end to end (issue 7/7), in Debian's Chromium against the real dashboard and engine
 * service, with real local web servers, a real Porthole portal and the real `v2ray` as portal.
 * Each scenario clicks in the UI, reads the public address the UI shows, and GETs it from Node.
 *
 * 1. No server: the built-in local portal. Expose localhost:80 (nothing listens: it says so and
 *    keeps it), then a test site through "Expose a port…": live on 127.0.0.1, the GET returns the
 *    site's page, the Copy button copies the address, the Traffic page names its series.
 * 2. The same exposure pointed at a Porthole server (a bridge profile activated in Profiles): live
 *    on a port from the server's range; a second site on the same link; a public port outside the
 *    range or taken is refused with the portal's reason while the others stay live; off/on, pause
 *    and resume close and reopen the port; everything comes back after a restart.
 * 3. A V2Ray server: the bridge side is set up by the click, Server setup shows the portal config,
 *    which passes `v2ray -test`, and run unchanged by `v2ray` makes the GET work.
 * Screenshots of the Exposures page, the Overview and the Server setup dialog in both themes.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig, loadConfig } from '../../src-core/engine/config/index.js';
import { freePorts, waitForPort, waitUntil } from '../../test/support/ports.js';
import { portalConfig } from '../../test/support/reverse-pair.js';
import { v2rayAvailable } from '../../test/support/v2ray.js';
import { Dashboard } from '../pages/dashboard.js';
import { ExposuresPage, OverviewExposures, ServerSetupDialog } from '../pages/exposures.js';
import { ProfilesPage } from '../pages/profiles.js';
import { launchChromium } from '../support/browser.js';
import {
  bridgeProfileText, httpGet, httpGetEventually, refusesConnections, runV2RayPortal, startPortholePortal, startServiceStack, startTestSite,
  v2rayTestText, type PortholePortal, type ServiceStack, type TestSite, type V2RayPortal,
} from '../support/exposure-stack.js';

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
    // A refused call (here: Server setup of a profile without a bridge) answers 422 with its envelope, which the UI
    // shows; Chromium logs every non-2xx fetch as well. Anything else is a problem.
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

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

describe('one click with no server, then a Porthole server', () => {
  let stack: ServiceStack;
  let page: Page;
  let first: TestSite;
  let second: TestSite;
  let portal: PortholePortal;
  const local = (server: TestSite) => `127.0.0.1:${server.port}`;

  beforeAll(async () => {
    stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    first = await site('Porthole e2e: first site');
    second = await site('Porthole e2e: second site');
    ({ page } = await openPage(stack));
  });

  it('Expose localhost:80 on the Overview: nothing listens there, so it says so and keeps the exposure', async () => {
    const overview = new OverviewExposures(page);
    await overview.show();
    await overview.exposeLocalhost80();
    const shown = await overview.waitForExposure('127.0.0.1:80', { problem: /Nothing is listening on 127\.0\.0\.1:80/ });
    expect(shown.problem).toMatch(/the exposure stays on/);
    const exposures = new ExposuresPage(page);
    await exposures.show();
    expect(await exposures.waitForProblem('127.0.0.1:80', /Nothing is listening/)).toContain('127.0.0.1:80');
    expect(await exposures.names()).toEqual(['localhost:80']);
  });

  it('no server: Expose a port… → the test site is live on this machine and the GET returns its page', async () => {
    const overview = new OverviewExposures(page);
    await overview.show();
    const exposures = await overview.exposeAPort();
    expect(await exposures.focusedField()).toBe('Local port');
    await exposures.expose({ localPort: first.port, name: 'First site' });
    const address = await exposures.waitForLive(local(first), { portal: 'local' });
    expect(address).toMatch(/^127\.0\.0\.1:20\d{3}$/);
    expect(await httpGet(address)).toEqual({ status: 200, body: first.body });
    // Issue 4/7: once the test site has answered the service's HTTP check, Copy gives the URL, scheme included.
    await waitUntil(async () => (await exposures.publicUrl(local(first))).startsWith('http://'), 10_000, 'the service\'s HTTP check');
    expect(await exposures.copyPublicAddress(local(first))).toBe(`http://${address}`);
    // Its traffic is counted on its row, and the Traffic page names its series.
    await waitUntil(async () => (await exposures.bytesDown(local(first))) > 0, 10_000, 'the exposure\'s bytes on its row');
    expect(await exposures.trafficSeriesNames()).toContain('First site');
    // The Overview lists it with the same address.
    await overview.show();
    expect((await overview.waitForExposure(local(first), { state: 'live' })).address).toBe(address);
    // The built-in portal's card lists the public port it opened, and for what.
    const publicPorts = page.getByTestId('portal-public-ports');
    await publicPorts.waitFor({ timeout: 5000 });
    expect(await publicPorts.innerText()).toContain(`:${address.split(':')[1]} → bridge’s 127.0.0.1:${first.port} (First site)`);
    await new Dashboard(page).screenshot('overview-local-portal-light');
  });

  it('pointed at a Porthole server, the same exposure is live on a port from the server\'s range', async () => {
    portal = await startPortholePortal();
    cleanups.push(() => portal.stop());
    const profiles = new ProfilesPage(page);
    await profiles.show();
    await profiles.pasteNewProfile('vps', portal.bridgeText);
    expect((await profiles.validationResult()).valid).toBe(true);
    await profiles.activate();
    await profiles.waitForEngineState('Running');

    const exposures = new ExposuresPage(page);
    await exposures.show();
    const address = await exposures.waitForLive(local(first), { portal: 'porthole' });
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(portOf(address)).toBeGreaterThanOrEqual(portal.range.from);
    expect(portOf(address)).toBeLessThanOrEqual(portal.range.to);
    expect((await httpGetEventually(address))).toBe(first.body);
  });

  it('several exposures on one link; out of range or taken is refused with the portal\'s reason, the others stay live', async () => {
    // The second one with the keyboard only: "Expose a port…" leaves the cursor in the form.
    const exposures = await new OverviewExposures(page).exposeAPort();
    await exposures.exposeWithKeyboard(second.port, 'Second site');
    const firstAddress = await exposures.publicAddress(local(first));
    const secondAddress = await exposures.waitForLive(local(second));
    expect(secondAddress).not.toBe(firstAddress);
    expect(portOf(secondAddress)).toBeGreaterThanOrEqual(portal.range.from);
    expect(await httpGetEventually(secondAddress)).toBe(second.body);

    // Outside the range the server's owner allows.
    const outside = portal.range.to + 100;
    await exposures.expose({ localHost: 'localhost', localPort: first.port, name: 'Out of range', publicPort: outside });
    await exposures.waitForState(`localhost:${first.port}`, 'refused');
    expect(await exposures.waitForProblem(`localhost:${first.port}`, /outside the range/)).toBe(
      `Public port ${outside} is outside the range this portal allows (${portal.range.from}-${portal.range.to}).`,
    );
    // Taken by another exposure.
    await exposures.expose({ localHost: 'localhost', localPort: second.port, name: 'Taken', publicPort: portOf(firstAddress) });
    await exposures.waitForState(`localhost:${second.port}`, 'refused');
    expect(await exposures.waitForProblem(`localhost:${second.port}`, /already taken/)).toMatch(/^Public port \d+ is already taken by exposure "First site"\.$/);
    await exposures.screenshot('exposures-refused-light');

    // Nobody else was disturbed.
    expect([await exposures.stateLabel(local(first)), await exposures.stateLabel(local(second))]).toEqual(['Live', 'Live']);
    expect(await httpGet(firstAddress)).toEqual({ status: 200, body: first.body });
    expect(await httpGet(secondAddress)).toEqual({ status: 200, body: second.body });

    // Fixing the wanted port (Edit) makes the refused one live.
    await exposures.edit(`localhost:${first.port}`, { publicPort: null });
    const fixed = await exposures.waitForLive(`localhost:${first.port}`);
    expect(await httpGetEventually(fixed)).toBe(first.body);
  });

  it('off closes the public port and on opens it again; Pause all and Resume on the Overview do the same for all', async () => {
    const exposures = new ExposuresPage(page);
    const address = await exposures.publicAddress(local(second));
    await exposures.setEnabled(local(second), false);
    await exposures.waitForState(local(second), 'disabled');
    await waitUntil(() => refusesConnections(address), 10_000, 'the public port to close');
    await exposures.setEnabled(local(second), true);
    const again = await exposures.waitForLive(local(second));
    expect(await httpGetEventually(again)).toBe(second.body);

    const overview = new OverviewExposures(page);
    await overview.show();
    await overview.pauseAll();
    await overview.waitForExposure(local(first), { state: 'disabled' });
    await waitUntil(() => refusesConnections(again), 10_000, 'paused ports to close');
    await overview.resume();
    const resumed = (await overview.waitForExposure(local(second), { state: 'live' })).address ?? '';
    expect(await httpGetEventually(resumed)).toBe(second.body);
  });

  it('shows the Exposures page and the Overview in both themes (screenshots)', async () => {
    // Some traffic, so the rates and bytes have something to show.
    const exposures = new ExposuresPage(page);
    await exposures.show();
    const address = await exposures.waitForLive(local(first));
    for (let index = 0; index < 5; index += 1) await httpGet(address);
    const dashboard = new Dashboard(page);
    for (const theme of ['light', 'dark'] as const) {
      await dashboard.setTheme(theme);
      await exposures.show();
      await exposures.waitForLive(local(first));
      await dashboard.screenshot(`exposures-${theme}`);
      await new OverviewExposures(page).show();
      await dashboard.screenshot(`overview-exposures-${theme}`);
      await dashboard.goTo('Traffic');
      await dashboard.screenshot(`traffic-exposures-${theme}`);
    }
    await dashboard.setTheme('light');
  });

  it('Server setup of a profile without a bridge says why', async () => {
    await stack.service.saveProfile('portal only', JSON.stringify(exportV2RayConfig(portalConfig({ publicPort: 1, linkPort: 2, upstreamPort: 3 }))));
    const setup = new ServerSetupDialog(page);
    await setup.openFromProfiles('portal only');
    const error = await setup.error();
    expect(error.code).toBe('PH_SETUP_NO_BRIDGE');
    expect(error.text).toMatch(/^This profile has no bridge\. Profile "portal only" has no bridge \(reverse\.bridges\)/);
    await setup.screenshot('server-setup-no-bridge-light');
    await setup.close();
  });

  it('removes an exposure, and after a restart the others come back and go live again', async () => {
    const exposures = new ExposuresPage(page);
    await exposures.show();
    await exposures.remove(`localhost:${second.port}`);
    await exposures.remove('127.0.0.1:80');
    expect(await exposures.names()).toEqual(['First site', 'Second site', 'Out of range']);

    await stack.restart();
    const dashboard = new Dashboard(page);
    await dashboard.open(stack.dashboard.url);
    await exposures.show();
    expect(await exposures.names()).toEqual(['First site', 'Second site', 'Out of range']);
    if ((await dashboard.engineState()) !== 'Running') await page.getByRole('button', { name: 'Start', exact: true }).click();
    await dashboard.waitForEngineState('Running');
    const address = await exposures.waitForLive(local(first));
    expect(await httpGetEventually(address)).toBe(first.body);
  });
});

describe.skipIf(!v2rayAvailable())('with a V2Ray server as the portal', () => {
  let stack: ServiceStack;
  let page: Page;
  let web: TestSite;
  let v2ray: V2RayPortal | undefined;

  beforeAll(async () => {
    stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    web = await site('Porthole e2e: behind V2Ray');
    ({ page } = await openPage(stack));
  });

  afterAll(async () => {
    await v2ray?.stop();
  });

  it('the click sets up the bridge; Server setup\'s V2Ray config passes v2ray -test and, run on the server, makes the GET work', async () => {
    const [linkPort = 0, publicPort = 0] = await freePorts(2);
    const profiles = new ProfilesPage(page);
    await profiles.show();
    await profiles.pasteNewProfile('v2ray server', bridgeProfileText(linkPort, 'a V2Ray portal (not set up yet)'));
    await profiles.activate();
    await profiles.waitForEngineState('Running');

    const exposures = new ExposuresPage(page);
    await exposures.show();
    const local = `127.0.0.1:${web.port}`;
    await exposures.expose({ localPort: web.port, name: 'Behind V2Ray', publicPort });
    await exposures.waitForState(local, 'offline');

    const setup = await exposures.openServerSetup(local);
    const shown = await setup.read();
    expect({ serverAddress: shown.serverAddress, fileName: shown.fileName, command: shown.command, exposures: shown.exposures }).toEqual({
      serverAddress: `127.0.0.1:${linkPort}`,
      fileName: 'v2ray-portal.json',
      command: 'v2ray -config v2ray-portal.json',
      exposures: [`127.0.0.1:${publicPort} → ${local} (Behind V2Ray)`],
    });
    const config = JSON.parse(shown.text) as { inbounds: { protocol: string; port: number; settings: { clients?: { id: string }[] } }[]; reverse: { portals: { domain: string }[] } };
    expect({
      domain: config.reverse.portals[0]?.domain,
      uuid: config.inbounds.find((inbound) => inbound.protocol === 'vmess')?.settings.clients?.[0]?.id,
      interconn: config.inbounds.find((inbound) => inbound.protocol === 'vmess')?.port,
      public: config.inbounds.filter((inbound) => inbound.protocol === 'dokodemo-door').map((inbound) => inbound.port),
    }).toEqual({ domain: 'test.v2ray.com', uuid: '27848739-7e62-4138-9fd3-098a63964b6b', interconn: linkPort, public: [publicPort] });
    expect(await setup.download()).toEqual({ fileName: 'v2ray-portal.json', text: shown.text });
    const tested = v2rayTestText(shown.text);
    expect(tested.status, tested.output).toBe(0);

    // The Porthole tab: a config `porthole test` accepts, with a range for one-click exposures.
    await setup.selectTab('Porthole');
    const porthole = await setup.read();
    expect({ fileName: porthole.fileName, command: porthole.command }).toEqual({ fileName: 'porthole-portal.json', command: 'porthole run -c porthole-portal.json' });
    expect(loadConfig([{ name: porthole.fileName, text: porthole.text }]).reverse.portals[0]?.exposures).toBeDefined();

    for (const theme of ['light', 'dark'] as const) {
      await setup.close();
      await setup.setTheme(theme);
      await exposures.show();
      await exposures.openServerSetup(local);
      await setup.selectTab('V2Ray');
      await setup.read();
      await setup.screenshot(`server-setup-${theme}`);
    }
    await setup.close();
    await setup.setTheme('light');

    // On the "server": the shown text, unchanged, under its file name, with the shown command.
    v2ray = runV2RayPortal(shown.fileName, shown.text);
    await waitForPort(linkPort, '127.0.0.1', 10_000);
    await exposures.show();
    await exposures.waitForState(local, 'setup-needed', { portal: 'v2ray', timeout: 30_000 });
    const address = await exposures.publicAddress(local);
    expect(address).toBe(`127.0.0.1:${publicPort}`);
    expect(await httpGetEventually(address, 20_000)).toBe(web.body);
    await exposures.screenshot('exposures-v2ray-light');
  });
});

describe('the dashboard while exposing', () => {
  it('logged no console error or CSP violation', () => {
    expect(consoleProblems).toEqual([]);
  });
});
