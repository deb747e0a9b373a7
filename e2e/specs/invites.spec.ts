/**
 * Issue 7/7, invites from the window (portal side): on a running portal profile, Invite someone…
 * makes an invite whose link and QR code show (the QR code read back from the screen is the
 * link); a real bridge made from that link joins, exposes a site, and its row in the users table
 * counts its link, exposure and visitors live; Revoke (asked first) removes the row and the
 * portal refuses that bridge from then on.
 *
 * Real Chromium, the real dashboard server, engine service and a real Porthole bridge.
 */
import jsQRModule from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeProfileFromLink } from '../../src-core/host/api/invites/profile-from-link.js';
import { loadConfig } from '../../src-core/engine/config/index.js';
import type { Instance } from '../../src-core/engine/instance.js';
import { freePorts, waitForPort, waitUntil } from '../../test/support/ports.js';
import { startPeer, type RunningPeer } from '../../test/support/reverse-pair.js';
import { Dashboard } from '../pages/dashboard.js';
import { InvitesDialog } from '../pages/invites.js';
import { launchChromium, recordConsoleProblems } from '../support/browser.js';
import { freeRange, httpGetEventually, startServiceStack, startTestSite, type ServiceStack, type TestSite } from '../support/exposure-stack.js';

const OWNER = '27848739-7e62-4138-9fd3-098a63964b6b';

let stack: ServiceStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let invites: InvitesDialog;
let site: TestSite;
let bridge: RunningPeer | undefined;
let aliceLink = '';
const consoleProblems: string[] = [];

beforeAll(async () => {
  stack = await startServiceStack();
  site = await startTestSite('Alice’s site');
  const [linkPort = 0] = await freePorts(1);
  const ports = await freeRange(4);
  await stack.service.saveProfile('my portal', `// The portal bridges dial on ${linkPort}.
{
  "log": {"loglevel": "info"},
  "reverse": {"portals": [{"tag": "portal", "domain": "invites.e2e.test", "exposures": {"ports": "${ports.from}-${ports.to}", "listen": "127.0.0.1"}}]},
  "inbounds": [{"tag": "interconn", "listen": "127.0.0.1", "port": ${linkPort}, "protocol": "vmess",
    "settings": {"clients": [{"id": "${OWNER}", "email": "owner"}]}}],
  "routing": {"rules": [{"type": "field", "inboundTag": ["interconn"], "outboundTag": "portal"}]}
}
`);
  await stack.service.activateProfile('my portal');
  await waitForPort(linkPort);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  recordConsoleProblems(page, consoleProblems);
  await new Dashboard(page).open(stack.dashboard.url);
  invites = new InvitesDialog(page);
}, 60_000);

afterAll(async () => {
  await bridge?.stop();
  await browser?.close();
  await site?.close();
  await stack?.stop();
});

/** jsqr is CommonJS: its default export arrives as the function itself or under `default`. */
const jsQR = (typeof jsQRModule === 'function' ? jsQRModule : jsQRModule.default) as typeof jsQRModule.default;

/** Reads the QR code as the screen shows it: a screenshot of it, made pixels by the browser, decoded here. */
async function qrOnScreen(): Promise<string | null> {
  const png = (await page.getByTestId('invite-qr').screenshot()).toString('base64');
  // Runs in the page (DOM types are not this file's): PNG → pixels through a canvas.
  const pixels = await page.evaluate(`(async () => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(png)}), (char) => char.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const image = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: image.width, height: image.height, data: Array.from(image.data) };
  })()`) as { width: number; height: number; data: number[] };
  return jsQR(Uint8ClampedArray.from(pixels.data), pixels.width, pixels.height)?.data ?? null;
}

