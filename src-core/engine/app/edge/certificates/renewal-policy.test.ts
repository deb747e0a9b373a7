import { expect, test } from 'vitest';
import { MAX_RENEW_BEFORE_MS, renewalDueAt, renewBeforeMs, retryDelayMs } from './renewal-policy.js';

const DAY = 24 * 60 * 60 * 1000;
const start = new Date('2030-01-01T00:00:00Z');
const after = (days: number): Date => new Date(start.getTime() + days * DAY);

test('renews at a third of the lifetime left, or 30 days, whichever is smaller', () => {
  expect(renewBeforeMs(start, after(90))).toBe(30 * DAY);
  expect(renewBeforeMs(start, after(6))).toBe(2 * DAY);
  expect(renewBeforeMs(start, after(5 * 365))).toBe(MAX_RENEW_BEFORE_MS);
  expect(renewalDueAt(start, after(90))).toBe(after(60).getTime());
});

test('an explicit threshold replaces the rule', () => {
  expect(renewBeforeMs(start, after(90), 1000)).toBe(1000);
  expect(renewalDueAt(start, after(90), 100 * DAY)).toBeLessThan(start.getTime());
});

test('retries double from the first wait up to the cap', () => {
  const backoff = { minMs: 1000, maxMs: 5000 };
  expect([1, 2, 3, 4, 10, 1000].map((failures) => retryDelayMs(failures, backoff))).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
});
