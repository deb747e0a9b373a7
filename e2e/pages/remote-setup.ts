/** Set up my server (`#/remote-setup`): the form, the run's steps, the host key, the result. Selectors stay in here. */
import { mkdirSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { SCREENSHOTS } from './dashboard.js';

export interface SetupFields {
  host: string;
  port?: number;
  user: string;
  keyFile?: string;
  transport?: 'Plain TCP' | 'TLS' | 'WebSocket + TLS';
  domain?: string;
  linkPort?: number;
  exposureRange?: string;
}

export interface ShownStep {
  title: string;
  state: string;
}

export class RemoteSetupPage {
  constructor(private readonly page: Page) {}

  private get root(): Locator {
    return this.page.getByTestId('remote-setup-page');
  }

  private get run(): Locator {
    return this.page.getByTestId('remote-setup-run');
  }

  /** From the Overview's exposures card, as a user with no server would. */
  async openFromOverview(): Promise<void> {
    await this.page.getByRole('link', { name: 'Overview' }).click();
    await this.page.locator('main[data-page="overview"]').getByRole('link', { name: 'Set up my server…' }).click();
    await this.root.waitFor();
  }

  /** Submits the form as it is; resolves with the problems shown by field. */
  async submitExpectingProblems(): Promise<Record<string, string>> {
    await this.page.getByTestId('remote-setup-submit').click();
    const problems = this.page.getByTestId('remote-setup-problem');
    await problems.first().waitFor();
    const shown: Record<string, string> = {};
    for (const problem of await problems.all()) shown[(await problem.getAttribute('data-field')) ?? '?'] = (await problem.textContent()) ?? '';
    return shown;
  }

  /** The accessible name of the focused element (label, aria-label or text). */
  async focusedName(): Promise<string> {
    return this.page.evaluate(`(() => {
      const element = document.activeElement;
      if (!element) return '';
      const label = element.labels && element.labels[0];
      return (element.getAttribute('aria-label') || (label ? label.textContent : '') || element.textContent || '').trim();
    })()`);
  }

  async fill(fields: SetupFields): Promise<void> {
    await this.page.getByLabel('Server', { exact: true }).fill(fields.host);
    if (fields.port !== undefined) await this.page.getByLabel('SSH port').fill(String(fields.port));
    await this.page.getByLabel('User', { exact: true }).fill(fields.user);
    if (fields.keyFile !== undefined) {
      await this.page.getByRole('radio', { name: /A key file/ }).check();
      await this.page.getByLabel('Private key file').fill(fields.keyFile);
    }
    if (fields.transport) await this.page.getByRole('radio', { name: fields.transport, exact: true }).check();
    if (fields.domain !== undefined) await this.page.getByLabel('Domain').fill(fields.domain);
    if (fields.linkPort !== undefined || fields.exposureRange !== undefined) {
      const advanced = this.page.locator('details.rs-advanced');
      if ((await advanced.getAttribute('open')) === null) await advanced.locator('summary').click();
      if (fields.linkPort !== undefined) await this.page.getByLabel('Link port').fill(String(fields.linkPort));
      if (fields.exposureRange !== undefined) await this.page.getByLabel('Exposure ports').fill(fields.exposureRange);
    }
  }

  async submit(): Promise<void> {
    await this.page.getByTestId('remote-setup-submit').click();
    await this.run.waitFor();
  }

  /** Waits for the host key prompt; resolves with what it shows. */
  async hostKeyShown(): Promise<{ algorithm: string; fingerprint: string }> {
    const prompt = this.page.getByTestId('remote-setup-host-key');
    await prompt.waitFor({ timeout: 30_000 });
    return {
      algorithm: (await prompt.getByTestId('remote-setup-host-key-algorithm').textContent()) ?? '',
      fingerprint: (await prompt.getByTestId('remote-setup-host-key-fingerprint').textContent()) ?? '',
    };
  }

  async acceptHostKey(): Promise<void> {
    await this.page.getByRole('button', { name: 'Accept and pin' }).click();
    await this.page.getByTestId('remote-setup-host-key').waitFor({ state: 'detached' });
  }

  /** Waits until the run's state is one of `states` (running, waiting, failed, done, cancelled). */
  async waitForRun(states: string[], timeout = 90_000): Promise<string> {
    const selector = states.map((state) => `[data-testid="remote-setup-run"][data-state="${state}"]`).join(', ');
    await this.page.locator(selector).waitFor({ timeout });
    return (await this.run.getAttribute('data-state')) ?? '';
  }

  async waitForStep(id: string, state: string, timeout = 60_000): Promise<void> {
    await this.run.locator(`li[data-step="${id}"][data-state="${state}"]`).waitFor({ timeout });
  }

  async steps(): Promise<ShownStep[]> {
    const rows = await this.run.locator('li.rs-step').all();
    return Promise.all(rows.map(async (row) => ({
      title: (await row.getByTestId('remote-setup-step-title').textContent()) ?? '',
      state: (await row.getByTestId('remote-setup-step-state').textContent()) ?? '',
    })));
  }

  /** The failed step: its id and the reason shown. */
  async failure(): Promise<{ step: string; reason: string }> {
    const row = this.run.locator('li[data-state="failed"]');
    return { step: (await row.getAttribute('data-step')) ?? '', reason: (await row.getByTestId('remote-setup-step-reason').textContent()) ?? '' };
  }

  async retry(): Promise<void> {
    await this.page.getByTestId('remote-setup-retry').click();
  }

  hasAcceptButton(): Promise<boolean> {
    return this.page.getByRole('button', { name: 'Accept and pin' }).isVisible();
  }

  async changedKey(): Promise<{ pinned: string; presented: string }> {
    const panel = this.page.getByTestId('remote-setup-host-key-changed');
    await panel.waitFor({ timeout: 30_000 }).catch(async (error: Error) => {
      // Say what the page shows instead: a stuck run and a failed login need different fixes.
      const run = await this.run.getAttribute('data-state', { timeout: 1_000 }).catch(() => 'no run shown');
      const steps = await this.steps().catch(() => []);
      throw new Error(`${error.message}\nthe run is ${run}; steps: ${steps.map((step) => `${step.title}: ${step.state}`).join(', ')}`, { cause: error });
    });
    return {
      pinned: (await panel.getByTestId('remote-setup-pinned-fingerprint').textContent()) ?? '',
      presented: (await panel.getByTestId('remote-setup-host-key-fingerprint').textContent()) ?? '',
    };
  }

  async result(): Promise<{ linkAddress: string; profile: string; urls: string[] }> {
    const result = this.page.getByTestId('remote-setup-result');
    await result.waitFor();
    return {
      linkAddress: (await result.getByTestId('remote-setup-link-address').textContent()) ?? '',
      profile: (await result.getByTestId('remote-setup-profile').textContent()) ?? '',
      urls: await result.getByTestId('remote-setup-exposure-url').allTextContents(),
    };
  }

  /** Clicks Copy next to the public address; resolves with what the clipboard then holds. */
  async copyAddress(url: string): Promise<string> {
    await this.page.getByTestId('remote-setup-result').getByRole('button', { name: `Copy the address ${url}` }).click();
    return this.page.evaluate('navigator.clipboard.readText()');
  }

  announcement(): Promise<string> {
    return this.page.getByTestId('remote-setup-announcement').textContent().then((text) => text ?? '');
  }

  /** "Remove from server…", then the dialog's Remove (logging in with what the setup used). */
  async removeFromServer(): Promise<void> {
    await this.page.getByTestId('remote-setup-remove').click();
    const dialog = this.page.getByTestId('remote-setup-remove-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('remote-setup-remove-confirm').click();
    await this.run.and(this.page.locator('[data-kind="remove"]')).waitFor();
  }

  async removedNotice(): Promise<string> {
    const notice = this.page.getByTestId('remote-setup-removed');
    await notice.waitFor({ timeout: 60_000 });
    return (await notice.textContent()) ?? '';
  }

  async backToForm(): Promise<void> {
    await this.page.getByRole('button', { name: /Back to the form|Set up another server/ }).click();
    await this.page.getByTestId('remote-setup-form').waitFor();
  }

  /** `remote-setup-<name>-<width>-<theme>.png` at 1280x800 and 800x600, light and dark (via the system theme). */
  async screenshots(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const [width, height] of [[1280, 800], [800, 600]] as const) {
      await this.page.setViewportSize({ width, height });
      for (const theme of ['light', 'dark'] as const) {
        await this.page.emulateMedia({ colorScheme: theme });
        await this.page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
        await this.page.screenshot({ path: new URL(`remote-setup-${name}-${width}-${theme}.png`, SCREENSHOTS).pathname });
      }
    }
    await this.page.setViewportSize({ width: 1280, height: 800 });
    await this.page.emulateMedia({ colorScheme: 'light' });
  }
}
