/** The Logs page: search and read lines. */
import type { Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

export class LogsPage extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  async show(): Promise<void> {
    await this.goTo('Logs');
  }

  async search(text: string): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Search the log' }).fill(text);
  }

  async chooseLevel(label: 'All levels' | 'Info and above' | 'Warnings and errors' | 'Errors only'): Promise<void> {
    await this.page.getByRole('combobox', { name: 'Level' }).selectOption({ label });
  }

  /** Waits for a visible line containing `text` and returns its text. */
  async waitForLine(text: string): Promise<string> {
    const line = this.page.getByTestId('log-line').filter({ hasText: text }).first();
    await line.waitFor({ timeout: 10_000 });
    return (await line.textContent()) ?? '';
  }

  async visibleLineCount(): Promise<number> {
    return this.page.getByTestId('log-line').count();
  }
}
