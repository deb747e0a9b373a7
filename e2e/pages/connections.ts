/** The Connections page: find a live row, read its bytes, close it. */
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

export class ConnectionsPage extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private rows(): Locator {
    return this.page.getByTestId('connection-row');
  }

  private row(id: number): Locator {
    return this.page.locator(`[data-testid="connection-row"][data-connection-id="${id}"]`);
  }

  async show(): Promise<void> {
    await this.goTo('Connections');
  }

  async filter(text: string): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Filter connections' }).fill(text);
  }

  /** Waits for an open row whose text includes `text`; returns its connection id. */
  async waitForOpenRow(text: string): Promise<number> {
    const row = this.rows().and(this.page.locator('[data-state="open"]')).filter({ hasText: text }).first();
    await row.waitFor({ timeout: 15_000 });
    return Number(await row.getAttribute('data-connection-id'));
  }

  async bytesDown(id: number): Promise<number> {
    return Number(await this.row(id).getAttribute('data-bytes-down'));
  }

  async close(id: number): Promise<void> {
    await this.row(id).getByRole('button', { name: /^Close connection/ }).click();
  }

  /** Clicks "Close all…" (it asks first: see `Question`). */
  async closeAll(): Promise<void> {
    await this.page.getByRole('button', { name: 'Close all…' }).click();
  }

  /** Waits for the row to leave the active list, then finds it under "Recently closed" (and goes back). */
  async waitForClosed(id: number): Promise<void> {
    await this.page.locator(`[data-testid="connection-row"][data-connection-id="${id}"][data-state="open"]`).waitFor({ state: 'detached', timeout: 10_000 });
    await this.showList('closed');
    await this.page.locator(`[data-testid="connection-row"][data-connection-id="${id}"][data-state="closed"]`).waitFor({ timeout: 10_000 });
    await this.showList('active');
  }

  /** Active connections, or the ones closed in the last minute. */
  async showList(list: 'active' | 'closed'): Promise<void> {
    await this.page.getByTestId(`list-${list}`).click();
    await this.page.locator(`section.connections[data-list="${list}"]`).waitFor({ timeout: 5000 });
  }

  /** The states of the rows in the DOM (the list shown). */
  async rowStates(): Promise<string[]> {
    return this.rows().evaluateAll((rows) => rows.map((row) => row.getAttribute('data-state') ?? ''));
  }

  /** The text of the rows in the DOM. */
  async rowTexts(): Promise<string[]> {
    return this.rows().allInnerTexts();
  }

  /** Opens a row's detail view; returns its text. */
  async openDetail(id: number): Promise<string> {
    await this.row(id).getByRole('button', { name: /^Details of connection/ }).click();
    const detail = this.page.getByTestId('connection-detail');
    await detail.waitFor({ timeout: 5000 });
    return detail.innerText();
  }

  async detailText(): Promise<string> {
    return this.page.getByTestId('connection-detail').innerText();
  }

  async detailState(): Promise<string> {
    return (await this.page.getByTestId('connection-detail').getAttribute('data-state')) ?? '';
  }

  /** "Close connection" in the detail view. */
  async closeFromDetail(): Promise<void> {
    await this.page.getByTestId('connection-detail').getByRole('button', { name: 'Close connection' }).click();
  }

  async dismissDetail(): Promise<void> {
    await this.page.getByTestId('connection-detail').getByRole('button', { name: 'Done' }).click();
    await this.page.getByTestId('connection-detail').waitFor({ state: 'detached', timeout: 5000 });
  }

  /** Rows in the DOM (the table is virtualised, so this stays small whatever the data). */
  async rowCount(): Promise<number> {
    return this.rows().count();
  }

  /** The text of the first row rendered (the virtual list renders only a window of them). */
  async firstRenderedRow(): Promise<string> {
    return (await this.rows().first().textContent()) ?? '';
  }

  /** How far the table is scrolled, in pixels. */
  async scrollTop(): Promise<number> {
    return this.page.locator('.table-scroll').evaluate((element) => element.scrollTop);
  }

  async summary(): Promise<string> {
    return (await this.page.getByTestId('connections-summary').textContent()) ?? '';
  }

  /** Scrolls the table top to bottom with the mouse wheel for `durationMs`; returns frame intervals (ms). */
  async scrollThroughMeasuringFrames(durationMs: number): Promise<number[]> {
    await this.page.evaluate(`(() => {
      window.__frames = [];
      let last = performance.now();
      const step = (now) => { window.__frames.push(now - last); last = now; if (window.__frames.length < 2000) requestAnimationFrame(step); };
      requestAnimationFrame(step);
    })()`);
    const box = await this.page.locator('.table-scroll').boundingBox();
    if (box) await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const deadline = Date.now() + durationMs;
    while (Date.now() < deadline) {
      await this.page.mouse.wheel(0, 900);
      await this.page.waitForTimeout(16);
    }
    const frames = (await this.page.evaluate('window.__frames.splice(1)')) as number[];
    return frames;
  }
}
