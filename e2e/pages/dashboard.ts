/** The dashboard shell: navigation, theme, engine state, screenshots. Selectors stay in here. */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';

export type PageName = 'Overview' | 'Exposures' | 'Connections' | 'Traffic' | 'Logs' | 'Profiles' | 'Settings';

export const SCREENSHOTS = new URL('../screenshots/', import.meta.url);

export class Dashboard {
  constructor(protected readonly page: Page) {}

  /** Opens the URL with its token and waits for the app to be live on the event socket. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByTestId('link-status').and(this.page.locator('[data-status="live"]')).waitFor();
  }

  currentUrl(): string {
    return this.page.url();
  }

  async goTo(name: PageName): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name }).click();
    await this.page.locator(`main[data-page="${name.toLowerCase()}"]`).waitFor();
  }

  async setTheme(theme: 'light' | 'dark'): Promise<void> {
    await this.goTo('Settings');
    await this.page.getByRole('group', { name: 'Theme' }).getByRole('button', { name: theme === 'light' ? 'Light' : 'Dark' }).click();
    await this.page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
  }

  /** Presses Tab `times` times from the top of the page; returns the focused element's role and name. */
  async tabFromTop(times: number): Promise<{ tag: string; text: string; outlined: boolean }> {
    // Move the sequential-focus starting point to the top of the document.
    await this.page.evaluate("document.body.setAttribute('tabindex', '-1'); document.body.focus(); document.body.removeAttribute('tabindex')");
    for (let index = 0; index < times; index += 1) await this.page.keyboard.press('Tab');
    return this.page.evaluate(`(() => {
      const element = document.activeElement;
      const style = element ? getComputedStyle(element) : null;
      return { tag: element ? element.tagName.toLowerCase() : '', text: element ? element.textContent.trim() : '', outlined: !!style && style.outlineStyle !== 'none' && style.outlineWidth !== '0px' };
    })()`);
  }

  async pressEnter(): Promise<void> {
    await this.page.keyboard.press('Enter');
  }

  /** Waits until `name` is the page shown (navigation is asynchronous: a hash change, then a render). */
  async waitForPage(name: PageName): Promise<void> {
    await this.page.locator(`main[data-page="${name.toLowerCase()}"]`).waitFor({ timeout: 5000 });
  }

  async engineState(): Promise<string> {
    return (await this.page.getByTestId('engine-state').textContent()) ?? '';
  }

  async waitForEngineState(state: 'Running' | 'Stopped' | 'Failed'): Promise<void> {
    await this.page.getByTestId('engine-state').filter({ hasText: state }).waitFor({ timeout: 15_000 });
  }

  /** Saves `e2e/screenshots/NAME.png` and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = new URL(`${name}.png`, SCREENSHOTS).pathname;
    // Let a pending frame (chart redraw, fonts) settle.
    await this.page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    await this.page.screenshot({ path });
    return path;
  }
}
