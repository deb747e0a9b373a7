/**
 * Set up my server (issue 7/7), in Chromium against the real dashboard and engine service, with a
 * real OpenSSH server on loopback (test/support/sshd.ts: a fresh host key, an empty server
 * account, systemd stand-ins that really start the unit) and the real one-file portal built for
 * the run:
 *
 * 1. From the Overview (no server yet) to the form; an empty submit names each field's problem
 *    beside it and focuses the first.
 * 2. Filled in (a key file, plain TCP, a link port kept busy on purpose): the host key prompt
 *    shows the server's real fingerprint and takes the focus; accepted, the system check fails
 *    with its reason (focused), the port is freed, Retry finishes every step; the public address
 *    shown answers with the local service's bytes, and Copy copies it.
 * 3. "Remove from server" runs the removal with the same step list; the portal stops.
 * 4. The server's host key changed: refused, both fingerprints shown, nothing to accept.
 * Screenshots (remote-setup-<state>-<1280|800>-<light|dark>.png): form, form-problems,
 * host-key, failed, running, done, removed, changed-key.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOfPublicKeyLine } from '../../src-core/host/remote-setup/host-key.js';
import { sshdMissing, startTestSshServer, type TestSshServer } from '../../test/support/sshd.js';
import { freePortRun } from '../../test/support/ports.js';
import { startHttp, type RunningServer } from '../../test/support/upstream.js';
import { Dashboard } from '../pages/dashboard.js';
import { RemoteSetupPage } from '../pages/remote-setup.js';
import { launchChromium, newDashboardPage } from '../support/browser.js';
import { startServiceStack, type ServiceStack } from '../support/exposure-stack.js';
import { buildTestPortal } from '../../test/support/portal-build.js';

describe.skipIf(sshdMissing() !== null)('Set up my server over SSH, from the window', () => {
  let browser: Browser;
  let page: Page;
  let stack: ServiceStack;
  let sshd: TestSshServer;
  let site: RunningServer;
  let folder = '';
  let previousPortalDir: string | undefined;
  let squatter: net.Server | undefined;
  const consoleProblems: string[] = [];

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'porthole-e2e-remote-'));
    chmodSync(folder, 0o755);
    // The real one-file portal for x64, built for this file (a few seconds).
    const out = join(folder, 'portal');
    buildTestPortal(out);
    previousPortalDir = process.env.PORTHOLE_PORTAL_DIR;
    process.env.PORTHOLE_PORTAL_DIR = out;
    sshd = await startTestSshServer();
    site = await startHttp('bytes from the local service');
    stack = await startServiceStack();
    await stack.service.addExposure({ localPort: site.port, name: 'site' });
    browser = await launchChromium();
    page = await newDashboardPage(browser, consoleProblems, { clipboardOrigin: stack.dashboard.origin });
    await new Dashboard(page).open(stack.dashboard.url);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await sshd?.stop();
    await site?.close();
    await new Promise<void>((resolve) => { if (squatter) squatter.close(() => resolve()); else resolve(); });
    if (previousPortalDir === undefined) delete process.env.PORTHOLE_PORTAL_DIR;
    else process.env.PORTHOLE_PORTAL_DIR = previousPortalDir;
    if (folder) rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('an empty form names each problem by its field and focuses the first', async () => {
    const setup = new RemoteSetupPage(page);
    await setup.openFromOverview();
    await setup.screenshots('form');
    expect(await setup.submitExpectingProblems()).toEqual({
      host: 'A server is a DNS name or an IP address.',
      user: 'A user name is 1–32 characters.',
    });
    expect(await setup.focusedName()).toBe('Server');
    await page.getByRole('radio', { name: 'TLS', exact: true }).check();
    expect(await setup.submitExpectingProblems()).toEqual({
      host: 'A server is a DNS name or an IP address.',
      user: 'A user name is 1–32 characters.',
      domain: 'TLS needs the server’s DNS name, e.g. vps.example.com.',
    });
    await setup.screenshots('form-problems');
    await page.getByRole('radio', { name: 'Plain TCP', exact: true }).check();
  });

  it('host key accepted, a failed check retried once its cause is gone, every step done, the public address answers', async () => {
    const setup = new RemoteSetupPage(page);
    const linkPort = await freePortRun(5);
    // The link port is taken on the "server": the system check must say so.
    squatter = net.createServer();
    await new Promise<void>((resolve) => squatter?.listen(linkPort, '127.0.0.1', resolve));
    await setup.fill({ host: sshd.host, port: sshd.port, user: sshd.user, keyFile: sshd.keyFile, linkPort, exposureRange: `${linkPort + 1}-${linkPort + 4}` });
    await setup.submit();

    const expected = fingerprintOfPublicKeyLine(sshd.hostPublicKey);
    expect(await setup.hostKeyShown()).toEqual({ algorithm: expected.algorithm, fingerprint: expected.fingerprint });
    expect(await setup.focusedName()).toBe('Is this 127.0.0.1’s key?');
    expect(await setup.announcement()).toMatch(/host key: waiting for you/);
    await setup.screenshots('host-key');
    await setup.acceptHostKey();

    expect(await setup.waitForRun(['failed'])).toBe('failed');
    const failure = await setup.failure();
    expect(failure.step).toBe('check-system');
    expect(failure.reason).toContain(`Port ${linkPort} (the link port) is in use on the server`);
    expect(await page.evaluate('document.activeElement?.dataset.testid')).toBe('remote-setup-step-reason');
    expect(await setup.announcement()).toMatch(/failed: /);
    await setup.screenshots('failed');

    await new Promise<void>((resolve) => { squatter?.close(() => resolve()); });
    squatter = undefined;
    await setup.retry();
    await setup.waitForStep('upload', 'running').catch(() => undefined);
    await setup.screenshots('running');
    expect(await setup.waitForRun(['done', 'failed'])).toBe('done');
    expect(await setup.steps()).toEqual([
      { title: expect.any(String), state: 'Done' }, { title: expect.any(String), state: 'Done' }, { title: expect.any(String), state: 'Done' },
      { title: expect.any(String), state: 'Done' }, { title: expect.any(String), state: 'Done' }, { title: expect.any(String), state: 'Done' },
      { title: expect.any(String), state: 'Skipped' }, { title: expect.any(String), state: 'Done' }, { title: expect.any(String), state: 'Done' },
    ]);
    // No ufw or firewalld here: the skipped firewall step says what to open, copyable.
    expect(await page.getByTestId('remote-setup-manual').textContent()).toContain(`TCP ${linkPort}`);

    const result = await setup.result();
    expect(result.linkAddress).toBe(`127.0.0.1:${linkPort}`);
    expect(result.profile).toBe('“server 127.0.0.1”');
    expect(result.urls).toHaveLength(1);
    const url = result.urls[0] ?? '';
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:(${linkPort + 1}|${linkPort + 2}|${linkPort + 3}|${linkPort + 4})$`));
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(await response.text()).toBe('bytes from the local service');
    // Done: the focus is on the result, which comes first in the panel.
    expect(await setup.focusedName()).toBe('127.0.0.1 is set up');
    expect(await setup.copyAddress(url)).toBe(url);
    await setup.screenshots('done');
    // The profile is active here: the top bar names it.
    await page.locator('.topbar-profile', { hasText: 'server 127.0.0.1' }).waitFor();
  }, 180_000);

  it('"Remove from server" runs the removal with the same step list and stops the portal', async () => {
    const setup = new RemoteSetupPage(page);
    await setup.removeFromServer();
    expect(await setup.removedNotice()).toContain('Porthole is removed from 127.0.0.1.');
    expect((await setup.steps()).map((step) => step.state)).toEqual(['Done', 'Done', 'Done', 'Skipped', 'Done']);
    expect(sshd.runningUnits()).toEqual({});
    await setup.screenshots('removed');
  }, 90_000);

  it('a changed host key is refused: both fingerprints, no way to accept it', async () => {
    const setup = new RemoteSetupPage(page);
    const pinned = fingerprintOfPublicKeyLine(sshd.hostPublicKey).fingerprint;
    await sshd.changeHostKey();
    const presented = fingerprintOfPublicKeyLine(sshd.hostPublicKey).fingerprint;
    await setup.backToForm();
    const linkPort = await freePortRun(5);
    await setup.fill({ host: sshd.host, port: sshd.port, user: sshd.user, keyFile: sshd.keyFile, linkPort, exposureRange: `${linkPort + 1}-${linkPort + 4}` });
    await setup.submit();
    expect(await setup.changedKey()).toEqual({ pinned, presented });
    expect(await setup.hasAcceptButton()).toBe(false);
    expect(await page.getByTestId('remote-setup-retry').count()).toBe(0);
    await setup.screenshots('changed-key');
    expect(consoleProblems).toEqual([]);
  }, 90_000);
});
