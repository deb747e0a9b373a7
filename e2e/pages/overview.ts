/** The Overview page: the live graph and the bridge's link state. */
import type { Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

export class OverviewPage extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  async show(): Promise<void> {
    await this.goTo('Overview');
  }

  /** How many points the traffic graph holds now. */
  async graphPoints(): Promise<number> {
    return Number(await this.page.getByRole('img', { name: /over the last 5 minutes/ }).getAttribute('data-points'));
  }

  async downloadRate(): Promise<string> {
    return (await this.page.getByTestId('total-down-rate').textContent()) ?? '';
  }

  /** Waits until the bridge reports a live link. */
  async waitForBridgeLinkUp(): Promise<void> {
    await this.page.getByTestId('bridge').filter({ hasText: 'Link up' }).waitFor({ timeout: 15_000 });
  }
}
