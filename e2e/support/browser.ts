/** Debian's Chromium driven by playwright-core (no browser download: `npx playwright install` cannot run here). */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PORTHOLE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Collects the page's console errors and warnings and uncaught errors into `problems` (specs expect none). */
export function recordConsoleProblems(page: Page, problems: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
}

/** A 1280 × 800 light page, 20 s per action, its console problems collected into `problems`. */
export async function newDashboardPage(browser: Browser, problems: string[], options: { clipboardOrigin?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  if (options.clipboardOrigin) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: options.clipboardOrigin });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  recordConsoleProblems(page, problems);
  return page;
}
