/**
 * Turns the engine's cumulative per-connection byte counters into what the UI graphs: per-
 * connection rates, per-tag totals and rates, and bounded rings of points (style.md point 12).
 * Called once a second by the service; pure otherwise (time is passed in), so tests drive it.
 *
 * Rings: the total and each tag keep 300 points at 1 s (the Overview graph, and the Traffic page's
 * 1 min and 5 min windows) and 360 points at 10 s (the 1 h window).
 *
 * History outlives an engine run (a profile switch, a stop and start): each start is kept as a mark
 * for the graphs, and a tag the new run does not use is hidden, not forgotten, until it has been
 * idle for the longest window.
 */
import type {
  ConnectionRow, TagDirection, TagTraffic, TrafficHistory, TrafficMark, TrafficPoint, TrafficSeries, TrafficTotals, TrafficWindow,
} from '../api/index.js';
import type { ConnectionSnapshot } from '../../engine/features/stats.js';
import type { ConnectionRole } from './connection-roles.js';
import { Ring } from './ring.js';

export const SECOND_POINTS = 300;
export const HOUR_STEP_MS = 10_000;
export const HOUR_POINTS = 360;
/** Engine starts remembered for the graphs (more than an hour's worth of switching). */
export const MARKS = 64;
/** A hidden tag idle this long has nothing left to show in any window. */
const FORGET_TAG_AFTER_MS = HOUR_STEP_MS * HOUR_POINTS;

const WINDOW_SECOND_POINTS: Record<Exclude<TrafficWindow, '1h'>, number> = { '1m': 60, '5m': 300 };

/** One series at both resolutions. */
class SeriesRings {
  readonly seconds = new Ring<TrafficPoint>(SECOND_POINTS);
  readonly hour = new Ring<TrafficPoint>(HOUR_POINTS);
  private bucket: number | undefined;
  private bucketUp = 0;
  private bucketDown = 0;

  /** Adds one sample: `up`/`down` bytes moved during `seconds` seconds ending at `now`. */
  add(now: number, up: number, down: number, seconds: number): TrafficPoint {
    const point = { time: now, upRate: up / seconds, downRate: down / seconds };
    this.seconds.push(point);
    const bucket = Math.floor(now / HOUR_STEP_MS);
    if (this.bucket !== undefined && bucket !== this.bucket) {
      const stepSeconds = HOUR_STEP_MS / 1000;
      this.hour.push({ time: this.bucket * HOUR_STEP_MS, upRate: this.bucketUp / stepSeconds, downRate: this.bucketDown / stepSeconds });
      this.bucketUp = 0;
      this.bucketDown = 0;
    }
    this.bucket = bucket;
    this.bucketUp += up;
    this.bucketDown += down;
    return point;
  }

  points(window: TrafficWindow): TrafficPoint[] {
    return window === '1h' ? this.hour.toArray() : this.seconds.toArray(WINDOW_SECOND_POINTS[window]);
  }
}

interface TagEntry {
  tag: string;
  direction: TagDirection;
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  openConnections: number;
  /** The engine run that last used this tag: tags of earlier runs are hidden but keep their rings. */
  run: number;
  /** When this tag last carried a connection (for forgetting it once hidden and idle). */
  lastUsedAt: number;
  /** Bytes in the current sample, reset each tick. */
  sampleUp: number;
  sampleDown: number;
  rings: SeriesRings;
}

export interface SampleResult {
  rows: ConnectionRow[];
  tags: TagTraffic[];
  totals: TrafficTotals;
  point: TrafficPoint;
}

export class TrafficSampler {
  private readonly seen = new Map<number, { up: number; down: number }>();
  private readonly tags = new Map<string, TagEntry>();
  private readonly total = new SeriesRings();
  private readonly marks = new Ring<TrafficMark>(MARKS);
  private run = 0;
  private totals: TrafficTotals = { bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0 };
  private lastSampleAt: number | undefined;

