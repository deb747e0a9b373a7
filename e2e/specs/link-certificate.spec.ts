/**
 * A portal profile whose link inbound gets its certificate through ACME (`tlsSettings.acme`), as
 * its operator sees it on the Overview, against Let's Encrypt's test CA (Pebble) on loopback:
 *
 * 1. Under the inbound's address in Listening: "Certificate for <name> from <CA>, valid until …",
 *    once Pebble issued it (the engine listens at once; the line follows the snapshots).
 * 2. A profile whose challenge port the CA cannot reach: "No certificate for <name> from <CA>
 *    yet", with the CA's reason and the next try.
 * Screenshots: overview-link-certificate-{issued,failed}-{light,dark}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pebbleMissingReason, startPebble, type RunningPebble } from '../../src-core/engine/app/edge/certificates/testdata/pebble.js';
import { freePorts } from '../../test/support/ports.js';
import { Dashboard } from '../pages/dashboard.js';
import { launchChromium, newDashboardPage } from '../support/browser.js';
import { startServiceStack, type ServiceStack } from '../support/exposure-stack.js';

const NAME = 'link.porthole.test';

describe.skipIf(pebbleMissingReason() !== undefined)('a link certificate through ACME, on the Overview', () => {
  let browser: Browser;
  let page: Page;
  let stack: ServiceStack;
  let pebble: RunningPebble;
  let folder = '';
  let challengePort = 0;
  const consoleProblems: string[] = [];

  /** A portal whose VMess link over TLS gets its certificate for NAME from Pebble, challenged on `httpPort`. */
  async function portalProfile(httpPort: number, storage: string): Promise<string> {
    const [publicPort = 0, linkPort = 0] = await freePorts(2);
    return JSON.stringify({
      reverse: { portals: [{ tag: 'portal', domain: 'reverse.porthole.internal' }] },
      inbounds: [
        { tag: 'public', listen: '127.0.0.1', port: publicPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 9, network: 'tcp' } },
        {
          tag: 'link', listen: '127.0.0.1', port: linkPort, protocol: 'vmess', settings: { clients: [{ id: '0c2a4e8f-4b1d-4f6e-9a53-2f6d7c1b9e40' }] },
          streamSettings: {
            security: 'tls',
            tlsSettings: { serverName: NAME, acme: { directory: pebble.directoryUrl, caFile: pebble.httpsCaFile, storage: join(folder, storage), httpPort } },
          },
        },
      ],
      routing: { rules: [{ type: 'field', inboundTag: ['public', 'link'], outboundTag: 'portal' }] },
    }, null, 2);
  }

  const certificateLine = () => page.getByTestId('engine-certificate');

  async function shoot(dashboard: Dashboard, name: string, state: string): Promise<void> {
    for (const theme of ['light', 'dark'] as const) {
      await dashboard.setTheme(theme);
      await dashboard.goTo('Overview');
      await page.locator(`[data-testid="engine-certificate"][data-state="${state}"]`).scrollIntoViewIfNeeded();
      await dashboard.screenshot(`overview-link-certificate-${name}-${theme}`);
    }
    await dashboard.setTheme('light');
    await dashboard.goTo('Overview');
  }

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'porthole-e2e-link-acme-'));
    [challengePort = 0] = await freePorts(1);
    pebble = await startPebble({ httpPort: challengePort });
    stack = await startServiceStack();
    browser = await launchChromium();
    page = await newDashboardPage(browser, consoleProblems);
    await new Dashboard(page).open(stack.dashboard.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await pebble?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('shows the certificate under the link inbound, with its CA and expiry, once issued', async () => {
    const dashboard = new Dashboard(page);
    await stack.service.saveProfile('vps portal', await portalProfile(challengePort, 'acme'));
    await stack.service.activateProfile('vps portal');
    await dashboard.goTo('Overview');
    const issued = page.locator('[data-testid="engine-certificate"][data-state="issued"]');
    await issued.waitFor({ timeout: 30_000 });
    const text = (await issued.textContent()) ?? '';
    const authority = new URL(pebble.directoryUrl).host;
    // The date is in the browser's locale ("Dec 7, 2031" here).
    expect(text).toMatch(new RegExp(`^Certificatefor ${NAME.replace(/\./g, '\\.')} from ${authority.replace(/\./g, '\\.')}, valid until \\D*\\d.*\\d{4}$`));
    await shoot(dashboard, 'issued', 'issued');
  }, 90_000);

  it('says why there is none when the CA cannot reach the challenge port, and when it tries again', async () => {
    const dashboard = new Dashboard(page);
    // Pebble checks `challengePort`; this portal answers on another port, so validation fails.
    const [elsewhere = 0] = await freePorts(1);
    await stack.service.saveProfile('unreachable', await portalProfile(elsewhere, 'acme-unreachable'));
    await stack.service.activateProfile('unreachable');
    await dashboard.goTo('Overview');
    const failed = page.locator('[data-testid="engine-certificate"][data-state="failed"]');
    await failed.waitFor({ timeout: 60_000 });
    const text = (await failed.textContent()) ?? '';
    expect(text).toContain(`No certificatefor ${NAME} from ${new URL(pebble.directoryUrl).host} yet`);
    expect(text).toMatch(/Next try at \d\d:\d\d:\d\d\.$/);
    expect(await failed.getByRole('alert').count()).toBe(1);
    await shoot(dashboard, 'failed', 'failed');
    expect(await certificateLine().count()).toBe(1);
    expect(consoleProblems).toEqual([]);
  }, 120_000);
});