describe('Profiles → Invite someone…', () => {
  it('makes an invite: link and QR code, a new row in the users table', async () => {
    await invites.openFor('my portal');
    expect((await invites.rows()).map((row) => row.name)).toEqual(['owner']);
    const { link, qr } = await invites.invite('alice');
    aliceLink = link;
    expect(link).toMatch(/^porthole:\/\/join\?v=1&proto=vmess&addr=127\.0\.0\.1&port=\d+&id=[0-9a-f-]{36}&domain=invites\.e2e\.test&name=alice$/);
    expect(qr.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
    expect(await qrOnScreen()).toBe(link);
    const row = await invites.waitForRow('alice', (candidate) => candidate !== undefined);
    expect(row).toEqual({ name: 'alice', shortId: /id=([0-9a-f]{8})/.exec(link)![1], links: '0', exposures: '0', connections: '0 / 0', down: '0 B', up: '0 B' });
    expect(await invites.notice()).toBe('Invite for “alice” made: give them the link or the QR code.');
  });

  it('refuses a taken name with one line', async () => {
    expect(await invites.refusedInvite('alice')).toBe('Inbound "interconn" already has a user named "alice" (revoke it or pick another name).');
  });

  it('counts the joined bridge\'s link, exposure and visitors in its row, live', async () => {
    const { text } = bridgeProfileFromLink(aliceLink);
    bridge = await startPeer('porthole', loadConfig([{ name: 'alice.json', text }]));
    const engine = bridge.instance as Instance;
    await engine.setExposures([{ id: 'e-00000a11', name: 'site', localHost: '127.0.0.1', localPort: site.port, publicPort: null, enabled: true }]);
    await waitUntil(() => engine.exposures.status('e-00000a11').state === 'live', 15_000, 'the exposure live');
    const address = engine.exposures.status('e-00000a11').publicAddress!;
    for (let visit = 0; visit < 3; visit += 1) expect(await httpGetEventually(address)).toBe(site.body);
    const row = await invites.waitForRow('alice', (candidate) => candidate?.connections === '0 / 3');
    expect({ links: row?.links, exposures: row?.exposures, down: row?.down !== '0 B', up: row?.up !== '0 B' }).toEqual({ links: '1', exposures: '1', down: true, up: true });
    expect((await invites.rows()).find((candidate) => candidate.name === 'owner')).toMatchObject({ links: '0', connections: '0 / 0', down: '0 B' });
  });

  it('looks right in both themes at 1280 x 800 and 800 x 600 (screenshots)', async () => {
    const dashboard = new Dashboard(page);
    await invites.close();
    for (const [size, viewport] of [['1280', { width: 1280, height: 800 }], ['800', { width: 800, height: 600 }]] as const) {
      await page.setViewportSize(viewport);
      for (const theme of ['light', 'dark'] as const) {
        await dashboard.setTheme(theme);
        await invites.openFor('my portal');
        if (theme === 'light') {
          await invites.close();
          await dashboard.screenshot(`invites-profile-${size}-${theme}`);
          await page.getByTestId('invite-open').click();
          await page.getByTestId('invite-users').waitFor();
        }
        await page.getByRole('button', { name: 'Show the link for alice' }).click();
        await page.getByTestId('invite-link-panel').waitFor();
        await dashboard.screenshot(`invites-${size}-${theme}`);
        await page.getByTestId('invite-users').scrollIntoViewIfNeeded();
        await dashboard.screenshot(`invites-users-${size}-${theme}`);
        await invites.close();
      }
    }
    await dashboard.setTheme('light');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('revokes a user after asking: the row goes, and the portal refuses its bridge', async () => {
    await invites.openFor('my portal');
    expect(await invites.revoke('alice', 'Cancel')).toEqual({ title: 'Revoke “alice”?' });
    expect((await invites.rows()).map((row) => row.name)).toEqual(['owner', 'alice']);
    await invites.revoke('alice', 'Revoke');
    await invites.waitForRow('alice', (row) => row === undefined);
    expect(await invites.notice()).toBe('Revoked “alice”: its bridge is refused from now on.');
    const engine = bridge!.instance as Instance;
    // Cut off at the reload, then refused at each dial: the portal says so in its log.
    await waitUntil(async () => (await stack.service.recentLogs({ limit: 500 })).some((line) => /invalid user/.test(line.message)), 15_000, 'the portal refusing the bridge');
    expect(engine.bridges[0]!.activeLinks).toBe(0);
    expect((await stack.service.getProfile('my portal')).text).not.toContain('"email": "alice"');
    // The refused invite answered 422 with its envelope (shown inline); Chromium logs the status too.
    expect(consoleProblems.filter((line) => !line.includes('status of 422'))).toEqual([]);
  });
});
