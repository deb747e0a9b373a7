/**
 * Exposures (issue 7/7) as a user drives them: the Overview's one click, the Exposures page's form
 * and rows, and the Server setup dialog. Selectors stay in here; rows are found by their local
 * address (`127.0.0.1:3000`), which is how the user tells them apart.
 */
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

export type ExposureStateName = 'disabled' | 'offline' | 'requesting' | 'live' | 'setup-needed' | 'refused' | 'local-down';
export type PortalName = 'local' | 'porthole' | 'v2ray';

const WAIT_MS = 20_000;

export interface ExposeForm {
  localPort: number;
  localHost?: string;
  name?: string;
  publicPort?: number;
}

/** The Overview's exposures card: the one click, "Expose a port…", pause and resume. */
export class OverviewExposures extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private card(): Locator {
    return this.page.getByRole('region', { name: 'Exposures' });
  }

  private row(local: string): Locator {
    return this.page.locator(`[data-testid="overview-exposure"][data-local="${local}"]`);
  }

  async show(): Promise<void> {
    await this.goTo('Overview');
  }

  /** The one click. */
  async exposeLocalhost80(): Promise<void> {
    await this.card().getByRole('button', { name: 'Expose localhost:80' }).click();
  }

  /** "Expose a port…": lands on the Exposures page with the cursor in the local port field. */
  async exposeAPort(): Promise<ExposuresPage> {
    await this.show();
    await this.card().getByRole('link', { name: 'Expose a port…' }).click();
    await this.waitForPage('Exposures');
    return new ExposuresPage(this.page);
  }

  /** Waits for the exposure of `local` on the Overview and returns its state, public address and problem text. */
  async waitForExposure(local: string, check: { state?: ExposureStateName; problem?: RegExp } = {}): Promise<{ state: string; address: string | null; problem: string | null }> {
    let row = this.row(local);
    if (check.state) row = row.and(this.page.locator(`[data-state="${check.state}"]`));
    if (check.problem) row = row.filter({ has: this.page.getByTestId('exposure-problem').filter({ hasText: check.problem }) });
    await row.waitFor({ timeout: WAIT_MS });
    const address = row.getByTestId('public-address');
    const problem = row.getByTestId('exposure-problem');
    return {
      state: (await row.getAttribute('data-state')) ?? '',
      address: (await address.count()) > 0 ? await address.textContent() : null,
      problem: (await problem.count()) > 0 ? await problem.textContent() : null,
    };
  }

  async pauseAll(): Promise<void> {
    await this.card().getByRole('button', { name: 'Pause all' }).click();
    await this.card().getByTestId('exposures-paused').waitFor({ timeout: WAIT_MS });
  }

  /** "Paused — Resume". */
  async resume(): Promise<void> {
    await this.card().getByRole('button', { name: 'Resume' }).click();
    await this.card().getByTestId('exposures-paused').waitFor({ state: 'detached', timeout: WAIT_MS });
  }
}

