/** The bench's summary (bench/lib/report.js): best and median rounds, and the ratio tables built from them. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript without type declarations.
import { metricDefinitions, renderMedianRatios, renderTable, summarize } from '../bench/lib/report.js';

const options = { bulkMiB: 256, parallel: 1, concurrency: 32, requests: 2000, idle: 1000, settle: 5 };
const pairings = [
  { id: 'v2ray/v2ray', label: 'V2Ray/V2Ray' },
  { id: 'porthole/porthole', label: 'PH/PH' },
];
const record = (pairing: string, rate: number, p99: number) => ({ pairing, requests: { rate, p99, total: 2000, ok: 2000 } });

describe('bench summary', () => {
  // One lucky reference round (7,100) against steady Porthole rounds.
  const records = [
    record('v2ray/v2ray', 4700, 16), record('v2ray/v2ray', 7100, 11), record('v2ray/v2ray', 5100, 17), record('v2ray/v2ray', 6200, 12),
    record('porthole/porthole', 5500, 32), record('porthole/porthole', 5900, 12), record('porthole/porthole', 5200, 50), record('porthole/porthole', 5500, 35),
  ];
  const definitions = metricDefinitions(options);
  const summary = summarize(definitions, pairings, records);

  it('takes the best round per metric (highest rate, lowest latency) and keeps the median', () => {
    expect(summary.connRate['v2ray/v2ray']).toMatchObject({ value: 7100, median: 5650 });
    expect(summary.connRate['porthole/porthole']).toMatchObject({ value: 5900, median: 5500 });
    expect(summary.p99['porthole/porthole']).toMatchObject({ value: 12, median: 33.5 });
  });

  it('prints best-round ratios in the main table and median-round ratios in the second', () => {
    const rateRow = (table: string) => table.split('\n').find((line: string) => line.startsWith('new connections'));
    expect(rateRow(renderTable(definitions, summary, pairings, pairings[0]))).toMatch(/0\.83×$/);
    expect(rateRow(renderMedianRatios(definitions, summary, pairings, pairings[0]))).toMatch(/0\.97×$/);
    // Rows without rounds (no bulk here) show a dash, not a number.
    expect(renderMedianRatios(definitions, summary, pairings, pairings[0]).split('\n').find((line: string) => line.startsWith('download'))).toMatch(/–$/);
  });

  it('derives the RSS each idle stream adds from the second half of them', () => {
    const MIB = 1024 * 1024;
    // The first half's RSS fell (memory left from the warm-up went back meanwhile): it does not count.
    const idle = {
      open: 1000,
      baseline: { portal: 90 * MIB, bridge: 58 * MIB },
      halfway: { open: 500, portal: 65 * MIB, bridge: 60 * MIB },
      withStreams: { portal: 70 * MIB, bridge: 60 * MIB + 3_584_000 },
      anonWithStreams: { portal: 30 * MIB, bridge: 29 * MIB },
    };
    const rounds = summarize(definitions, pairings, [{ pairing: 'porthole/porthole', idle }]);
    expect(rounds.perStreamPortal['porthole/porthole'].value).toBeCloseTo(10.24, 2);
    expect(rounds.perStreamBridge['porthole/porthole'].value).toBeCloseTo(7, 2);
    expect(rounds.anonPortalIdle['porthole/porthole'].value).toBe(30);
    // A round whose second half opened nothing has no per-stream figure.
    expect(summarize(definitions, pairings, [{ pairing: 'porthole/porthole', idle: { ...idle, open: 500 } }]).perStreamPortal['porthole/porthole'].value).toBeUndefined();
  });
});
