/**
 * Issue 4/7, "lost work": nothing a user made or shared goes away on one stray click or Enter.
 *
 * 1. Exposing a local port that is already exposed asks before it renames the exposure or moves
 *    its public port (the address someone was given keeps working unless they say "Move it");
 *    the service refuses such an add outright.
 * 2. Switching profile, New, Import and a dropped file ask Save / Discard / Cancel while the
 *    editor holds unsaved changes.
 * 3. Stop engine and Close all ask first, with the harmless answer focused, and Stop is not the
 *    first stop on the way into a page.
 * Real Chromium, the real dashboard and engine service, real sites, a real portal and traffic.
 */
import net from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PORT_RANGE } from '../../src-core/host/service/local-portal.js';
import { waitUntil } from '../../test/support/ports.js';
import { Question } from '../pages/confirm.js';
import { ConnectionsPage } from '../pages/connections.js';
import { Dashboard } from '../pages/dashboard.js';
import { ExposuresPage } from '../pages/exposures.js';
import { ProfilesPage } from '../pages/profiles.js';
import { launchChromium } from '../support/browser.js';
import { httpGet, httpGetEventually, refusesConnections, startServiceStack, startTestSite, type ServiceStack, type TestSite } from '../support/exposure-stack.js';
import { startStack, type Stack } from '../support/stack.js';
import { startTraffic, type TrafficClient } from '../support/traffic.js';

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

