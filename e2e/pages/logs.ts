/** The Logs page: find, read whole lines, download, and what screen readers are told. */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

/** How a line's message cell is shown: its text, and whether the window cuts it. */
export interface MessageView {
  text: string;
  clipped: boolean;
  /** Rows of text it takes (1 when cut at the edge). */
  textRows: number;
}

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

  /** "3 of 17", "No matches", or "" with no search. */
  async matchCount(): Promise<string> {
    return (await this.page.getByTestId('log-match-count').textContent()) ?? '';
  }

  async previousMatch(): Promise<void> {
    await this.page.getByRole('button', { name: 'Previous match' }).click();
  }

  async nextMatchByKeyboard(): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Search the log' }).press('Enter');
  }

  /** Waits for a visible line containing `text` and returns its text. */
  async waitForLine(text: string): Promise<string> {
    const line = this.line(text);
    await line.waitFor({ timeout: 10_000 });
    return (await line.textContent()) ?? '';
  }

  async visibleLineCount(): Promise<number> {
    return this.page.getByTestId('log-line').count();
  }

  /** Whether the line is drawn at all (the list draws only a window of rows). */
  async isDrawn(text: string): Promise<boolean> {
    return (await this.page.getByTestId('log-line').filter({ hasText: text }).count()) > 0;
  }

  /** Whether the line is drawn inside the list's visible area, and marked as the current match. */
  async isInViewAsCurrent(text: string): Promise<boolean> {
    const line = this.line(text);
    if ((await line.count()) === 0) return false;
    const [row, list] = await Promise.all([line.boundingBox(), this.page.locator('.logs .table-scroll').boundingBox()]);
    const current = (await line.getAttribute('aria-current')) === 'true';
    return !!row && !!list && current && row.y >= list.y - 1 && row.y + row.height <= list.y + list.height + 1;
  }

  async message(text: string): Promise<MessageView> {
    return this.line(text).getByTestId('log-message').evaluate((element) => ({
      text: element.textContent ?? '',
      clipped: element.scrollWidth > element.clientWidth + 1,
      textRows: Math.round(element.getBoundingClientRect().height / parseFloat(element.ownerDocument.defaultView?.getComputedStyle(element).lineHeight ?? '18')),
    }));
  }

  /**
   * With the keyboard only: Tab from the search box into the list, move with the arrow keys to the
   * line holding `text`, press Enter (shows it whole, or shortens it again).
   */
  async toggleLineByKeyboard(text: string): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Search the log' }).focus();
    const inList = () => this.page.evaluate('!!document.activeElement && document.activeElement.classList.contains("log-expand")');
    for (let presses = 0; !(await inList()); presses += 1) {
      if (presses > 20) throw new Error('the log list is not reachable with Tab');
      await this.page.keyboard.press('Tab');
    }
    const focusedRow = () => this.page.evaluate(`(() => {
      const row = document.activeElement && document.activeElement.closest('[data-testid="log-line"]');
      return row ? { seq: row.dataset.seq, text: row.textContent } : null;
    })()`) as Promise<{ seq: string; text: string } | null>;
    /** One key, then wait for the focus to reach the next row (it moves once that row is drawn). */
    const press = async (key: string) => {
      const before = (await focusedRow())?.seq;
      await this.page.keyboard.press(key);
      for (let tries = 0; tries < 100 && (await focusedRow())?.seq === before; tries += 1) await this.page.waitForTimeout(20);
    };
    await press('End');
    for (let presses = 0; !(await focusedRow())?.text.includes(text); presses += 1) {
      if (presses > 60) throw new Error(`no line with "${text}" within 60 rows of the end`);
      await press('ArrowUp');
    }
    await this.page.keyboard.press('Enter');
  }

  async setWrap(on: boolean): Promise<void> {
    const toggle = this.page.getByRole('button', { name: 'Wrap lines' });
    if ((await toggle.getAttribute('aria-pressed')) !== String(on)) await toggle.click();
  }

  async wrapIsOn(): Promise<boolean> {
    return (await this.page.getByRole('button', { name: 'Wrap lines' }).getAttribute('aria-pressed')) === 'true';
  }

  /** The Download button's words, e.g. "Download 2,700 lines". */
  async downloadLabel(): Promise<string> {
    return ((await this.page.getByTestId('log-download').textContent()) ?? '').trim();
  }

  /** Clicks Download and returns the saved file's name and text. */
  async download(): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('log-download').click()]);
    const path = await download.path();
    return { name: download.suggestedFilename(), text: await readFile(path, 'utf8') };
  }

  /** What the page's status region (for screen readers) says now. */
  async announcement(): Promise<string> {
    return (await this.page.getByTestId('log-announcer').textContent()) ?? '';
  }

  /** How many live regions (anything a screen reader reads out as it changes) hold `text`. */
  async liveRegionsHolding(text: string): Promise<number> {
    return this.page.evaluate(`[...document.querySelectorAll('[aria-live]:not([aria-live="off"]), [role=log], [role=status], [role=alert], output')]
      .filter((element) => element.textContent.includes(${JSON.stringify(text)})).length`);
  }

  async followLive(): Promise<void> {
    const button = this.page.getByRole('button', { name: 'Follow live' });
    if (await button.isVisible()) await button.click();
  }

  private line(text: string) {
    return this.page.getByTestId('log-line').filter({ hasText: text }).first();
  }
}
