/** The Profiles page: paste a config into a new profile, read what validation says, activate. */
import type { Locator, Page } from 'playwright-core';
import { Question } from './confirm.js';
import { Dashboard } from './dashboard.js';

/** How to answer "Save your changes?" when the editor holds unsaved edits; leave it out when none are expected. */
export interface UnsavedAnswer {
  unsaved?: 'Save' | 'Discard changes' | 'Cancel';
}

export interface ValidationView {
  valid: boolean;
  /** `line:column` shown for an error. */
  place: string | null;
  message: string;
}

export class ProfilesPage extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private editor(): Locator {
    return this.page.getByTestId('profile-editor');
  }

  private validation(): Locator {
    return this.page.getByTestId('validation');
  }

  async show(): Promise<void> {
    await this.goTo('Profiles');
  }

  /** Starts a new profile named `name` and pastes `text` into the editor. */
  async pasteNewProfile(name: string, text: string, answer: UnsavedAnswer = {}): Promise<void> {
    await this.newProfile(answer);
    await this.page.getByLabel('Profile name').fill(name);
    await this.replaceText(text);
  }

  /** Clicks New (answering the unsaved-changes question as told). */
  async newProfile(answer: UnsavedAnswer = {}): Promise<void> {
    const before = (await this.nameField().count()) > 0 ? await this.nameField().inputValue() : '';
    await this.page.getByRole('button', { name: 'New', exact: true }).click();
    await this.answer(answer);
    // Saving first takes a round trip: wait until the editor holds the new draft.
    if (answer.unsaved && answer.unsaved !== 'Cancel') await this.waitForNewDraft(before);
  }

  /** Answers "Save your changes?" if told to (it must then be asked). */
  private async answer({ unsaved }: UnsavedAnswer): Promise<void> {
    if (unsaved) await new Question(this.page).choose(unsaved);
  }

  /** The draft's name and text, and whether it is marked unsaved. */
  async draft(): Promise<{ name: string; text: string; unsaved: boolean }> {
    return {
      name: await this.nameField().inputValue(),
      // The editor's lines, joined without their line breaks: enough to tell texts apart.
      text: (await this.editor().textContent()) ?? '',
      unsaved: (await this.page.getByRole('region', { name: 'Profile editor' }).getByText('unsaved', { exact: true }).count()) > 0,
    };
  }

  async savedNames(): Promise<string[]> {
    return (await this.page.getByTestId('profile-item').locator('.title > span:first-child').allTextContents());
  }

  /** Replaces the editor's whole text with a real paste event (select all, then paste). */
  async replaceText(text: string): Promise<void> {
    await this.editor().click();
    await this.page.keyboard.press('ControlOrMeta+a');
    // Runs in the page (DOM types are not in this Node project's lib, hence the narrow casts).
    await this.editor().evaluate((element, pasted) => {
      const page = globalThis as unknown as {
        DataTransfer: new () => { setData(type: string, value: string): void };
        ClipboardEvent: new (type: string, init: object) => unknown;
      };
      const data = new page.DataTransfer();
      data.setData('text/plain', pasted);
      (element as unknown as { dispatchEvent(event: unknown): boolean }).dispatchEvent(new page.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, text);
  }

  /** Waits for the validation of the current text and returns what it says. */
  async validationResult(): Promise<ValidationView> {
    const settled = this.page.locator('[data-testid="validation"][data-valid]');
    await settled.waitFor();
    const valid = (await settled.getAttribute('data-valid')) === 'true';
    const placeLocator = this.page.getByTestId('error-place');
    const place = !valid && (await placeLocator.count()) > 0 ? ((await placeLocator.textContent()) ?? '').replace(/^line /, '') : null;
    const message = valid ? ((await settled.textContent()) ?? '') : ((await this.page.getByTestId('error-message').textContent()) ?? '');
    return { valid, place, message };
  }

  /** The 1-based line that the editor underlines as an error, or null. */
  async markedErrorLine(): Promise<number | null> {
    const marked = this.page.locator('.cm-lintRange-error').first();
    if ((await marked.count()) === 0) return null;
    return marked.evaluate((element) => {
      const line = element.closest('.cm-line');
      if (!line?.parentElement) return null;
      return [...line.parentElement.children].filter((child) => child.classList.contains('cm-line')).indexOf(line) + 1;
    });
  }

  /** Imports a file through the Import… button's file chooser. */
  async importFile(fileName: string, text: string, answer: UnsavedAnswer = {}): Promise<void> {
    const before = await this.nameField().inputValue().catch(() => '');
    const chooser = this.page.waitForEvent('filechooser');
    await this.page.getByRole('button', { name: 'Import…' }).click();
    await (await chooser).setFiles({ name: fileName, mimeType: 'application/json', buffer: Buffer.from(text) });
    await this.answer(answer);
    if (answer.unsaved !== 'Cancel') await this.waitForNewDraft(before);
  }

  private nameField(): Locator {
    return this.page.getByLabel('Profile name');
  }

  /** An import reads the file asynchronously: wait until the editor holds the new draft. */
  private async waitForNewDraft(previousName: string): Promise<void> {
    await this.page.waitForFunction(
      (previous) => {
        const field = (globalThis as unknown as { document: { querySelector(selector: string): { value: string } | null } }).document.querySelector('input[aria-label="Profile name"]');
        return field !== null && field.value !== previous;
      },
      previousName,
    );
  }

  /** Drops a file onto the profile list, as dragging it from a file manager does. */
  async dropFile(fileName: string, text: string, answer: UnsavedAnswer = {}): Promise<void> {
    const before = await this.nameField().inputValue().catch(() => '');
    const data = await this.page.evaluateHandle(({ name, content }) => {
      const page = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: string[], name: string, options: object) => unknown;
      };
      const transfer = new page.DataTransfer();
      transfer.items.add(new page.File([content], name, { type: 'application/json' }));
      return transfer;
    }, { name: fileName, content: text });
    const target = this.page.getByRole('region', { name: 'Profiles' });
    await target.dispatchEvent('dragover', { dataTransfer: data });
    await target.dispatchEvent('drop', { dataTransfer: data });
    await this.answer(answer);
    if (answer.unsaved !== 'Cancel') await this.waitForNewDraft(before);
  }

  async draftName(): Promise<string> {
    return this.nameField().inputValue();
  }

  async openProfile(name: string, answer: UnsavedAnswer = {}): Promise<void> {
    await this.page.getByTestId('profile-item').filter({ hasText: name }).click();
    await this.answer(answer);
    if (answer.unsaved === 'Cancel') return;
    await this.page.waitForFunction(
      (wanted) => (globalThis as unknown as { document: { querySelector(selector: string): { value: string } | null } }).document.querySelector('input[aria-label="Profile name"]')?.value === wanted,
      name,
    );
    await this.page.locator('[data-testid="validation"][data-valid]').waitFor();
  }

  /** Clicks Export; resolves with the downloaded file's name and text. */
  async export(): Promise<{ fileName: string; text: string }> {
    const download = this.page.waitForEvent('download');
    await this.page.getByRole('button', { name: 'Export' }).click();
    const file = await download;
    const stream = await file.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { fileName: file.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
  }

  /** Clicks the error's place: the editor scrolls to it. */
  async revealError(): Promise<void> {
    await this.page.getByTestId('error-place').click();
  }

  async activate(): Promise<void> {
    await this.page.getByRole('button', { name: /^(Activate|Restart)$/ }).click();
  }

  async notice(): Promise<string> {
    return (await this.page.getByTestId('profile-notice').textContent()) ?? '';
  }
}
