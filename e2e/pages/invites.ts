/**
 * Profiles → Invite someone… on a portal profile (issue 7/7): make an invite, read its link and
 * QR code, read the users table, revoke a user. Selectors stay in here.
 */
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

/** One row of the users table as shown. */
export interface InviteUserRow {
  name: string;
  shortId: string;
  links: string;
  exposures: string;
  connections: string;
  down: string;
  up: string;
}

export class InvitesDialog extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private dialog(): Locator {
    return this.page.getByTestId('invite-dialog');
  }

  /** Opens the profile in Profiles and clicks Invite someone…. */
  async openFor(profile: string): Promise<void> {
    await this.goTo('Profiles');
    await this.page.getByTestId('profile-item').filter({ hasText: profile }).first().click();
    await this.page.getByTestId('invite-open').click();
    await this.dialog().waitFor();
    await this.page.getByTestId('invite-users').waitFor();
  }

  /** Makes an invite (name and address optional) and waits for its link to show. */
  async invite(name: string, address = ''): Promise<{ link: string; qr: string }> {
    await this.page.getByTestId('invite-name').fill(name);
    await this.page.getByTestId('invite-address').fill(address);
    await this.page.getByTestId('invite-create').click();
    await this.page.getByTestId('invite-link-panel').filter({ hasText: name }).waitFor();
    return this.shownInvite();
  }

  /** Asks for an invite that is refused; the one-line problem the form shows. */
  async refusedInvite(name: string, address = ''): Promise<string> {
    await this.page.getByTestId('invite-name').fill(name);
    await this.page.getByTestId('invite-address').fill(address);
    const error = this.page.getByTestId('invite-error');
    const before = (await error.count()) > 0 ? await error.textContent() : null;
    await this.page.getByTestId('invite-create').click();
    const until = Date.now() + 10_000;
    for (;;) {
      const now = (await error.count()) > 0 ? await error.textContent() : null;
      if (now !== null && now !== before) return now;
      if (Date.now() > until) throw new Error(`no new problem shown (still ${JSON.stringify(before)})`);
      await this.page.waitForTimeout(100);
    }
  }

  async shownInvite(): Promise<{ link: string; qr: string }> {
    const link = (await this.page.getByTestId('invite-link').textContent()) ?? '';
    const qr = (await this.page.getByTestId('invite-qr').getAttribute('src')) ?? '';
    return { link, qr };
  }

  async rows(): Promise<InviteUserRow[]> {
    return this.page.getByTestId('invite-user').evaluateAll((rows) => rows.map((row) => {
      const cells = Array.from((row as unknown as { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> }).querySelectorAll('th, td')).map((cell) => cell.textContent ?? '');
      return { name: cells[0] ?? '', shortId: cells[1] ?? '', links: cells[2] ?? '', exposures: cells[3] ?? '', connections: cells[4] ?? '', down: cells[5] ?? '', up: cells[6] ?? '' };
    }));
  }

  /** Waits until the row of `name` satisfies `test` (the table refreshes every 2 s). */
  async waitForRow(name: string, test: (row: InviteUserRow | undefined) => boolean, timeoutMs = 15_000): Promise<InviteUserRow | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const row = (await this.rows()).find((candidate) => candidate.name === name);
      if (test(row)) return row;
      if (Date.now() > until) throw new Error(`row "${name}" never matched; last: ${JSON.stringify(row)}`);
      await this.page.waitForTimeout(200);
    }
  }

  /** Clicks Revoke on `name`'s row and answers the question with `answer`. */
  async revoke(name: string, answer: 'Revoke' | 'Cancel'): Promise<{ title: string }> {
    await this.page.getByRole('button', { name: `Revoke ${name}` }).click();
    const question = this.page.getByRole('alertdialog').and(this.page.locator('[data-kind="revoke-invite"]'));
    await question.waitFor();
    const title = (await question.locator('h2').textContent()) ?? '';
    await question.getByRole('button', { name: answer, exact: true }).click();
    return { title };
  }

  async notice(): Promise<string> {
    return (await this.page.getByTestId('invite-notice').textContent()) ?? '';
  }

  async close(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Done' }).click();
    await this.dialog().waitFor({ state: 'detached' });
  }
}
