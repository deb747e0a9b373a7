import { describe, expect, it } from 'vitest';
import type { TrafficPoint } from '../../src-core/host/api/index.js';
import { formatClock } from '../format.js';
import { chartSummary, markAt, plotColumns, tableRows } from './traffic-chart-model.js';

const point = (time: number, downRate = 0, upRate = 0): TrafficPoint => ({ time, upRate, downRate });

describe('traffic chart model', () => {
  it('breaks the line where samples are missing, and only there', () => {
    expect(plotColumns([point(1000, 1), point(2000, 2), point(6000, 6)], 1000)).toEqual([[1, 2, 3, 6], [0, 0, null, 0], [1, 2, null, 6]]);
  });

  it('summarises the newest rates and the peaks, or says there is nothing yet', () => {
    expect([chartSummary('Total', []), chartSummary('Total', [point(1000, 2048, 10), point(2000, 1024, 0)])]).toEqual([
      'Total: no samples yet',
      'Total: now download 1.00 KiB/s, upload 0 B/s; peak download 2.00 KiB/s, upload 10 B/s',
    ]);
  });

  it('lists samples newest first, with each engine start inside their span as its own row', () => {
    const rows = tableRows([point(1000), point(2000, 1024), point(3000)], [{ time: 500, profile: 'gone' }, { time: 2000, profile: 'demo' }, { time: 2600, profile: null }]);
    expect(rows.map((row) => (row.kind === 'mark' ? row.text : `${row.time} ${row.down}`))).toEqual([
      '3000 0 B/s',
      `${formatClock(2600)}: engine started with the built-in portal`,
      '2000 1.00 KiB/s',
      `${formatClock(2000)}: engine started with profile demo`,
      '1000 0 B/s',
    ]);
  });

  it('finds the start a sample covers', () => {
    const marks = [{ time: 2500, profile: 'demo' }];
    expect([markAt(marks, 2000, 1000), markAt(marks, 3000, 1000), markAt(marks, 3600, 1000)].map((mark) => mark?.profile)).toEqual([undefined, 'demo', undefined]);
  });
});
