/**
 * Issue 7/7, invites in the window: Profiles → Join… takes a pasted `porthole://` invite (or a
 * `vless://` share link plus the reverse domain) and saves the bridge profile it makes; a bad link
 * says what is wrong in one line and cannot be saved.
 *
 * Real Chromium, the real dashboard server and engine service.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeInvite } from '../../src-core/host/api/invites/invite-link.js';
import { Dashboard } from '../pages/dashboard.js';
import { ProfilesPage } from '../pages/profiles.js';
import { launchChromium, recordConsoleProblems } from '../support/browser.js';
import { startServiceStack, type ServiceStack } from '../support/exposure-stack.js';

const ID = '6d70fd5f-16e6-46cc-88c9-8fa107d91bad';
const INVITE = encodeInvite({
  endpoint: { protocol: 'vmess', address: 'vps.example.com', port: 443, id: ID, network: 'ws', tls: true, path: '/porthole' },
  domain: 'home.example',
  name: 'alice',
});

let stack: ServiceStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let profiles: ProfilesPage;
const consoleProblems: string[] = [];

beforeAll(async () => {
  stack = await startServiceStack();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  recordConsoleProblems(page, consoleProblems);
  await new Dashboard(page).open(stack.dashboard.url);
  profiles = new ProfilesPage(page);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const form = () => page.getByTestId('join-link');
const linkBox = () => page.getByLabel('Invite or share link');

async function openJoin(): Promise<void> {
  await profiles.show();
  if ((await form().count()) === 0) await page.getByRole('button', { name: 'Join with an invite link…' }).click();
  await form().waitFor();
}

describe('Profiles → Join…', () => {
  it('refuses a bad link with one line and no way to save it', async () => {
    await openJoin();
    await linkBox().fill(INVITE.replace('v=1', 'v=2'));
    expect(await page.getByTestId('join-error').textContent()).toBe('invite link: version 2 is newer than this Porthole reads (1); update Porthole');
    expect(await page.getByRole('button', { name: 'Create profile' }).isDisabled()).toBe(true);
    expect(await linkBox().getAttribute('aria-invalid')).toBe('true');
  });

  it('shows the form in both themes at 1280 x 800 and 800 x 600 (screenshots)', async () => {
    const dashboard = new Dashboard(page);
    for (const [size, viewport] of [['1280', { width: 1280, height: 800 }], ['800', { width: 800, height: 600 }]] as const) {
      await page.setViewportSize(viewport);
      for (const theme of ['light', 'dark'] as const) {
        await dashboard.setTheme(theme);
        await profiles.show();
        await dashboard.screenshot(`join-link-closed-${size}-${theme}`);
        await openJoin();
        await linkBox().fill(INVITE);
        await dashboard.screenshot(`join-link-${size}-${theme}`);
        await linkBox().fill('porthole://join?v=1&proto=vmess');
        await dashboard.screenshot(`join-link-error-${size}-${theme}`);
      }
    }
    await dashboard.setTheme('light');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('saves the invite\'s bridge profile under the invite\'s name', async () => {
    await openJoin();
    await linkBox().fill(INVITE);
    expect(await form().getByText('Creates the bridge profile “alice”.').count()).toBe(1);
    await page.getByRole('button', { name: 'Create profile' }).click();
    await form().waitFor({ state: 'detached' });
    await page.getByTestId('profile-item').filter({ hasText: 'alice' }).waitFor();
    expect(await profiles.savedNames()).toContain('alice');
    const saved = await stack.service.getProfile('alice');
    expect(saved.text).toContain('"protocol": "vmess"');
    expect(saved.text).toContain('"domain": "home.example"');
  });

  it('asks a share link for the reverse domain, then saves it beside the first', async () => {
    await openJoin();
    await linkBox().fill(`vless://${ID}@vps.example.com:443?type=tcp&security=tls#alice`);
    const domain = page.getByLabel('Portal\'s reverse domain');
    await domain.waitFor();
    expect(await page.getByTestId('join-error').count()).toBe(0);
    await domain.fill('home.example');
    await page.getByRole('button', { name: 'Create profile' }).click();
    await page.getByTestId('profile-item').filter({ hasText: 'alice (2)' }).waitFor();
    expect((await stack.service.getProfile('alice (2)')).text).toContain('"protocol": "vless"');
    expect(consoleProblems).toEqual([]);
  });
});
