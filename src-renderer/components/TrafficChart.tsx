/**
 * Up/down rates over a time window, drawn by uPlot on a canvas. The plot is created once per
 * theme and size; new points only call `setData`, so a second's update costs almost nothing.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrafficPoint } from '../../src-core/host/api/index.js';
import { formatRate } from '../format.js';

interface TrafficChartProps {
  points: readonly TrafficPoint[];
  /** Width of the x axis, ending at the newest point (or now). */
  windowMs: number;
  height: number;
  /** Changes colours (the chart reads them from CSS variables). */
  theme: string;
  label: string;
  compact?: boolean;
}

function cssVariable(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function toData(points: readonly TrafficPoint[]): uPlot.AlignedData {
  return [points.map((point) => point.time / 1000), points.map((point) => point.upRate), points.map((point) => point.downRate)];
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

export function TrafficChart({ points, windowMs, height, theme, label, compact = false }: TrafficChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ points, windowMs });
  latest.current = { points, windowMs };

  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const text = cssVariable('--text-faint');
    const grid = cssVariable('--grid');
    const xRange = (): [number, number] => {
      const { points: current, windowMs: span } = latest.current;
      const end = (current[current.length - 1]?.time ?? Date.now()) / 1000;
      return [end - span / 1000, end];
    };
    const options: uPlot.Options = {
      width: Math.max(100, element.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
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
        { label: 'Up', stroke: cssVariable('--up'), fill: cssVariable('--up-fill'), width: 1.5, points: { show: false }, value: (_u, value) => (value == null ? '–' : formatRate(value)) },
        { label: 'Down', stroke: cssVariable('--down'), fill: cssVariable('--down-fill'), width: 1.5, points: { show: false }, value: (_u, value) => (value == null ? '–' : formatRate(value)) },
      ],
    };
    const chart = new uPlot(options, toData(latest.current.points), element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(100, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [height, theme, compact]);

  useEffect(() => {
    plot.current?.setData(toData(points));
  }, [points, windowMs]);

  return <div className="chart" ref={container} role="img" aria-label={label} data-points={points.length} />;
}