/** The Exposures page: the add form and one row per exposure. */
export class ExposuresPage extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private form(): Locator {
    return this.page.getByRole('form', { name: 'Expose a local port' });
  }

  private row(local: string): Locator {
    return this.page.locator(`[data-testid="exposure-row"][data-local="${local}"]`);
  }

  async show(): Promise<void> {
    await this.goTo('Exposures');
  }

  /** The accessible name of the focused element (the form focuses the local port after "Expose a port…"). */
  async focusedField(): Promise<string> {
    return this.page.evaluate("(() => { const element = document.activeElement; const label = element && element.closest('label'); return label ? label.querySelector('.label').textContent.trim() : ''; })()");
  }

  /** Fills the form and clicks Expose; resolves once the row for the local address is shown. */
  async expose(input: ExposeForm): Promise<void> {
    await this.submit(input);
    await this.row(`${input.localHost ?? '127.0.0.1'}:${input.localPort}`).waitFor({ timeout: WAIT_MS });
  }

  /** Fills the form and clicks Expose, and waits for nothing (a question may come first). */
  async submit(input: ExposeForm): Promise<void> {
    const form = this.form();
    if (input.localHost !== undefined) await form.getByLabel('Local host').fill(input.localHost);
    await form.getByLabel('Local port').fill(String(input.localPort));
    await form.getByLabel(/^Name/).fill(input.name ?? '');
    await form.getByLabel(/^Public port/).fill(input.publicPort === undefined ? '' : String(input.publicPort));
    await form.getByRole('button', { name: 'Expose' }).click();
  }

  /** What the form's fields hold now (kept after a question answered "keep"). */
  async formValues(): Promise<{ localPort: string; name: string; publicPort: string }> {
    const form = this.form();
    return {
      localPort: await form.getByLabel('Local port').inputValue(),
      name: await form.getByLabel(/^Name/).inputValue(),
      publicPort: await form.getByLabel(/^Public port/).inputValue(),
    };
  }

  /**
   * The keyboard only, from where "Expose a port…" leaves the cursor (the local port field):
   * type the port, Tab to the name, type it, Enter submits.
   */
  async exposeWithKeyboard(localPort: number, name: string): Promise<void> {
    if ((await this.focusedField()) !== 'Local port') throw new Error('the local port field does not have the focus');
    await this.page.keyboard.type(String(localPort));
    await this.page.keyboard.press('Tab');
    await this.page.keyboard.type(name);
    await this.page.keyboard.press('Enter');
    await this.row(`127.0.0.1:${localPort}`).waitFor({ timeout: WAIT_MS });
  }

  /** The add form's inline error (a field, or the service's answer). */
  async addError(): Promise<string> {
    const error = this.page.getByTestId('add-exposure-error');
    await error.waitFor({ timeout: WAIT_MS });
    return (await error.textContent()) ?? '';
  }

  /** Waits for the state (and, if given, the portal the exposure goes through: `local`, `porthole`, `v2ray`). */
  async waitForState(local: string, state: ExposureStateName, options: { portal?: PortalName; timeout?: number } = {}): Promise<void> {
    const portal = options.portal ? `[data-portal="${options.portal}"]` : '';
    await this.row(local).and(this.page.locator(`[data-state="${state}"]${portal}`)).waitFor({ timeout: options.timeout ?? WAIT_MS });
  }

  /** Waits until live (through `portal`, if given) and returns the public address the row shows. */
  async waitForLive(local: string, options: { portal?: PortalName; timeout?: number } = {}): Promise<string> {
    await this.waitForState(local, 'live', options);
    return this.publicAddress(local);
  }

  async publicAddress(local: string): Promise<string> {
    const address = this.row(local).getByTestId('public-address');
    await address.waitFor({ timeout: WAIT_MS });
    return (await address.textContent()) ?? '';
  }

  async stateLabel(local: string): Promise<string> {
    return (await this.row(local).getByTestId('exposure-state').textContent()) ?? '';
  }

  async names(): Promise<string[]> {
    return this.page.getByTestId('exposure-name').allTextContents();
  }

  /** Waits for the row's problem line to match and returns it. */
  async waitForProblem(local: string, text: RegExp): Promise<string> {
    const problem = this.row(local).getByTestId('exposure-problem').filter({ hasText: text });
    await problem.waitFor({ timeout: WAIT_MS });
    return (await problem.textContent()) ?? '';
  }

  /** Clicks the Copy button next to the public address; resolves with what the clipboard then holds. */
  /** What Copy gives for the row's public address (`http://…` once the service answered HTTP). */
  async publicUrl(local: string): Promise<string> {
    return (await this.row(local).getByTestId('public-address').getAttribute('data-url')) ?? '';
  }

  async copyPublicAddress(local: string): Promise<string> {
    const button = this.row(local).getByRole('button', { name: /^Copy the public address/ });
    await button.click();
    await this.row(local).locator('[data-copied="true"]').waitFor({ timeout: 5000 });
    return this.page.evaluate('navigator.clipboard.readText()');
  }

  /** Bytes down of the exposure's traffic, as the row counts them. */
  async bytesDown(local: string): Promise<number> {
    return Number(await this.row(local).getByTestId('exposure-traffic').getAttribute('data-bytes-down'));
  }

  /** Flips the row's on/off switch (keyboard: Space on the focused switch, as a user would). */
  async setEnabled(local: string, enabled: boolean): Promise<void> {
    const toggle = this.row(local).getByRole('switch');
    if ((await toggle.isChecked()) === enabled) return;
    await toggle.focus();
    await this.page.keyboard.press('Space');
    await this.row(local).getByRole('switch', { checked: enabled }).waitFor({ timeout: WAIT_MS });
  }

  /** Edit → new name and public port → Save. */
  async edit(local: string, change: { name?: string; publicPort?: number | null }): Promise<void> {
    const row = this.row(local);
    await row.getByRole('button', { name: /^Edit / }).click();
    if (change.name !== undefined) await row.getByLabel('Name').fill(change.name);
    if (change.publicPort !== undefined) await row.getByLabel('Public port').fill(change.publicPort === null ? '' : String(change.publicPort));
    await row.getByRole('button', { name: 'Save' }).click();
    await row.getByRole('button', { name: 'Save' }).waitFor({ state: 'detached', timeout: WAIT_MS });
  }

  /** Remove → confirm; resolves once the row is gone. */
  async remove(local: string): Promise<void> {
    const row = this.row(local);
    await row.getByRole('button', { name: /^Remove / }).click();
    await row.getByRole('button', { name: /^Remove “/ }).click();
    await row.waitFor({ state: 'detached', timeout: WAIT_MS });
  }

  /** The row's "Server setup" (offered while the portal cannot open ports by itself). */
  async openServerSetup(local: string): Promise<ServerSetupDialog> {
    await this.row(local).getByRole('button', { name: 'Server setup' }).click();
    const dialog = new ServerSetupDialog(this.page);
    await dialog.waitForOpen();
    return dialog;
  }

  /** The Traffic page's per-exposure series, by the names shown. */
  async trafficSeriesNames(): Promise<string[]> {
    await this.goTo('Traffic');
    await this.page.getByTestId('exposure-series-name').first().waitFor({ timeout: WAIT_MS });
    return this.page.getByTestId('exposure-series-name').allTextContents();
  }
}

