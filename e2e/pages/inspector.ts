/**
 * The Inspector page (issue 6/7) as a user drives it: opened from an exposure's row, the live
 * list (rows found by their path), one request opened in detail, reveal, replay and edited
 * replay, Copy as curl, Download HAR, the filters. Selectors stay in here.
 */
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

const WAIT_MS = 20_000;

export interface RowFacts {
  method: string;
  path: string;
  status: string;
  replay: boolean;
}

export class InspectorPage extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private rows(path?: string): Locator {
    const rows = this.page.getByTestId('inspector-row');
    return path === undefined ? rows : rows.and(this.page.locator(`[data-path="${path}"]`));
  }

  private detail(): Locator {
    return this.page.getByTestId('inspector-detail');
  }

  /** Clicks "Inspect" on the Exposures page row of `local` (host:port) and waits for the page. */
  async openFromExposure(local: string): Promise<void> {
    await this.page.locator(`[data-testid="exposure-row"][data-local="${local}"]`).getByRole('link', { name: /^Inspect requests to/ }).click();
    await this.page.locator('main[data-page="inspector"]').waitFor();
    await this.page.getByTestId('inspector').waitFor();
  }

  /** Through the sidebar (the page keeps the exposure it showed last). */
  async show(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Inspector' }).click();
    await this.page.getByTestId('inspector').waitFor();
  }

  /** Waits for a row with this path (newest first: the first such row) and returns what it shows. */
  async waitForRow(path: string, options: { timeout?: number; replay?: boolean; method?: string } = {}): Promise<RowFacts> {
    let row = this.rows(path);
    if (options.replay !== undefined) row = row.and(this.page.locator(options.replay ? '[data-replay="true"]' : ':not([data-replay])'));
    if (options.method) row = row.and(this.page.locator(`[data-method="${options.method}"]`));
    // The status is filled in once the answer came.
    const answered = row.and(this.page.locator(':not([data-status=""])')).first();
    await answered.waitFor({ timeout: options.timeout ?? WAIT_MS });
    return {
      method: (await answered.getAttribute('data-method')) ?? '',
      path: (await answered.getAttribute('data-path')) ?? '',
      status: (await answered.getAttribute('data-status')) ?? '',
      replay: (await answered.getAttribute('data-replay')) === 'true',
    };
  }

  /** Paths of the rows shown, top (newest) first. */
  async paths(): Promise<string[]> {
    return this.rows().evaluateAll((rows) => rows.map((row) => row.getAttribute('data-path') ?? ''));
  }

  /** Opens the newest row with `path` in the detail view. */
  async openRequest(path: string, options: { replay?: boolean; method?: string } = {}): Promise<void> {
    let row = this.rows(path);
    if (options.replay !== undefined) row = row.and(this.page.locator(options.replay ? '[data-replay="true"]' : ':not([data-replay])'));
    if (options.method) row = row.and(this.page.locator(`[data-method="${options.method}"]`));
    const id = await row.first().getAttribute('data-entry-id');
    await row.first().getByRole('button', { name: /^Open / }).click();
    await this.page.locator(`[data-testid="inspector-detail"][data-entry-id="${id}"]`).waitFor();
  }

  async backToList(): Promise<void> {
    await this.detail().getByRole('button', { name: 'Close the request' }).click();
    await this.detail().waitFor({ state: 'detached' });
  }

  async tab(name: 'Request' | 'Response' | 'WebSocket'): Promise<void> {
    await this.detail().getByRole('tab', { name: new RegExp(`^${name}`) }).click();
  }

  /** Picks how the open tab's body is shown (Tree, Pretty, Text, Hex, Form, Image). */
  async showBodyAs(mode: string): Promise<void> {
    await this.detail().getByRole('tabpanel').getByRole('group', { name: /^Show .* body as$/ }).getByRole('button', { name: mode }).click();
  }

  async prettyBody(): Promise<string> {
    return (await this.detail().getByTestId('body-pretty').textContent()) ?? '';
  }

  async treeText(): Promise<string> {
    return (await this.detail().getByTestId('json-tree').innerText()) ?? '';
  }

  async hasImagePreview(): Promise<boolean> {
    const image = this.detail().getByTestId('body-image');
    await image.waitFor();
    await this.page.waitForFunction('(() => { const image = document.querySelector(\'[data-testid="body-image"]\'); return image && image.complete; })()');
    return image.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth > 0);
  }

  /** The value of a header in the open tab's header table. */
  async header(name: string): Promise<string> {
    const row = this.detail().getByRole('tabpanel').locator('.header-table tr').filter({ has: this.page.locator('th', { hasText: new RegExp(`^${name}$`, 'i') }) });
    return (await row.locator('td').first().textContent()) ?? '';
  }

  /** Switches "Show secrets" and waits until the detail shown was loaded that way. */
  async setReveal(reveal: boolean): Promise<void> {
    await this.detail().getByTestId('reveal').setChecked(reveal);
    await this.page.locator(`[data-testid="inspector-detail"][data-revealed="${reveal}"]`).waitFor();
  }

  async detailStatus(): Promise<string> {
    return (await this.detail().getByTestId('detail-status').textContent()) ?? '';
  }

  async detailEntryId(): Promise<string> {
    return (await this.detail().getAttribute('data-entry-id')) ?? '';
  }

  /** Clicks Replay; resolves once the replay's own detail is shown. */
  async replay(): Promise<void> {
    const before = await this.detailEntryId();
    await this.detail().getByRole('button', { name: 'Replay', exact: true }).click();
    await this.page.locator(`[data-testid="inspector-detail"]:not([data-entry-id="${before}"])`).waitFor();
  }

  /** Edit and replay… with these changes, then Send; resolves once the replay's detail is shown. */
  async editAndReplay(edits: { method?: string; path?: string; body?: string; addHeader?: string }, screenshot?: string): Promise<void> {
    const before = await this.detailEntryId();
    await this.detail().getByRole('button', { name: 'Edit and replay…' }).click();
    const dialog = this.page.getByTestId('replay-dialog');
    await dialog.waitFor();
    if (edits.method !== undefined) await dialog.getByTestId('replay-method').fill(edits.method);
    if (edits.path !== undefined) await dialog.getByTestId('replay-path').fill(edits.path);
    if (edits.addHeader !== undefined) {
      const headers = dialog.getByTestId('replay-headers');
      await headers.fill(`${await headers.inputValue()}\n${edits.addHeader}`);
    }
    if (edits.body !== undefined) await dialog.getByTestId('replay-body').fill(edits.body);
    if (screenshot) await this.screenshot(screenshot);
    await dialog.getByTestId('replay-send').click();
    await this.page.locator(`[data-testid="inspector-detail"]:not([data-entry-id="${before}"])`).waitFor({ timeout: WAIT_MS });
    await dialog.waitFor({ state: 'detached' });
  }

  /** Clicks Copy as curl; resolves with what the clipboard then holds. */
  async copyCurl(): Promise<string> {
    await this.detail().getByRole('button', { name: 'Copy as curl command' }).click();
    await this.detail().locator('[data-copied="true"]').waitFor({ timeout: 5000 });
    return this.page.evaluate('navigator.clipboard.readText()');
  }

  /** Clicks Download HAR; resolves with the file's text. */
  async downloadHar(): Promise<{ name: string; text: string }> {
    const download = this.page.waitForEvent('download');
    await this.page.getByTestId('inspector-har').click();
    const file = await download;
    const path = await file.path();
    return { name: file.suggestedFilename(), text: await readFile(path, 'utf8') };
  }

  async filter(text: string): Promise<void> {
    await this.page.getByTestId('inspector-filter').fill(text);
  }

  async filterMethod(method: string): Promise<void> {
    await this.page.getByTestId('inspector-method').selectOption(method === 'all' ? 'all' : method);
  }

  async filterStatus(status: 'all' | '2xx' | '3xx' | '4xx' | '5xx' | 'other'): Promise<void> {
    await this.page.getByTestId('inspector-status').selectOption(status);
  }

  async setPaused(paused: boolean): Promise<void> {
    const button = this.page.getByTestId('inspector-pause');
    if ((await button.getAttribute('aria-pressed')) !== String(paused)) await button.click();
    await this.page.locator(`[data-testid="inspector-pause"][aria-pressed="${paused}"]`).waitFor();
  }

  async isDetailShown(): Promise<boolean> {
    return this.detail().isVisible();
  }

  async isListShown(): Promise<boolean> {
    return this.page.getByRole('table', { name: /^Requests to/ }).isVisible();
  }
}
