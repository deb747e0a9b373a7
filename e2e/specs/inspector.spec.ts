/**
 * The request inspector (issue 6/7), in Debian's Chromium against the real dashboard, engine
 * service and built-in local portal, with a real local JSON service that counts what it gets.
 * Requests are sent with the real `curl` to the public address the Exposures page shows.
 *
 * 1. "Inspect" on the exposure's row opens the page; a curl POST appears within a second with
 *    its method, path and status; its JSON answer is pretty-printed; Authorization is masked until
 *    revealed; an image answer is previewed (a data: URL, inside the window's CSP).
 * 2. Replay reaches the local service (it counts one more) and shows the new answer; an edited
 *    replay (method, path, body) changes what the service gets.
 * 3. Copy as curl, filters, and Download HAR: the file parses and lists the requests.
 * Screenshots (prefix `inspector-`) of the list and the detail in both themes at 1280 x 800 and
 * 800 x 600, where the detail replaces the list, and of the Edit and replay form.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dashboard } from '../pages/dashboard.js';
import { ExposuresPage } from '../pages/exposures.js';
import { InspectorPage } from '../pages/inspector.js';
import { launchChromium } from '../support/browser.js';
import { startServiceStack, type ServiceStack } from '../support/exposure-stack.js';

const run = promisify(execFile);
/** A 16 x 16 PNG in four coloured squares. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAJklEQVR4nGM4pqGBFd0sZ8OKGEY10ESDaIMtVqSa/BorGtVAEw0A1QAsUDh899EAAAAASUVORK5CYII=', 'base64');

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

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** The local service: JSON answers that echo the request and count it; `/logo.png` is an image. */
async function startJsonService(): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      // The service's own reachability probe (HEAD /) goes straight to the port; it is not counted.
      if (request.method === 'HEAD') return void response.end();
      const body = Buffer.concat(parts).toString('utf8');
      seen.push({ method: request.method ?? '', url: request.url ?? '', body });
      if (request.url === '/logo.png') {
        response.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length });
        return void response.end(PNG);
      }
      const answer = JSON.stringify({ count: seen.length, method: request.method, path: request.url, received: body, items: [{ id: 1, name: 'widget' }, { id: 2, name: 'gadget' }] });
      response.writeHead(request.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'application/json', 'set-cookie': 'session=abc123; Path=/' });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, seen };
}

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '10', ...args]);
  return stdout;
}

async function openPage(stack: ServiceStack): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.dashboard.origin });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') consoleProblems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleProblems.push(`pageerror: ${error.message}`));
  cleanups.push(() => context.close());
  await new Dashboard(page).open(stack.dashboard.url);
  return { context, page };
}

