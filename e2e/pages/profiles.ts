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
  /** `line:column` shown for the (first) error. */
  place: string | null;
  message: string;
}

/** One problem as the list under the editor's header shows it. */
export interface ProblemView {
  /** `line:column`, or null when the error has no place. */
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

  /** Waits for the validation of the current text and returns what it says (the first error, if any). */
  async validationResult(): Promise<ValidationView> {
    const settled = this.page.locator('[data-testid="validation"][data-valid]');
    await settled.waitFor();
    const valid = (await settled.getAttribute('data-valid')) === 'true';
    if (valid) return { valid, place: null, message: (await settled.textContent()) ?? '' };
    const [first] = await this.problems();
    return { valid, place: first?.place ?? null, message: first?.message ?? '' };
  }

  /** Waits for the validation of the current text and returns every problem listed, in order. */
  async problems(): Promise<ProblemView[]> {
    await this.page.locator('[data-testid="validation"][data-valid]').waitFor();
    const shown: ProblemView[] = [];
    for (const message of await this.page.getByTestId('problem-message').all()) {
      const place = message.locator('xpath=preceding-sibling::button[@data-testid="problem-place"]');
      shown.push({
        place: (await place.count()) > 0 ? ((await place.textContent()) ?? '').replace(/^line /, '') : null,
        message: (await message.textContent()) ?? '',
      });
    }
    return shown;
  }

  /** What the problem count says ("3 problems"), or null when there is no count (one problem or none). */
  async problemCount(): Promise<string | null> {
    await this.page.locator('[data-testid="validation"][data-valid]').waitFor();
    const count = this.page.getByTestId('problem-count');
    return (await count.count()) > 0 ? count.textContent() : null;
  }

  /** Clicks Next problem (or Previous); resolves with the 1-based position the list then marks as current. */
  async stepProblem(direction: 'Next' | 'Previous'): Promise<number> {
    await this.page.getByRole('button', { name: `${direction} problem` }).click();
    const current = this.page.locator('[data-testid="problem"][aria-current="true"]');
    await current.waitFor();
    return current.evaluate((item) => [...(item.parentElement?.children ?? [])].indexOf(item) + 1);
  }

  /** The 1-based line the editor's cursor is on (the line number marked active). */
  async cursorLine(): Promise<number> {
    return Number(await this.page.locator('.cm-lineNumbers .cm-activeLineGutter').textContent());
  }

  /** The 1-based lines that the editor underlines as errors (the document must be short enough to be drawn whole). */
  async markedErrorLines(): Promise<number[]> {
    return this.page.locator('.cm-lintRange-error').evaluateAll((elements) => elements.map((element) => {
      const line = element.closest('.cm-line');
      if (!line?.parentElement) return 0;
      return [...line.parentElement.children].filter((child) => child.classList.contains('cm-line')).indexOf(line) + 1;
    }));
  }

  /** The 1-based line that the editor underlines as an error, or null. */
  async markedErrorLine(): Promise<number | null> {
    return (await this.markedErrorLines())[0] ?? null;
  }

  /** Scrolls the editor to its end and puts the cursor on the last line, as a user reading to the bottom would. */
  async scrollEditorToEnd(): Promise<void> {
    await this.editor().click();
    await this.page.keyboard.press('ControlOrMeta+End');
  }

  /** The number of the first line the editor shows at its top. */
  async topLine(): Promise<number> {
    return this.page.locator('.cm-scroller').evaluate((scroller) => {
      const top = scroller.getBoundingClientRect().top;
      const numbers = [...scroller.querySelectorAll('.cm-lineNumbers .cm-gutterElement')]
        .filter((element) => element.getBoundingClientRect().bottom > top + 1 && element.textContent !== '');
      return Number(numbers[0]?.textContent ?? 0);
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

  /** Clicks the (first) error's place: the editor scrolls to it. */
  async revealError(): Promise<void> {
    await this.page.getByTestId('problem-place').first().click();
  }

  async activate(): Promise<void> {
    await this.page.getByRole('button', { name: /^(Activate|Restart)$/ }).click();
  }

  async notice(): Promise<string> {
    return (await this.page.getByTestId('profile-notice').textContent()) ?? '';
  }
}
