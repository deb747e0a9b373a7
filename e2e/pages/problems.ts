/**
 * Issue 4/7, "honest status", as a user sees it: the one problem banner at the top of the window,
 * the engine pill that stops being green, the dashboard's link to its service, the built-in
 * portal's reach (the Exposures page's note and the Settings switch). Selectors stay in here.
 */
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

const WAIT_MS = 20_000;

export type ProblemKindName = 'dashboard-offline' | 'dashboard-unauthorized' | 'portal-dns' | 'portal-refused' | 'portal-timeout' | 'portal-unreachable' | 'local-down' | 'local-portal-lan';

export interface BannerView {
  kind: string;
  title: string;
  action: string;
}

export class HonestStatus extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private banner(): Locator {
    return this.page.getByTestId('problem-banner');
  }

  /** Waits for the banner to show `kind` and returns what it says. */
  async waitForBanner(kind: ProblemKindName, timeout = WAIT_MS): Promise<BannerView> {
    await this.page.locator(`[data-testid="problem-banner"][data-kind="${kind}"]`).waitFor({ timeout });
    return {
      kind,
      title: (await this.banner().getByTestId('problem-title').textContent()) ?? '',
      action: (await this.banner().getByTestId('problem-action').textContent()) ?? '',
    };
  }

  /** Waits until no banner is shown. */
  async waitForNoBanner(timeout = WAIT_MS): Promise<void> {
    await this.banner().waitFor({ state: 'detached', timeout });
  }

  /** The engine pill's label and whether it is toned as troubled (not green). */
  async enginePill(): Promise<{ label: string; troubled: boolean }> {
    const pill = this.page.getByTestId('engine-state');
    return { label: (await pill.textContent()) ?? '', troubled: (await pill.getAttribute('data-troubled')) === 'true' };
  }

  /** Waits for the engine pill to read `label` (snapshots come once a second). */
  async waitForEnginePill(label: string, timeout = WAIT_MS): Promise<{ label: string; troubled: boolean }> {
    await this.page.getByTestId('engine-state').and(this.page.getByText(label, { exact: true })).waitFor({ timeout });
    return this.enginePill();
  }

  /** The dashboard's link status (`live`, `offline`, …) once it is `status`. */
  async waitForLinkStatus(status: 'live' | 'offline' | 'unauthorized', timeout = WAIT_MS): Promise<void> {
    await this.page.getByTestId('link-status').and(this.page.locator(`[data-status="${status}"]`)).waitFor({ timeout });
  }

  /** Whether the sidebar's Start/Stop button and the page's first form button can be pressed now. */
  async actionsEnabled(): Promise<{ engine: boolean; page: boolean }> {
    const engine = this.page.locator('.sidebar-footer .engine-control').first();
    const pageButton = this.page.locator('main.page button').first();
    return { engine: await engine.isEnabled(), page: await pageButton.isEnabled() };
  }

  /** The Exposures page's note on who can open the built-in portal's addresses: `local` or `lan`, and its text. */
  async localPortalNote(): Promise<{ reach: string; text: string }> {
    const note = this.page.getByTestId('local-portal-note');
    await note.waitFor({ timeout: WAIT_MS });
    return { reach: (await note.getAttribute('data-reach')) ?? '', text: (await note.textContent()) ?? '' };
  }

  /** The small reach label next to a row's public address (`local` / `lan`). */
  async rowReach(local: string): Promise<string> {
    const note = this.page.locator(`[data-testid="exposure-row"][data-local="${local}"]`).getByTestId('reach-note');
    await note.waitFor({ timeout: WAIT_MS });
    return (await note.getAttribute('data-reach')) ?? '';
  }

  /** The URL a row gives out (scheme included when the local service speaks HTTP). */
  async rowUrl(local: string): Promise<string> {
    const address = this.page.locator(`[data-testid="exposure-row"][data-local="${local}"]`).getByTestId('public-address');
    await address.waitFor({ timeout: WAIT_MS });
    return (await address.getAttribute('data-url')) ?? '';
  }

  /** Settings → Built-in portal → "Let my network reach exposures"; returns the warning shown once on. */
  async setLanReach(on: boolean): Promise<string | null> {
    await this.goTo('Settings');
    const section = this.page.getByTestId('local-portal-settings');
    const toggle = section.getByRole('switch', { name: 'Let my network reach exposures' });
    if ((await toggle.isChecked()) !== on) {
      // As a user with the keyboard would (the switch's track lies over the box).
      await toggle.focus();
      await this.page.keyboard.press('Space');
    }
    await this.page.locator(`[data-testid="lan-switch"]${on ? ':checked' : ':not(:checked)'}:enabled`).waitFor({ timeout: WAIT_MS });
    if (!on) return null;
    const warning = section.getByTestId('lan-warning');
    await warning.waitFor({ timeout: WAIT_MS });
    return (await warning.textContent()) ?? '';
  }
}