  /**
   * One tick. `connections` are the engine's cumulative counters (open and recently closed);
   * `roleOf` says what each is to the user (connection-roles.ts; `true`/`false` for tunnel or
   * not). Tunnel links count for their tags but not for the total (their bytes are the same bytes
   * as the connections they carry); a user connection seen on both sides of one process counts
   * once: open and down on its public side, up on its service side.
   */
  sample(now: number, connections: readonly ConnectionSnapshot[], roleOf: (connection: ConnectionSnapshot) => ConnectionRole | boolean): SampleResult {
    const seconds = this.lastSampleAt === undefined ? 1 : Math.max(0.001, (now - this.lastSampleAt) / 1000);
    this.lastSampleAt = now;
    for (const entry of this.tags.values()) {
      entry.sampleUp = 0;
      entry.sampleDown = 0;
      entry.openConnections = 0;
    }
    let up = 0;
    let down = 0;
    let open = 0;
    const present = new Set<number>();
    const rows: ConnectionRow[] = [];
    for (const connection of connections) {
      present.add(connection.id);
      const before = this.seen.get(connection.id) ?? { up: 0, down: 0 };
      const deltaUp = Math.max(0, connection.bytesUp - before.up);
      const deltaDown = Math.max(0, connection.bytesDown - before.down);
      // A counter may step back once (up moves from bytes read to bytes written to the service
      // when the outbound connects): keep the highest, so no byte counts twice.
      this.seen.set(connection.id, { up: Math.max(before.up, connection.bytesUp), down: Math.max(before.down, connection.bytesDown) });
      const given = roleOf(connection);
      const role: ConnectionRole = given === true ? 'tunnel' : given === false ? 'user' : given;
      const isOpen = connection.closedAt === undefined;
      for (const entry of [this.tagEntry(connection.inboundTag, 'inbound'), this.tagEntry(connection.outboundTag, 'outbound')]) {
        entry.run = this.run;
        entry.lastUsedAt = now;
        entry.sampleUp += deltaUp;
        entry.sampleDown += deltaDown;
        if (isOpen) entry.openConnections += 1;
      }
      if (role === 'user' || role === 'service') up += deltaUp;
      if (role === 'user' || role === 'public') {
        down += deltaDown;
        if (isOpen) open += 1;
      }
      const row: ConnectionRow = {
        id: connection.id,
        kind: role === 'tunnel' ? 'tunnel' : 'connection',
        inboundTag: connection.inboundTag,
        outboundTag: connection.outboundTag,
        source: connection.source,
        target: connection.target,
        startedAt: connection.startedAt,
        closedAt: connection.closedAt ?? null,
        bytesUp: connection.bytesUp,
        bytesDown: connection.bytesDown,
        upRate: isOpen ? deltaUp / seconds : 0,
        downRate: isOpen ? deltaDown / seconds : 0,
      };
      if (role === 'service') row.serviceSide = true;
      rows.push(row);
    }
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id);
    for (const [key, entry] of this.tags) {
      if (entry.run !== this.run && now - entry.lastUsedAt > FORGET_TAG_AFTER_MS) this.tags.delete(key);
    }
    for (const entry of this.tags.values()) {
      entry.bytesUp += entry.sampleUp;
      entry.bytesDown += entry.sampleDown;
      const point = entry.rings.add(now, entry.sampleUp, entry.sampleDown, seconds);
      entry.upRate = point.upRate;
      entry.downRate = point.downRate;
    }
    const point = this.total.add(now, up, down, seconds);
    this.totals = {
      bytesUp: this.totals.bytesUp + up,
      bytesDown: this.totals.bytesDown + down,
      upRate: point.upRate,
      downRate: point.downRate,
      openConnections: open,
    };
    return { rows, tags: this.tagList(), totals: { ...this.totals }, point };
  }

  /**
   * A new engine run started at `now` with `profile` (null: the built-in local portal): its
   * connection ids start again, and its tags are the ones it uses. Every graph keeps its history;
   * the start is marked.
   */
  resetEngine(now: number, profile: string | null): void {
    this.seen.clear();
    this.run += 1;
    for (const entry of this.tags.values()) {
      entry.upRate = 0;
      entry.downRate = 0;
      entry.openConnections = 0;
    }
    this.totals = { ...this.totals, upRate: 0, downRate: 0, openConnections: 0 };
    this.marks.push({ time: now, profile });
  }

  history(window: TrafficWindow): TrafficHistory {
    const series = (tag: string | null, direction: TagDirection | null, rings: SeriesRings): TrafficSeries => ({ tag, direction, points: rings.points(window) });
    const total = series(null, null, this.total);
    const from = total.points[0]?.time ?? Infinity;
    return {
      window,
      stepMs: window === '1h' ? HOUR_STEP_MS : 1000,
      total,
      tags: this.currentTags().map((entry) => series(entry.tag, entry.direction, entry.rings)),
      marks: this.marks.toArray().filter((mark) => mark.time >= from),
    };
  }

  /** The tags the running engine (or the last one) has used. */
  private currentTags(): TagEntry[] {
    return [...this.tags.values()].filter((entry) => entry.run === this.run);
  }

  private tagEntry(tag: string, direction: TagDirection): TagEntry {
    const key = `${direction}\u0000${tag}`;
    let entry = this.tags.get(key);
    if (!entry) {
      entry = { tag, direction, bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0, run: this.run, lastUsedAt: 0, sampleUp: 0, sampleDown: 0, rings: new SeriesRings() };
      this.tags.set(key, entry);
    }
    return entry;
  }

  private tagList(): TagTraffic[] {
    return this.currentTags()
      .map(({ tag, direction, bytesUp, bytesDown, upRate, downRate, openConnections }) => ({ tag, direction, bytesUp, bytesDown, upRate, downRate, openConnections }))
      .sort((a, b) => (a.direction === b.direction ? a.tag.localeCompare(b.tag) : a.direction === 'inbound' ? -1 : 1));
  }
}
