/**
 * Traffic series: the total (Overview graph) and per tag (Traffic page). 1 s points are kept here,
 * seeded once from `getTrafficHistory('5m')` and then appended from each snapshot; the 1 h window's
 * 10 s points are fetched while that window is shown.
 */
import type { EngineSnapshot, TagTraffic, TrafficHistory, TrafficPoint, TrafficWindow } from '../../src-core/host/api/index.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

/** 5 minutes of 1 s points, as the engine keeps. */
export const SECOND_POINTS = 300;

export interface TrafficSlice {
  total: TrafficPoint[];
  /** Per tag key (`inbound:tag` / `outbound:tag`), 1 s points. */
  tagSeries: Record<string, TrafficPoint[]>;
  tags: TagTraffic[];
  trafficWindow: TrafficWindow;
  hourHistory: TrafficHistory | null;
  applyTrafficSnapshot(snapshot: EngineSnapshot): void;
  loadTrafficHistory(): Promise<void>;
  setTrafficWindow(window: TrafficWindow): void;
  refreshHourHistory(): Promise<void>;
}

export function tagKey(tag: Pick<TagTraffic, 'tag' | 'direction'>): string {
  return `${tag.direction}:${tag.tag}`;
}

function appendPoint(series: readonly TrafficPoint[] | undefined, point: TrafficPoint): TrafficPoint[] {
  const base = series ?? [];
  if (base.length > 0 && (base[base.length - 1]?.time ?? 0) >= point.time) return [...base];
  const next = base.length >= SECOND_POINTS ? base.slice(base.length - SECOND_POINTS + 1) : base.slice();
  next.push(point);
  return next;
}

export const createTrafficSlice: SliceCreator<TrafficSlice> = (set, get) => ({
  total: [],
  tagSeries: {},
  tags: [],
  trafficWindow: '5m',
  hourHistory: null,
  applyTrafficSnapshot: (snapshot) => {
    const { total, tagSeries } = get();
    const nextSeries: Record<string, TrafficPoint[]> = {};
    for (const tag of snapshot.tags) {
      const key = tagKey(tag);
      nextSeries[key] = appendPoint(tagSeries[key], { time: snapshot.time, upRate: tag.upRate, downRate: tag.downRate });
    }
    set({ total: appendPoint(total, snapshot.point), tagSeries: nextSeries, tags: snapshot.tags });
  },
  loadTrafficHistory: async () => {
    const history = await engineService().getTrafficHistory('5m');
    const { total, tagSeries } = get();
    // Keep points that arrived while the history was on its way.
    const merge = (older: TrafficPoint[], newer: readonly TrafficPoint[] | undefined): TrafficPoint[] => {
      const last = older[older.length - 1]?.time ?? 0;
      return [...older, ...(newer ?? []).filter((point) => point.time > last)].slice(-SECOND_POINTS);
    };
    const nextSeries: Record<string, TrafficPoint[]> = { ...tagSeries };
    for (const series of history.tags) {
      if (series.tag === null || series.direction === null) continue;
      const key = tagKey({ tag: series.tag, direction: series.direction });
      nextSeries[key] = merge(series.points, tagSeries[key]);
    }
    set({ total: merge(history.total.points, total), tagSeries: nextSeries });
  },
  setTrafficWindow: (trafficWindow) => {
    set({ trafficWindow });
    if (trafficWindow === '1h') void get().refreshHourHistory();
  },
  refreshHourHistory: async () => {
    try {
      set({ hourHistory: await engineService().getTrafficHistory('1h') });
    } catch {
      // The next refresh tries again; the page keeps what it has.
    }
  },
});
