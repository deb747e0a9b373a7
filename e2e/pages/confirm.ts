/**
 * The in-app question asked before something that loses work or cuts people off (issue 4/7):
 * unsaved profile edits, an exposure that would move, Stop engine, Close all. Selectors stay here.
 */
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

export type QuestionKind = 'unsaved-profile' | 'exposure-exists' | 'stop-engine' | 'close-all';

export interface QuestionView {
  kind: string;
  title: string;
  text: string;
  /** The buttons' labels, in order. */
  choices: string[];
  /** The label of the button that has the focus. */
  focused: string;
}

export class Question extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private dialog(kind?: QuestionKind): Locator {
    const dialog = this.page.getByRole('alertdialog');
    return kind ? dialog.and(this.page.locator(`[data-kind="${kind}"]`)) : dialog;
  }

  /** Waits for the question of that kind and reads it. */
  async read(kind: QuestionKind): Promise<QuestionView> {
    const dialog = this.dialog(kind);
    await dialog.waitFor({ timeout: 5000 });
    return dialog.evaluate((element) => {
      const doc = (globalThis as unknown as { document: { activeElement: { textContent: string | null } | null } }).document;
      const node = element as unknown as { dataset: { kind?: string }; querySelector(s: string): { textContent: string | null } | null; querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> };
      return {
        kind: node.dataset.kind ?? '',
        title: node.querySelector('h2')?.textContent ?? '',
        text: node.querySelector('.confirm-body')?.textContent ?? '',
        choices: Array.from(node.querySelectorAll('button')).map((button) => button.textContent ?? ''),
        focused: doc.activeElement?.textContent ?? '',
      };
    });
  }

  /** Clicks the choice with that label; resolves once the question is gone. */
  async choose(label: string): Promise<void> {
    await this.dialog().getByRole('button', { name: label, exact: true }).click();
    await this.dialog().waitFor({ state: 'detached', timeout: 5000 });
  }

  /** Presses a key (Enter on the focused choice, Escape); resolves once the question is gone. */
  async press(key: 'Enter' | 'Escape'): Promise<void> {
    await this.page.keyboard.press(key);
    await this.dialog().waitFor({ state: 'detached', timeout: 5000 });
  }

  async isOpen(): Promise<boolean> {
    return (await this.dialog().count()) > 0;
  }
}
