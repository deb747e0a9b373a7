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

  /**
   * Tabs from the top of the page to the first control inside the page itself (past the sidebar
   * and the top bar) and returns its name: its label, aria-label or text.
   */
  async firstStopInPage(): Promise<string> {
    await this.page.evaluate("document.body.setAttribute('tabindex', '-1'); document.body.focus(); document.body.removeAttribute('tabindex')");
    for (let index = 0; index < 40; index += 1) {
      await this.page.keyboard.press('Tab');
      const name = await this.page.evaluate(`(() => {
        const element = document.activeElement;
        if (!element || !element.closest('main.page')) return null;
        const label = element.labels && element.labels[0];
        return (element.getAttribute('aria-label') || (label ? label.textContent : '') || element.textContent || '').trim();
      })()`);
      if (typeof name === 'string') return name;
    }
    throw new Error('no control inside the page within 40 Tab presses');
  }

  /**
   * Every visible control of the window (links, buttons, fields, switches) that cannot be used as
   * laid out now: scrolled into view vertically, it still lies outside the window, is covered or
   * clipped at its left or right edge, or needs sideways scrolling. Each as `name: why`.
   */
  async unreachableControls(): Promise<string[]> {
    return this.page.evaluate(`(() => {
      const problems = [];
      const selector = 'button, a[href], input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])';
      const controls = [...document.querySelectorAll(selector)].filter((element) => element.getClientRects().length > 0 && !element.closest('.sr-only'));
      const nameOf = (element) => (element.getAttribute('aria-label') || (element.labels && element.labels[0] ? element.labels[0].textContent : '') || element.textContent || element.tagName).trim().replace(/\\s+/g, ' ');
      const owns = (element, hit) => !!hit && (hit === element || element.contains(hit) || [...(element.labels || [])].some((label) => label.contains(hit)));
      for (const element of controls) {
        for (let parent = element.parentElement; parent; parent = parent.parentElement) parent.scrollLeft = 0;
        element.scrollIntoView({ block: 'center', inline: 'nearest' });
        const name = nameOf(element);
        let sideways = false;
        for (let parent = element.parentElement; parent; parent = parent.parentElement) if (parent.scrollLeft > 0) sideways = true;
        const box = element.getBoundingClientRect();
        const y = box.top + box.height / 2;
        if (sideways) problems.push(name + ': needs sideways scrolling');
        else if (box.left < 0 || box.right > innerWidth + 0.5 || box.top < 0 || box.bottom > innerHeight + 0.5) problems.push(name + ': outside the window');
        else if (!owns(element, document.elementFromPoint(box.left + 3, y)) || !owns(element, document.elementFromPoint(box.right - 3, y))) problems.push(name + ': covered or clipped');
      }
      for (const parent of document.querySelectorAll('*')) parent.scrollLeft = 0;
      return problems;
    })()`);
  }

  /** The width of the navigation's links (a rail of icons is narrow). */
  async navigationWidth(): Promise<number> {
    const box = await this.page.getByRole('navigation', { name: 'Pages' }).boundingBox();
    return box?.width ?? 0;
  }

  /** The accessible text of the top bar's rates, as a screen reader reads it. */
  async ratesForScreenReaders(): Promise<string> {
    return this.page.getByRole('group', { name: 'Current rates' }).ariaSnapshot();
  }

  /** Clicks "Stop engine…" (it asks first: see `Question`). */
  async stopEngine(): Promise<void> {
    await this.page.getByRole('button', { name: 'Stop engine…' }).click();
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
