/** Debian's Chromium driven by playwright-core (no browser download: `npx playwright install` cannot run here). */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.PORTHOLE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