export interface ServerSetupView {
  serverAddress: string;
  fileName: string;
  command: string;
  text: string;
  exposures: string[];
}

/** The Server setup dialog (from Profiles, or an exposure row). */
export class ServerSetupDialog extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private dialog(): Locator {
    return this.page.getByRole('dialog', { name: /^Server setup/ });
  }

  /** Profiles → pick the profile → Server setup. */
  async openFromProfiles(profile: string): Promise<void> {
    await this.goTo('Profiles');
    await this.page.getByTestId('profile-item').filter({ hasText: profile }).click();
    await this.page.locator('[data-testid="validation"][data-valid]').waitFor({ timeout: WAIT_MS });
    await this.page.getByRole('button', { name: 'Server setup' }).click();
    await this.waitForOpen();
  }

  async waitForOpen(): Promise<void> {
    await this.dialog().waitFor({ timeout: WAIT_MS });
  }

  /** Waits for the setup (or its error) to load. */
  private async settled(): Promise<'setup' | 'error'> {
    const setup = this.dialog().getByTestId('setup-config');
    const error = this.dialog().getByTestId('setup-error');
    await setup.or(error).first().waitFor({ timeout: WAIT_MS });
    return (await error.count()) > 0 ? 'error' : 'setup';
  }

  /** Why there is no setup: `{code, text}` of the error shown. */
  async error(): Promise<{ code: string; text: string }> {
    if ((await this.settled()) !== 'error') throw new Error('Server setup shows a config, not an error');
    const error = this.dialog().getByTestId('setup-error');
    return { code: (await error.getAttribute('data-code')) ?? '', text: (await error.textContent()) ?? '' };
  }

  async selectTab(name: 'V2Ray' | 'Porthole'): Promise<void> {
    await this.dialog().getByRole('tab', { name }).click();
    await this.dialog().getByRole('tab', { name, selected: true }).waitFor({ timeout: WAIT_MS });
  }

  /** What the selected tab shows. */
  async read(): Promise<ServerSetupView> {
    if ((await this.settled()) !== 'setup') throw new Error(`Server setup shows an error: ${(await this.dialog().getByTestId('setup-error').textContent()) ?? ''}`);
    const dialog = this.dialog();
    const lines = dialog.getByTestId('setup-exposures').locator('li');
    return {
      serverAddress: (await dialog.getByTestId('setup-server-address').textContent()) ?? '',
      fileName: (await dialog.getByTestId('setup-file-name').textContent()) ?? '',
      command: (await dialog.getByTestId('setup-command').textContent()) ?? '',
      text: (await dialog.getByTestId('setup-config').textContent()) ?? '',
      exposures: await lines.allTextContents(),
    };
  }

  /** Clicks Download; resolves with the file's name and text. */
  async download(): Promise<{ fileName: string; text: string }> {
    const download = this.page.waitForEvent('download', { timeout: WAIT_MS });
    await this.dialog().getByRole('button', { name: /^Download / }).click();
    const file = await download;
    const stream = await file.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { fileName: file.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
  }

  /** Escape closes it, as a modal dialog should. */
  async close(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.dialog().waitFor({ state: 'hidden', timeout: WAIT_MS });
  }
}
