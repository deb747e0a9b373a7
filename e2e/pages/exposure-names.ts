/**
 * Exposures' names and access (issue 5/7) as a user drives them on the Exposures page: the URL a
 * row shows and copies, its label edited in place, the Access dialog, the sslip.io hint. Rows are
 * found by their local address, as in pages/exposures.ts.
 */
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

const WAIT_MS = 20_000;

export class ExposureNamesPage extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private row(local: string): Locator {
    return this.page.locator(`[data-testid="exposure-row"][data-local="${local}"]`);
  }

  async show(): Promise<void> {
    await this.goTo('Exposures');
  }

  /** Whether the row says its raw port is closed (a password can only be asked for by name). */
  async rawPortClosed(local: string): Promise<boolean> {
    await this.row(local).getByTestId('raw-port-closed').waitFor({ timeout: 5000 }).catch(() => undefined);
    return this.row(local).getByTestId('raw-port-closed').isVisible();
  }

  /** The URL the row gives out (waits for it). */
  async url(local: string, matching?: RegExp): Promise<string> {
    let url = this.row(local).getByTestId('public-url');
    if (matching) url = url.filter({ hasText: matching });
    await url.waitFor({ timeout: WAIT_MS });
    return (await url.getAttribute('data-url')) ?? '';
  }

  /** Clicks Copy next to the URL; resolves with what the clipboard then holds. */
  async copyUrl(local: string): Promise<string> {
    await this.row(local).getByRole('button', { name: /^Copy the URL of/ }).click();
    await this.row(local).locator('[data-copied="true"]').waitFor({ timeout: 5000 });
    return this.page.evaluate('navigator.clipboard.readText()');
  }

  /** Clicks the label in the URL, types `label`, and presses `key` (Enter saves, Escape cancels). */
  async editLabel(local: string, label: string, key: 'Enter' | 'Escape' = 'Enter'): Promise<void> {
    await this.row(local).getByRole('button', { name: /^Change the name/ }).click();
    const input = this.row(local).getByRole('textbox', { name: /^Name of/ });
    await input.waitFor({ timeout: WAIT_MS });
    // The label is selected when editing starts: typing replaces it.
    await this.page.keyboard.type(label);
    await this.page.keyboard.press(key);
  }

  /** The inline error under the label being edited. */
  async labelError(local: string): Promise<string> {
    const error = this.row(local).getByTestId('label-error');
    await error.waitFor({ timeout: WAIT_MS });
    return (await error.textContent()) ?? '';
  }

  async labelEditorOpen(local: string): Promise<boolean> {
    return (await this.row(local).getByTestId('exposure-url-editor').count()) > 0;
  }

  /** Opens the Access dialog of the row. */
  async openAccess(local: string): Promise<Locator> {
    await this.row(local).getByRole('button', { name: /^Access to/ }).click();
    const dialog = this.page.getByTestId('access-dialog');
    await dialog.waitFor({ timeout: WAIT_MS });
    return dialog;
  }

  /** Sets a password (and optionally an allowlist) in the Access dialog and saves; waits for the badge. */
  async setAccess(local: string, access: { user?: string; password?: string; allow?: string }): Promise<string> {
    const dialog = await this.openAccess(local);
    if (access.user !== undefined) {
      await dialog.getByLabel('Ask for a password').check();
      await dialog.getByLabel('User').fill(access.user);
      await dialog.getByLabel(/^Password/).fill(access.password ?? '');
    }
    if (access.allow !== undefined) await dialog.getByLabel(/^Allow only these addresses/).fill(access.allow);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached', timeout: WAIT_MS });
    const badge = this.row(local).getByTestId('access-badge');
    await badge.waitFor({ timeout: WAIT_MS });
    return (await badge.textContent()) ?? '';
  }

  /** The sslip.io line shown for a Porthole server without names. */
  async namesHint(): Promise<string> {
    const snippet = this.page.getByTestId('names-hint-snippet');
    await snippet.waitFor({ timeout: WAIT_MS });
    return (await snippet.textContent()) ?? '';
  }
}
