/**
 * Up/down rates over a time window, drawn by uPlot on a canvas. The plot is created once per
 * theme and size; new points only call `setData`, so a second's update costs almost nothing.
 *
 * Reading it: the mouse or the arrow keys (the chart takes focus) move a crosshair whose tooltip
 * gives the sample's time and rates; screen readers get a summary (now and peak), the sample the
 * keys land on, and a table of every sample behind "Show as table". Engine starts (a profile
 * switch) are drawn as dashed lines named after the profile.
 */
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrafficMark, TrafficPoint } from '../../src-core/host/api/index.js';
import { formatClock, formatRate } from '../format.js';
import { chartSummary, markAt, markName, plotColumns, sampleReadout, tableRows } from './traffic-chart-model.js';

interface TrafficChartProps {
  points: readonly TrafficPoint[];
  /** Width of the x axis, ending at the newest point (or now). */
  windowMs: number;
  height: number;
  /** Changes colours (the chart reads them from CSS variables). */
  theme: string;
  /** What the chart shows, e.g. "Total upload and download rate over the last 5 minutes". */
  label: string;
  compact?: boolean;
  /** Engine starts to draw as lines (those outside the window are skipped). */
  marks?: readonly TrafficMark[];
  /** Milliseconds between points (1 s, or 10 s for the hour). */
  stepMs?: number;
}

const NO_MARKS: readonly TrafficMark[] = [];
/** Arrow keys with Shift (and Page Up/Down) move this many samples. */
const BIG_STEP = 10;

