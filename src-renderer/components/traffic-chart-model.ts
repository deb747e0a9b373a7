/**
 * What a traffic chart shows besides its canvas, worked out without the DOM: the plot's columns
 * (with breaks where samples are missing), the words for screen readers, the rows of its table,
 * and the names of its marks (engine starts).
 */
import type { TrafficMark, TrafficPoint } from '../../src-core/host/api/index.js';
import { formatClock, formatRate } from '../format.js';

/** A point further than this many steps from the one before starts a new line (the feed was cut). */
const GAP_STEPS = 2.5;

/** uPlot's columns: seconds, up, down; a null row where samples are missing, so no line bridges the gap. */
export function plotColumns(points: readonly TrafficPoint[], stepMs: number): [number[], (number | null)[], (number | null)[]] {
  const times: number[] = [];
  const up: (number | null)[] = [];
  const down: (number | null)[] = [];
  let previous: number | undefined;
  for (const point of points) {
    if (previous !== undefined && point.time - previous > GAP_STEPS * stepMs) {
      times.push((previous + stepMs) / 1000);
      up.push(null);
      down.push(null);
    }
    times.push(point.time / 1000);
    up.push(point.upRate);
    down.push(point.downRate);
    previous = point.time;
  }
  return [times, up, down];
}

/** `demo`, or the built-in portal's name when no profile runs. */
export function markName(mark: TrafficMark): string {
  return mark.profile ?? 'built-in portal';
}

/** What the chart's image says: the newest rates and the peaks of the window. */
export function chartSummary(label: string, points: readonly TrafficPoint[]): string {
  const newest = points[points.length - 1];
  if (!newest) return `${label}: no samples yet`;
  let peakUp = 0;
  let peakDown = 0;
  for (const point of points) {
    peakUp = Math.max(peakUp, point.upRate);
    peakDown = Math.max(peakDown, point.downRate);
  }
  return `${label}: now download ${formatRate(newest.downRate)}, upload ${formatRate(newest.upRate)}; `
    + `peak download ${formatRate(peakDown)}, upload ${formatRate(peakUp)}`;
}

/** What the hovered or focused sample says: its time, then download and upload. */
export function sampleReadout(point: TrafficPoint, mark: TrafficMark | undefined): string {
  const started = mark ? `, ${markName(mark)} started` : '';
  return `${formatClock(point.time)}: download ${formatRate(point.downRate)}, upload ${formatRate(point.upRate)}${started}`;
}

/** The mark within one step before `time` (the sample that covers the start), if any. */
export function markAt(marks: readonly TrafficMark[], time: number, stepMs: number): TrafficMark | undefined {
  return marks.find((mark) => mark.time <= time && time - mark.time < stepMs);
}

export type TableRow =
  | { kind: 'sample'; key: string; time: number; down: string; up: string }
  | { kind: 'mark'; key: string; time: number; text: string };

/** The table's rows, newest first: one per sample, and a row for each start within the samples' span. */
export function tableRows(points: readonly TrafficPoint[], marks: readonly TrafficMark[]): TableRow[] {
  const first = points[0]?.time ?? Infinity;
  const rows: TableRow[] = points.map((point) => ({ kind: 'sample', key: `s${point.time}`, time: point.time, down: formatRate(point.downRate), up: formatRate(point.upRate) }));
  for (const mark of marks) {
    if (mark.time >= first) rows.push({ kind: 'mark', key: `m${mark.time}`, time: mark.time, text: `${formatClock(mark.time)}: engine started with ${mark.profile === null ? 'the built-in portal' : `profile ${mark.profile}`}` });
  }
  // Newest first; a start sorts below a sample taken at the same time (it came first).
  return rows.sort((a, b) => b.time - a.time || (a.kind === 'mark' ? 1 : -1));
}