async function openPage(url: string): Promise<Page> {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (message) => {
    // The service's refusal of a conflicting add answers 422, which Chromium logs for every non-2xx fetch.
    const refusedCall = message.text().includes('status of 422') && message.location().url.endsWith('/api/call');
    if ((message.type() === 'error' || message.type() === 'warning') && !refusedCall) consoleProblems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleProblems.push(`pageerror: ${error.message}`));
  await new Dashboard(page).open(url);
  return page;
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** A port of the built-in portal's range that is free now and is not `besides`. */
async function freeLocalPortalPort(besides: number): Promise<number> {
  for (let port = LOCAL_PORT_RANGE.to; port >= LOCAL_PORT_RANGE.from; port -= 1) {
    if (port === besides) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in the built-in portal\'s range');
}

describe('an exposure someone was given does not move on a second "Expose"', () => {
  let stack: ServiceStack;
  let page: Page;
  let blog: TestSite;

  beforeAll(async () => {
    stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    blog = await startTestSite('Porthole e2e: blog');
    cleanups.push(() => blog.close());
    page = await openPage(stack.dashboard.url);
  });

  it('asks, with "Keep it as it is" focused; Enter keeps the name and the live address', async () => {
    const exposures = new ExposuresPage(page);
    await exposures.show();
    const local = `127.0.0.1:${blog.port}`;
    await exposures.expose({ localPort: blog.port, name: 'blog' });
    const address = await exposures.waitForLive(local, { portal: 'local' });
    expect(await httpGet(address)).toEqual({ status: 200, body: blog.body });

    const wanted = await freeLocalPortalPort(portOf(address));
    await exposures.submit({ localPort: blog.port, name: 'api', publicPort: wanted });
    const question = new Question(page);
    const asked = await question.read('exposure-exists');
    expect({ title: asked.title, choices: asked.choices, focused: asked.focused }).toEqual({
      title: `${local} is already exposed as “blog”`,
      choices: [`Move it to ${wanted}`, 'Keep it as it is'],
      focused: 'Keep it as it is',
    });
    expect(asked.text).toContain(`Its public address ${address} may already be shared.`);
    await question.screenshot('question-exposure-exists-light');
    await question.press('Enter');

    expect({ names: await exposures.names(), address: await exposures.publicAddress(local), state: await exposures.stateLabel(local) }).toEqual({ names: ['blog'], address, state: 'Live' });
    expect(await httpGet(address)).toEqual({ status: 200, body: blog.body });
    // The form keeps what was typed, so nothing the user entered is lost either.
    expect(await exposures.formValues()).toEqual({ localPort: String(blog.port), name: 'api', publicPort: String(wanted) });
  });

  it('the service refuses the same add from any client, and changes nothing', async () => {
    const before = await stack.service.listExposures();
    await expect(stack.service.addExposure({ localPort: blog.port, name: 'api' })).rejects.toMatchObject({
      code: 'PH_EXPOSURE_BAD_INPUT',
      message: `127.0.0.1:${blog.port} is already exposed as "blog"; edit it to change its name (nothing was changed)`,
    });
    const after = await stack.service.listExposures();
    expect(after.map(({ name, publicPort, publicAddress }) => ({ name, publicPort, publicAddress }))).toEqual(before.map(({ name, publicPort, publicAddress }) => ({ name, publicPort, publicAddress })));
  });

  it('"Move it" moves it on purpose: the new port answers, the old one closes', async () => {
    const exposures = new ExposuresPage(page);
    const local = `127.0.0.1:${blog.port}`;
    const old = await exposures.publicAddress(local);
    const wanted = await freeLocalPortalPort(portOf(old));
    await exposures.submit({ localPort: blog.port, name: 'api', publicPort: wanted });
    await new Question(page).choose(`Move it to ${wanted}`);
    await waitUntil(async () => (await exposures.names()).join() === 'api', 10_000, 'the rename');
    const moved = await exposures.waitForLive(local);
    expect(portOf(moved)).toBe(wanted);
    expect(await httpGetEventually(moved)).toBe(blog.body);
    await waitUntil(() => refusesConnections(old), 10_000, 'the old public port to close');
  });
});

describe('unsaved profile edits are never dropped silently', () => {
  let stack: ServiceStack;
  let page: Page;
  const config = (marker: string) => `// ${marker}\n{ "log": { "loglevel": "warning" }, "outbounds": [{ "protocol": "freedom", "tag": "direct" }] }\n`;

  beforeAll(async () => {
    stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    page = await openPage(stack.dashboard.url);
  });

  it('New asks Save / Discard / Cancel with Save focused; Cancel keeps the edits, Save keeps them as a profile', async () => {
    const profiles = new ProfilesPage(page);
    await profiles.show();
    await profiles.pasteNewProfile('first draft', config('first-draft-marker'));
    expect(await profiles.draft()).toMatchObject({ name: 'first draft', unsaved: true });

    await profiles.newProfile();
    const question = new Question(page);
    const asked = await question.read('unsaved-profile');
    expect({ title: asked.title, choices: asked.choices, focused: asked.focused }).toEqual({
      title: 'Save your changes to “first draft”?',
      choices: ['Save', 'Discard changes', 'Cancel'],
      focused: 'Save',
    });
    await question.screenshot('question-unsaved-profile-light');
    await question.choose('Cancel');
    const kept = await profiles.draft();
    expect({ name: kept.name, unsaved: kept.unsaved, marker: kept.text.includes('first-draft-marker') }).toEqual({ name: 'first draft', unsaved: true, marker: true });

    await profiles.newProfile({ unsaved: 'Save' });
    expect({ draft: (await profiles.draft()).name, saved: (await stack.service.listProfiles()).map((profile) => profile.name) }).toEqual({ draft: 'new profile', saved: ['first draft'] });
  });

  it('Import, a dropped file and opening another profile ask too; Discard lets go on purpose', async () => {
    const profiles = new ProfilesPage(page);
    await profiles.replaceText(config('second-draft-marker'));
    await profiles.importFile('imported.json', config('imported-marker'), { unsaved: 'Discard changes' });
    expect((await profiles.draft()).name).toBe('imported');

    // The imported text is not saved yet: a dropped file asks; Cancel keeps the import.
    await profiles.dropFile('dropped.json', config('dropped-marker'), { unsaved: 'Cancel' });
    const afterDrop = await profiles.draft();
    expect({ name: afterDrop.name, marker: afterDrop.text.includes('imported-marker') }).toEqual({ name: 'imported', marker: true });

    await profiles.openProfile('first draft', { unsaved: 'Cancel' });
    expect((await profiles.draft()).name).toBe('imported');
    await profiles.openProfile('first draft', { unsaved: 'Discard changes' });
    const opened = await profiles.draft();
    expect({ name: opened.name, unsaved: opened.unsaved, marker: opened.text.includes('first-draft-marker') }).toEqual({ name: 'first draft', unsaved: false, marker: true });
    expect((await stack.service.listProfiles()).map((profile) => profile.name)).toEqual(['first draft']);
    // Nothing unsaved: opening another one asks nothing.
    await profiles.newProfile();
    expect(await new Question(page).isOpen()).toBe(false);
  });
});

describe('Stop engine and Close all ask first', () => {
  let stack: Stack;
  let page: Page;
  let client: TrafficClient;

  beforeAll(async () => {
    stack = await startStack();
    cleanups.push(() => stack.stop());
    await stack.service.saveProfile('home bridge', stack.bridgeText);
    await stack.service.activateProfile('home bridge');
    page = await openPage(stack.dashboard.url);
    await new Dashboard(page).waitForEngineState('Running');
    client = await startTraffic(stack.publicPort);
    cleanups.push(() => client.stop());
  });

  it('the first stop inside a page is the page\'s own control, not Stop', async () => {
    const connections = new ConnectionsPage(page);
    await connections.show();
    await connections.waitForOpenRow('127.0.0.1:80');
    expect(await connections.firstStopInPage()).toBe('Filter connections');
  });

  it('Close all: Cancel is focused, Enter closes nothing; the explicit choice closes them', async () => {
    const connections = new ConnectionsPage(page);
    const id = await connections.waitForOpenRow('127.0.0.1:80');
    await connections.closeAll();
    const question = new Question(page);
    const asked = await question.read('close-all');
    expect({ title: asked.title, choices: asked.choices, focused: asked.focused }).toEqual({
      title: 'Close the open connection?', choices: ['Close 1 connection', 'Cancel'], focused: 'Cancel',
    });
    await question.screenshot('question-close-all-light');
    await question.press('Enter');
    const before = await connections.bytesDown(id);
    await waitUntil(async () => (await connections.bytesDown(id)) > before, 10_000, 'the connection to carry on');

    await connections.closeAll();
    await question.choose('Close 1 connection');
    await connections.waitForClosed(id);
    await client.closedByPeer;
  });

  it('Stop: "Keep running" is focused; Enter and Escape keep it running; "Stop engine" stops it', async () => {
    const dashboard = new Dashboard(page);
    await dashboard.goTo('Overview');
    await dashboard.stopEngine();
    const question = new Question(page);
    const asked = await question.read('stop-engine');
    expect({ title: asked.title, choices: asked.choices, focused: asked.focused }).toEqual({ title: 'Stop the engine?', choices: ['Stop engine', 'Keep running'], focused: 'Keep running' });
    expect(asked.text).toContain('Start runs “home bridge” again.');
    await question.screenshot('question-stop-engine-light');
    await question.press('Enter');
    await dashboard.stopEngine();
    await question.press('Escape');
    expect(await dashboard.engineState()).toBe('Running');

    await dashboard.setTheme('dark');
    await dashboard.stopEngine();
    await question.read('stop-engine');
    await question.screenshot('question-stop-engine-dark');
    await question.choose('Stop engine');
    await dashboard.waitForEngineState('Stopped');
    await dashboard.setTheme('light');
  });

  it('logged no console error or CSP violation', () => {
    expect(consoleProblems).toEqual([]);
  });
});