function cssVariable(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function axisRate(value: number): string {
  return value === 0 ? '0' : formatRate(value).replace('/s', '');
}

/** Byte-friendly tick steps (1, 2, 4 … 512 × 1024^k), so the axis reads 256 KiB rather than 195 KiB. */
const BYTE_STEPS = [0, 1, 2, 3, 4].flatMap((power) => [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((step) => step * 1024 ** power));

function two(value: number): string {
  return String(value).padStart(2, '0');
}

/** One-line clock labels: `14:05` (or `14:05:30` when ticks are closer than a minute). */
function axisTimes(splits: number[], spacingSeconds: number): string[] {
  return splits.map((seconds) => {
    const date = new Date(seconds * 1000);
    const clock = `${two(date.getHours())}:${two(date.getMinutes())}`;
    return spacingSeconds < 60 ? `${clock}:${two(date.getSeconds())}` : clock;
  });
}

/**
 * Dashed vertical lines with the profile's name at the top, for the starts inside the plot. Names
 * are placed newest first, in as many rows as the plot has room for; a name that finds no room is
 * left out (its line stays), and so is one that repeats its newer neighbour's profile.
 */
function drawMarks(chart: uPlot, marks: readonly TrafficMark[], color: string, rows: number): void {
  const { ctx, bbox } = chart;
  const ratio = uPlot.pxRatio;
  const from = chart.scales.x?.min ?? 0;
  const to = chart.scales.x?.max ?? 0;
  const visible = marks.filter((mark) => mark.time / 1000 >= from && mark.time / 1000 <= to).sort((a, b) => b.time - a.time);
  if (visible.length === 0) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = ratio;
  ctx.setLineDash([4 * ratio, 3 * ratio]);
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  const gap = 6 * ratio;
  const rowHeight = 14 * ratio;
  /** Per row, the left edge of the leftmost name placed so far. */
  const rowLimits: number[] = Array.from({ length: rows }, () => Infinity);
  let previous: TrafficMark | undefined;
  for (const mark of visible) {
    const x = Math.round(chart.valToPos(mark.time / 1000, 'x', true)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    const name = markName(mark);
    const width = ctx.measureText(name).width;
    // The name sits right of its line, or left of it near the right edge.
    const textX = x + 4 * ratio + width > bbox.left + bbox.width ? x - 4 * ratio - width : x + 4 * ratio;
    const row = rowLimits.findIndex((limit) => textX + width + gap <= limit);
    const crowded = rowLimits[0] !== Infinity && row !== 0;
    if (row >= 0 && !(crowded && previous?.profile === mark.profile)) {
      ctx.fillText(name, textX, bbox.top + 2 * ratio + row * rowHeight);
      rowLimits[row] = textX;
    }
    previous = mark;
  }
  ctx.restore();
}

/** Moves uPlot's crosshair onto the nearest sample, so the line, the dot and the tooltip agree. */
function snapToSample(chart: uPlot, left: number, top: number): [number, number] {
  if (left < 0) return [left, top];
  const seconds = chart.data[0][chart.posToIdx(left)];
  return seconds === undefined ? [left, top] : [Math.round(chart.valToPos(seconds, 'x')), top];
}

export function TrafficChart({ points, windowMs, height, theme, label, compact = false, marks = NO_MARKS, stepMs = 1000 }: TrafficChartProps) {
  const frame = useRef<HTMLDivElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const tooltip = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  /** The sample time the keys chose; the crosshair stays on it as new points arrive. */
  const pinned = useRef<number | null>(null);
  const latest = useRef({ points, windowMs, marks, stepMs });
  latest.current = { points, windowMs, marks, stepMs };
  const [readout, setReadout] = useState('');
  const [showTable, setShowTable] = useState(false);
  const ids = useId();
  const hintId = `${ids}-hint`;
  const tableId = `${ids}-table`;

  useEffect(() => {
    const element = host.current;
    if (!element) return undefined;
    const text = cssVariable('--text-faint');
    const grid = cssVariable('--grid');
    const markColor = cssVariable('--text-muted');
    const xRange = (): [number, number] => {
      const { points: current, windowMs: span } = latest.current;
      const end = (current[current.length - 1]?.time ?? Date.now()) / 1000;
      return [end - span / 1000, end];
    };
    const options: uPlot.Options = {
      width: Math.max(100, element.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, y: false, points: { size: 7 }, move: snapToSample },
      padding: [8, 14, 0, 0],
      scales: {
        x: { time: true, range: () => xRange() },
        y: { range: (_u, _min, max) => [0, Math.max(1024, max * 1.15)] },
      },
      axes: [
        {
          stroke: text, grid: { show: false }, ticks: { show: false }, size: compact ? 22 : 26, font: '11px system-ui, sans-serif', space: compact ? 70 : 96,
          values: (_u, splits, _axis, _space, increment) => axisTimes(splits, increment),
        },
        {
          stroke: text, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: compact ? 60 : 68, font: '11px system-ui, sans-serif', space: compact ? 24 : 36,
          incrs: BYTE_STEPS, values: (_u, values) => values.map(axisRate),
        },
      ],
      series: [
        {},
        { label: 'Up', stroke: cssVariable('--up'), fill: cssVariable('--up-fill'), width: 1.5, points: { show: false } },
        { label: 'Down', stroke: cssVariable('--down'), fill: cssVariable('--down-fill'), width: 1.5, points: { show: false } },
      ],
      hooks: {
        draw: [
          (chart) => drawMarks(chart, latest.current.marks, markColor, compact ? 1 : 2),
          // New points shift the plot: keep the keys' crosshair on its sample (scales are final only now).
          (chart) => { if (pinned.current !== null) moveTo(indexOfTime(chart, pinned.current)); },
        ],
        setCursor: [(chart) => showTooltip(chart)],
      },
    };
    const chart = new uPlot(options, plotColumns(latest.current.points, latest.current.stepMs), element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(100, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // showTooltip and moveTo read refs only; the plot is rebuilt for what changes its look.
  }, [height, theme, compact]);

  useEffect(() => {
    const chart = plot.current;
    if (!chart) return;
    chart.setData(plotColumns(points, stepMs));
  }, [points, windowMs, stepMs]);

  useEffect(() => {
    plot.current?.redraw(false, false);
  }, [marks]);

  /** Fills and places the tooltip for the sample under the crosshair, or hides it. */
  function showTooltip(chart: uPlot): void {
    const box = tooltip.current;
    const outer = frame.current;
    if (!box || !outer) return;
    const index = chart.cursor.idx;
    const seconds = index == null ? undefined : chart.data[0][index];
    const left = chart.cursor.left ?? -1;
    if (index == null || seconds === undefined || left < 0) {
      box.hidden = true;
      return;
    }
    const up = chart.data[1]?.[index];
    const down = chart.data[2]?.[index];
    const time = seconds * 1000;
    const mark = markAt(latest.current.marks, time, latest.current.stepMs);
    box.replaceChildren();
    box.dataset.time = String(time);
    const line = (className: string, content: string) => {
      const row = document.createElement('div');
      row.className = className;
      row.textContent = content;
      box.append(row);
    };
    line('chart-tooltip-time', latest.current.stepMs > 1000 ? `${formatClock(time)} · ${latest.current.stepMs / 1000} s average` : formatClock(time));
    if (up == null || down == null) {
      line('chart-tooltip-missing', 'no samples');
    } else {
      line('chart-tooltip-down', `↓ ${formatRate(down)}`);
      line('chart-tooltip-up', `↑ ${formatRate(up)}`);
    }
    if (mark) line('chart-tooltip-mark', `${markName(mark)} started`);
    box.hidden = false;
    const overRect = chart.over.getBoundingClientRect();
    const frameRect = outer.getBoundingClientRect();
    const x = overRect.left - frameRect.left + left;
    const width = box.offsetWidth;
    const room = frameRect.width - x - 12;
    box.style.left = `${room >= width ? x + 12 : Math.max(0, x - 12 - width)}px`;
    // Below the marks' names (two rows at the top), unless the plot is too short for that.
    const below = Math.min(32, Math.max(4, overRect.height - box.offsetHeight));
    box.style.top = `${overRect.top - frameRect.top + below}px`;
  }

  function indexOfTime(chart: uPlot, time: number): number {
    const times = chart.data[0];
    let best = times.length - 1;
    for (let index = 0; index < times.length; index += 1) {
      if ((times[index] ?? 0) * 1000 >= time) {
        best = index;
        break;
      }
    }
    return best;
  }

  /** Puts the crosshair on sample `index` (keys) and says it for screen readers. */
  function moveTo(index: number): void {
    const chart = plot.current;
    const times = chart?.data[0];
    if (!chart || !times || times.length === 0) return;
    const clamped = Math.min(times.length - 1, Math.max(0, index));
    const seconds = times[clamped] ?? 0;
    const down = chart.data[2]?.[clamped];
    chart.setCursor({ left: chart.valToPos(seconds, 'x'), top: down == null ? 0 : chart.valToPos(down, 'y') });
    pinned.current = seconds * 1000;
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>): void {
    const chart = plot.current;
    if (!chart) return;
    const last = chart.data[0].length - 1;
    const current = pinned.current === null ? last : indexOfTime(chart, pinned.current);
    const step = event.shiftKey ? BIG_STEP : 1;
    const moves: Record<string, number> = {
      ArrowLeft: current - step, ArrowRight: current + step, PageUp: current - BIG_STEP, PageDown: current + BIG_STEP, Home: 0, End: last,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    moveTo(target);
    announce(chart);
  }

  /** The live region's words for the sample the keys landed on (not for the mouse: that would chatter). */
  function announce(chart: uPlot): void {
    const index = chart.cursor.idx;
    if (index == null) return;
    const time = (chart.data[0][index] ?? 0) * 1000;
    const point = latest.current.points.find((candidate) => candidate.time === time);
    setReadout(point ? sampleReadout(point, markAt(latest.current.marks, time, latest.current.stepMs)) : `${formatClock(time)}: no samples`);
  }

  function onFocus(): void {
    const chart = plot.current;
    if (!chart || chart.data[0].length === 0) return;
    moveTo(pinned.current === null ? chart.data[0].length - 1 : indexOfTime(chart, pinned.current));
    announce(chart);
  }

  function onBlur(): void {
    pinned.current = null;
    plot.current?.setCursor({ left: -10, top: -10 });
    setReadout('');
  }

  const summary = useMemo(() => chartSummary(label, points), [label, points]);
  const rows = useMemo(() => (showTable ? tableRows(points, marks) : []), [showTable, points, marks]);

  return (
    <div className={`chart-frame${compact ? ' compact' : ''}`} ref={frame}>
      <div
        className="chart"
        ref={host}
        role="img"
        tabIndex={0}
        aria-label={summary}
        aria-describedby={hintId}
        data-points={points.length}
        data-newest={points[points.length - 1]?.time ?? ''}
        data-marks={marks.length}
        onKeyDown={onKeyDown}
        onFocus={onFocus}
        onBlur={onBlur}
      />
      <div className="chart-tooltip" ref={tooltip} hidden data-testid="chart-tooltip" aria-hidden="true" />
      <span className="sr-only" id={hintId}>Left and right arrow keys step through the samples; Home and End go to the oldest and newest.</span>
      <div className="sr-only" aria-live="polite" aria-atomic="true">{readout}</div>
      <div className="chart-footer">
        <button type="button" className="chart-table-toggle" aria-expanded={showTable} aria-controls={tableId} onClick={() => setShowTable((shown) => !shown)}>
          {showTable ? 'Hide table' : 'Show as table'}
        </button>
      </div>
      <div className="chart-table" id={tableId} hidden={!showTable}>
        {showTable ? (
          <table>
            <caption className="sr-only">{label}: {points.length} samples, newest first</caption>
            <thead>
              <tr><th scope="col">Time</th><th scope="col">Download</th><th scope="col">Upload</th></tr>
            </thead>
            <tbody>
              {rows.map((row) => (row.kind === 'mark' ? (
                <tr key={row.key} className="chart-table-mark" data-kind="mark"><th scope="row" colSpan={3}>{row.text}</th></tr>
              ) : (
                <tr key={row.key} data-kind="sample">
                  <th scope="row" className="num">{formatClock(row.time)}</th>
                  <td className="num">{row.down}</td>
                  <td className="num">{row.up}</td>
                </tr>
              )))}
            </tbody>
          </table>
        ) : null}
      </div>
    </div>
  );
}
