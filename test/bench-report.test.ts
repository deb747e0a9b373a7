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

  it('gives each link transport its own rows, and keeps the tcp-only table as it was', () => {
    const both = metricDefinitions({ ...options, transports: ['tcp', 'ws+tls'] });
    const rate = both.filter((def: { metric: string }) => def.metric === 'connRate');
    expect(rate.map((def: { key: string; label: string; transport: string }) => [def.key, def.label, def.transport])).toEqual([
      ['connRate', 'new connections (32 at once) (tcp)', 'tcp'],
      ['connRate@ws+tls', 'new connections (32 at once) (ws+tls)', 'ws+tls'],
    ]);
    // A record without a transport (older results, these tests) is tcp.
    const rounds = summarize(both, pairings, [...records, { ...record('v2ray/v2ray', 3000, 20), transport: 'ws+tls' }, { ...record('porthole/porthole', 2700, 25), transport: 'ws+tls' }]);
    expect(rounds.connRate['v2ray/v2ray']).toMatchObject({ value: 7100 });
    expect(rounds['connRate@ws+tls']['v2ray/v2ray']).toMatchObject({ value: 3000, rounds: [3000] });
    const table = renderTable(both, rounds, pairings, pairings[0]).split('\n');
    expect(table.find((line: string) => line.startsWith('new connections (32 at once) (ws+tls)'))).toMatch(/0\.90×$/);
    // tcp alone: the labels and keys of every earlier run.
    expect(metricDefinitions({ ...options, transports: ['tcp'] }).map((def: { key: string; label: string }) => [def.key, def.label]))
      .toEqual(metricDefinitions(options).map((def: { key: string; label: string }) => [def.key, def.label]));
    expect(definitions.find((def: { key: string }) => def.key === 'connRate')?.label).toBe('new connections (32 at once)');
  });

  it('reads the private memory with the idle streams open', () => {
    const MIB = 1024 * 1024;
    const record = { pairing: 'porthole/porthole', idle: { open: 1000, anonWithStreams: { portal: 30 * MIB, bridge: 29 * MIB } } };
    const rounds = summarize(definitions, pairings, [record, { ...record, idle: { open: 1000, anonWithStreams: { portal: 34 * MIB, bridge: 28 * MIB } } }]);
    expect(rounds.anonPortalIdle['porthole/porthole']).toMatchObject({ value: 30, median: 32 });
    expect(rounds.anonBridgeIdle['porthole/porthole']).toMatchObject({ value: 28, median: 28.5 });
  });
});
