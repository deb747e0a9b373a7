/**
 * Traffic series: the total (Overview graph) and per tag (Traffic page). 1 s points are kept here,
 * seeded once from `getTrafficHistory('5m')` and then appended from each snapshot; the 1 h window's
 * 10 s points are fetched while that window is shown.
 *
 * History outlives engine runs (a profile switch, a stop and start): each start becomes a mark the
 * graphs draw. The service keeps the marks; a snapshot whose status shows a new run fetches them.
 */
import type { EngineSnapshot, EngineStatus, TagTraffic, TrafficHistory, TrafficMark, TrafficPoint, TrafficWindow } from '../../src-core/host/api/index.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

/** 5 minutes of 1 s points, as the engine keeps. */
export const SECOND_POINTS = 300;
/** Engine starts kept for the graphs, as the service keeps. */
const MARKS = 64;

export interface TrafficSlice {
  total: TrafficPoint[];
  /** Per tag key (`inbound:tag` / `outbound:tag`), 1 s points. */
  tagSeries: Record<string, TrafficPoint[]>;
  tags: TagTraffic[];
  trafficWindow: TrafficWindow;
  hourHistory: TrafficHistory | null;
  /** Engine starts, oldest first: where the graphs draw a line with the profile's name. */
  trafficMarks: TrafficMark[];
  /** When the engine's state last changed, as the last snapshot said: a change means a new run to mark. */
  lastRunSince: EngineStatus['since'] | null;
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

/** `marks` and `more` as one list, oldest first, each start once (the service's history repeats them). */
export function mergeMarks(marks: readonly TrafficMark[], more: readonly TrafficMark[]): TrafficMark[] {
  const merged: TrafficMark[] = [];
  for (const mark of [...marks, ...more].sort((a, b) => a.time - b.time)) {
    const previous = merged[merged.length - 1];
    if (previous && previous.time === mark.time && previous.profile === mark.profile) continue;
    merged.push(mark);
  }
  return merged.slice(-MARKS);
}

export const createTrafficSlice: SliceCreator<TrafficSlice> = (set, get) => ({
  total: [],
  tagSeries: {},
  tags: [],
  trafficWindow: '5m',
  hourHistory: null,
  trafficMarks: [],
  lastRunSince: null,
  applyTrafficSnapshot: (snapshot) => {
    const { total, tagSeries, trafficMarks, lastRunSince } = get();
    const nextSeries: Record<string, TrafficPoint[]> = {};
    let tagCameBack = false;
    for (const tag of snapshot.tags) {
      const key = tagKey(tag);
      if (!tagSeries[key] && trafficMarks.length > 0) tagCameBack = true;
      nextSeries[key] = appendPoint(tagSeries[key], { time: snapshot.time, upRate: tag.upRate, downRate: tag.downRate });
    }
    // The engine stopped or started (perhaps both, between two snapshots): the service has the marks.
    const runChanged = lastRunSince !== null && lastRunSince !== snapshot.status.since;
    set({
      total: appendPoint(total, snapshot.point),
      tagSeries: nextSeries,
      tags: snapshot.tags,
      lastRunSince: snapshot.status.since,
    });
    // A tag an earlier run used keeps its points in the service: fetch them rather than start its graph empty.
    if (tagCameBack || runChanged) void get().loadTrafficHistory().catch(() => undefined);
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
    set({ total: merge(history.total.points, total), tagSeries: nextSeries, trafficMarks: mergeMarks(get().trafficMarks, history.marks ?? []) });
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
