/**
 * The traffic charts (Overview's graph and the Traffic page's): the crosshair's tooltip by mouse
 * and by keys, the table behind "Show as table", the engine-start marks, and the top bar's rates.
 */
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';

/** A rate as the UI writes it (`1.91 MiB/s`, `512 B/s`), in bytes per second. */
export function parseRate(text: string): number {
  const match = /([\d.]+)\s*(B|KiB|MiB|GiB)\/s/.exec(text);
  if (!match) throw new Error(`not a rate: "${text}"`);
  const scale = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[match[2] as 'B' | 'KiB' | 'MiB' | 'GiB'];
  return Number(match[1]) * scale;
}

/** What the tooltip says about one sample. */
export interface TooltipView {
  time: string;
  /** The sample's time, milliseconds since the epoch. */
  at: number;
  down: number;
  up: number;
  /** The profile whose start the sample covers, if any (`demo started`). */
  mark: string | null;
}

export interface TableView {
  samples: { time: string; down: number; up: number }[];
  /** The engine-start rows, newest first. */
  marks: string[];
}

export class TrafficCharts extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  /** Overview's graph (`over the last 5 minutes`) or the Traffic page's total (`over the last 5 min`). */
  private chart(name: RegExp): Locator {
    return this.page.getByRole('img', { name });
  }

  private frame(name: RegExp): Locator {
    return this.page.locator('.chart-frame').filter({ has: this.chart(name) });
  }

  async points(name: RegExp): Promise<number> {
    return Number(await this.chart(name).getAttribute('data-points'));
  }

  async marks(name: RegExp): Promise<number> {
    return Number(await this.chart(name).getAttribute('data-marks'));
  }

  /** The chart's name for screen readers (its summary). */
  async summary(name: RegExp): Promise<string> {
    return (await this.chart(name).getAttribute('aria-label')) ?? '';
  }

  /** The top bar's download rate, bytes per second. */
  async topBarDownRate(): Promise<number> {
    return parseRate((await this.page.getByTestId('rate-down').textContent()) ?? '');
  }

  /** Waits for the next snapshot to reach the chart (its newest sample changes). */
  async nextSample(name: RegExp): Promise<void> {
    const chart = this.chart(name);
    const before = await chart.getAttribute('data-newest');
    await this.page.waitForFunction(
      ({ element, newest }) => element?.getAttribute('data-newest') !== newest,
      { element: await chart.elementHandle(), newest: before },
      { timeout: 5000 },
    );
  }

  /** Moves the mouse `fromRight` pixels left of the plot's right edge and reads the tooltip. */
  async hover(name: RegExp, fromRight = 20): Promise<TooltipView> {
    const plot = this.frame(name).locator('.u-over');
    const box = await plot.boundingBox();
    if (!box) throw new Error('the chart is not on screen');
    await this.page.mouse.move(box.x + box.width - fromRight, box.y + box.height / 2);
    return this.tooltip(name);
  }

  /** Moves the mouse over the sample nearest `time` (the plot spans `windowMs`, ending at its newest sample). */
  async hoverTime(name: RegExp, time: number, windowMs: number): Promise<TooltipView> {
    const newest = Number(await this.chart(name).getAttribute('data-newest'));
    const box = await this.frame(name).locator('.u-over').boundingBox();
    if (!box) throw new Error('the chart is not on screen');
    await this.page.mouse.move(box.x + box.width * (1 - (newest - time) / windowMs), box.y + box.height / 2);
    return this.tooltip(name);
  }

  async moveMouseAway(): Promise<void> {
    await this.page.mouse.move(2, 2);
  }

  /** The tooltip's words, once shown. */
  async tooltip(name: RegExp): Promise<TooltipView> {
    const tip = this.frame(name).getByTestId('chart-tooltip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    const read = async (className: string) => ((await tip.locator(className).count()) > 0 ? ((await tip.locator(className).textContent()) ?? '') : '');
    const mark = await read('.chart-tooltip-mark');
    return {
      time: await read('.chart-tooltip-time'),
      at: Number(await tip.getAttribute('data-time')),
      down: parseRate(await read('.chart-tooltip-down')),
      up: parseRate(await read('.chart-tooltip-up')),
      mark: mark ? mark.replace(/ started$/, '') : null,
    };
  }

  async tooltipShown(name: RegExp): Promise<boolean> {
    return this.frame(name).getByTestId('chart-tooltip').isVisible();
  }

  /** Focuses the chart as Tab would and presses `keys` in turn. */
  async pressOnChart(name: RegExp, ...keys: string[]): Promise<void> {
    await this.chart(name).focus();
    for (const key of keys) await this.page.keyboard.press(key);
  }

  /** What the live region said for the sample the keys landed on. */
  async keyboardReadout(name: RegExp): Promise<string> {
    return (await this.frame(name).locator('[aria-live]').textContent()) ?? '';
  }

  async blurChart(name: RegExp): Promise<void> {
    await this.chart(name).blur();
  }

  /** Opens the table (if closed) and reads it. */
  async table(name: RegExp): Promise<TableView> {
    const toggle = this.frame(name).getByRole('button', { name: /Show as table|Hide table/ });
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    const table = this.frame(name).getByRole('table');
    await table.waitFor();
    const view = await table.evaluate((element) => {
      const rows = [...element.querySelectorAll('tbody tr')];
      return {
        samples: rows.filter((row) => row.getAttribute('data-kind') === 'sample').map((row) => [...row.children].map((cell) => cell.textContent ?? '')),
        marks: rows.filter((row) => row.getAttribute('data-kind') === 'mark').map((row) => row.textContent ?? ''),
      };
    });
    return {
      marks: view.marks,
      samples: view.samples.map(([time = '', down = '', up = '']) => ({ time, down: parseRate(down), up: parseRate(up) })),
    };
  }

  async hideTable(name: RegExp): Promise<void> {
    const toggle = this.frame(name).getByRole('button', { name: 'Hide table' });
    if ((await toggle.count()) > 0) await toggle.click();
  }

  async setViewport(width: number, height: number): Promise<void> {
    await this.page.setViewportSize({ width, height });
  }

  /** Scrolls the chart into the middle of the window (at 800 x 600 it may sit below the fold). */
  async scrollTo(name: RegExp): Promise<void> {
    await this.chart(name).evaluate((element) => element.scrollIntoView({ block: 'center' }));
  }
}