describe('request inspector', () => {
  let stack: ServiceStack;
  let page: Page;
  let inspector: InspectorPage;
  let local: { port: number; seen: Seen[] };
  let address = '';

  beforeAll(async () => {
    stack = await startServiceStack();
    cleanups.push(() => stack.stop());
    local = await startJsonService();
    ({ page } = await openPage(stack));
    inspector = new InspectorPage(page);
    const exposures = new ExposuresPage(page);
    await exposures.show();
    await exposures.expose({ localPort: local.port, name: 'api' });
    address = await exposures.waitForLive(`127.0.0.1:${local.port}`);
  });

  it('"Inspect" opens the page; a curl request appears within a second with its method, path and status; JSON is pretty-printed; secrets masked until revealed', async () => {
    await inspector.openFromExposure(`127.0.0.1:${local.port}`);
    const answer = await curl(['-X', 'POST', '-H', 'Content-Type: application/json', '-H', 'Authorization: Bearer s3cret-token', '-d', '{"name":"widget","tags":["a","b"]}', `http://${address}/items?x=1`]);
    expect(JSON.parse(answer)).toMatchObject({ method: 'POST', path: '/items?x=1' });
    // Issue 6/7: "appear within a second".
    expect(await inspector.waitForRow('/items?x=1', { timeout: 1000 })).toEqual({ method: 'POST', path: '/items?x=1', status: '200', replay: false });

    await inspector.openRequest('/items?x=1');
    expect(await inspector.detailStatus()).toBe('200 OK');
    expect(await inspector.treeText()).toMatch(/"method": "POST",\n"path": "\/items\?x=1",[\s\S]*"name": "widget"/);
    await inspector.showBodyAs('Pretty');
    const pretty = await inspector.prettyBody();
    expect(pretty).toBe(JSON.stringify(JSON.parse(answer), null, 2));
    expect(await inspector.header('Set-Cookie')).toBe('session=••••••; Path=/');

    await inspector.tab('Request');
    expect(await inspector.header('Authorization')).toBe('Bearer ••••••');
    await inspector.showBodyAs('Pretty');
    expect(await inspector.prettyBody()).toBe('{\n  "name": "widget",\n  "tags": [\n    "a",\n    "b"\n  ]\n}');
    await inspector.setReveal(true);
    await page.getByText('Bearer s3cret-token').waitFor();
    expect(await inspector.copyCurl()).toMatch(/^curl .*'Authorization: Bearer s3cret-token'/s);
    await inspector.setReveal(false);
    await page.getByText('Bearer ••••••').waitFor();
    expect(await inspector.copyCurl()).not.toContain('s3cret-token');
  });

  it('previews an image answer', async () => {
    await curl(['-o', '/dev/null', `http://${address}/logo.png`]);
    await inspector.waitForRow('/logo.png');
    await inspector.openRequest('/logo.png');
    expect(await inspector.hasImagePreview()).toBe(true);
  });

  it('replays as it was (the service counts it, the new answer shows) and edited (method, path, body)', async () => {
    await inspector.openRequest('/items?x=1', { replay: false });
    const before = local.seen.length;
    await inspector.replay();
    expect(local.seen.length).toBe(before + 1);
    expect(local.seen.at(-1)).toEqual({ method: 'POST', url: '/items?x=1', body: '{"name":"widget","tags":["a","b"]}' });
    expect(await inspector.waitForRow('/items?x=1', { replay: true })).toMatchObject({ method: 'POST', status: '200', replay: true });
    await inspector.showBodyAs('Pretty');
    expect(JSON.parse(await inspector.prettyBody())).toMatchObject({ count: before + 1 });

    await inspector.openRequest('/items?x=1', { replay: false });
    await inspector.editAndReplay({ method: 'PUT', path: '/items/7', body: '{"edited":true}', addHeader: 'X-Edited: yes' }, 'inspector-edit-replay-light-1280');
    expect(local.seen.at(-1)).toEqual({ method: 'PUT', url: '/items/7', body: '{"edited":true}' });
    expect(await inspector.waitForRow('/items/7', { replay: true })).toEqual({ method: 'PUT', path: '/items/7', status: '200', replay: true });
    await inspector.showBodyAs('Pretty');
    expect(JSON.parse(await inspector.prettyBody())).toMatchObject({ method: 'PUT', path: '/items/7', received: '{"edited":true}' });
    await inspector.tab('Request');
    expect(await inspector.header('X-Edited')).toBe('yes');
    // The masked Authorization went as captured: the edited request still carries it.
    await inspector.setReveal(true);
    expect(await inspector.header('Authorization')).toBe('Bearer s3cret-token');
    await inspector.setReveal(false);
  });

  it('filters, and downloads HAR 1.2 that parses and lists the requests with secrets masked', async () => {
    await curl(['-o', '/dev/null', `http://${address}/missing/page`]);
    await inspector.waitForRow('/missing/page');
    await inspector.filterStatus('4xx');
    expect(await inspector.paths()).toEqual(['/missing/page']);
    await inspector.filterStatus('all');
    await inspector.filterMethod('PUT');
    expect(await inspector.paths()).toEqual(['/items/7']);
    await inspector.filterMethod('all');
    await inspector.filter('logo');
    expect(await inspector.paths()).toEqual(['/logo.png']);
    await inspector.filter('');

    const har = await inspector.downloadHar();
    expect(har.name).toMatch(/^porthole-api-.*\.har$/);
    const parsed = JSON.parse(har.text) as { log: { version: string; entries: { request: { method: string; url: string; headers: { name: string; value: string }[] }; response: { status: number } }[] } };
    expect(parsed.log.version).toBe('1.2');
    expect(parsed.log.entries.map((entry) => `${entry.request.method} ${new URL(entry.request.url).pathname} ${entry.response.status}`))
      .toEqual(['POST /items 200', 'GET /logo.png 200', 'POST /items 200', 'PUT /items/7 200', 'GET /missing/page 404']);
    expect(parsed.log.entries[0]?.request.headers.find((header) => header.name === 'Authorization')?.value).toBe('Bearer ••••••');
  });

  it('looks right: list and detail, both themes, 1280 x 800 and 800 x 600', async () => {
    const dashboard = new Dashboard(page);
    for (const theme of ['light', 'dark'] as const) {
      await dashboard.setTheme(theme);
      for (const [size, viewport] of [['1280', { width: 1280, height: 800 }], ['800', { width: 800, height: 600 }]] as const) {
        await page.setViewportSize(viewport);
        await inspector.show();
        if (await inspector.isDetailShown()) await inspector.backToList();
        await page.evaluate('window.scrollTo(0, 0)');
        await inspector.screenshot(`inspector-list-${theme}-${size}`);
        await inspector.openRequest('/items?x=1', { replay: false });
        await inspector.tab('Response');
        await inspector.showBodyAs('Tree');
        expect(await inspector.isListShown()).toBe(size === '1280');
        await inspector.screenshot(`inspector-detail-${theme}-${size}`);
        expect(await dashboard.unreachableControls()).toEqual([]);
        await inspector.backToList();
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await dashboard.setTheme('light');
    expect(consoleProblems).toEqual([]);
  });
});
