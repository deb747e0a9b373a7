/**
 * Summaries of repeated log lines (issue "Survival II", defect 7: logs flood). A remote peer or a
 * failing dependency can make the same line repeat thousands of times a second (a scanner throwing
 * bad VMess headers, a bridge whose portal is down): written one by one, those lines bury
 * everything else and fill the disk.
 *
 * Each line comes with a key: the kind of problem and the peer or target it concerns (never a
 * connection id or a source port, which differ every time), so distinct problems stay apart. The
 * first few lines of a key are let through in full; later ones within the interval are only
 * counted, and when the interval ends one summary says how many there were and what the latest
 * said. A key that stays quiet for a whole interval is forgotten, so its next line is written in
 * full again. The number of keys is capped: beyond it, new keys share one overflow count.
 *
 * Pure bookkeeping: the clock and the timer are injected (tests drive them by hand), and what a
 * summary looks like is the caller's choice (`formatRepeatSummary` is the log's wording).
 */

export const REPEAT_INTERVAL_MS = 10_000;
/** Lines of one key written in full before the rest are counted: enough to see whether they vary. */
export const REPEAT_BURST = 3;
/** Distinct keys tracked at once; more (say, bad connections from thousands of addresses) share one count. */
export const REPEAT_MAX_KEYS = 512;

/** Time and a one-shot timer, injected so tests need no real time. */
export interface RepeatClock {
  now(): number;
  /** Calls `callback` once after `ms`; the returned function cancels it. */
  schedule(callback: () => void, ms: number): () => void;
}

/** The real clock; its timer is unref'd, so pending summaries never keep a process alive. */
export const systemRepeatClock: RepeatClock = {
  now: () => Date.now(),
  schedule(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return () => clearTimeout(handle);
  },
};

export interface RepeatSummariserOptions<T> {
  /** Called once per interval for each key that had lines counted instead of written. */
  onSummary(summary: RepeatSummary<T>): void;
  intervalMs?: number;
  burst?: number;
  maxKeys?: number;
  clock?: RepeatClock;
}

/** Lines of one key that were counted, not written. */
export interface RepeatSummary<T> {
  readonly key: string;
  /** How many lines were counted. */
  readonly count: number;
  /** Over how long (from the start of the interval to now). */
  readonly elapsedMs: number;
  /** What the latest of them said. */
  readonly latest: T;
  /** True when these lines are of many keys that did not fit under `maxKeys`. */
  readonly overflow: boolean;
}

interface KeyState<T> {
  intervalStart: number;
  /** Lines written in full since the key was new; at `burst`, the rest are counted. */
  written: number;
  counted: number;
  latest: T | undefined;
}

/** The key that holds lines of keys beyond `maxKeys`. */
const OVERFLOW_KEY = '\u0000overflow';

/**
 * Decides, line by line, which to write and which to count, and hands out the summaries of the
 * counted ones once per interval.
 */
export class RepeatSummariser<T> {
  private readonly keys = new Map<string, KeyState<T>>();
  private readonly intervalMs: number;
  private readonly burst: number;
  private readonly maxKeys: number;
  private readonly clock: RepeatClock;
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(private readonly options: RepeatSummariserOptions<T>) {
    this.intervalMs = options.intervalMs ?? REPEAT_INTERVAL_MS;
    this.burst = Math.max(1, options.burst ?? REPEAT_BURST);
    this.maxKeys = Math.max(1, options.maxKeys ?? REPEAT_MAX_KEYS);
    this.clock = options.clock ?? systemRepeatClock;
  }

  /** Keys being watched now (tests; the cap). */
  get size(): number {
    return this.keys.size;
  }

  /** True: write this line in full now. False: it was counted, and a summary will say so. */
  admit(key: string, line: T): boolean {
    if (this.closed) return true;
    const now = this.clock.now();
    let state = this.keys.get(key);
    // Intervals the timer has not ended yet (it runs late, or the clock is a test's) end here, as
    // it would have ended them: the next interval starts where this one ended, and one that has
    // passed quietly since forgets the key.
    while (state && now >= state.intervalStart + this.intervalMs) {
      if (!this.endInterval(key, state, now, state.intervalStart + this.intervalMs)) state = undefined;
      else this.armTimer(state.intervalStart + this.intervalMs);
    }
    if (!state && this.keys.size >= this.maxKeys) {
      key = OVERFLOW_KEY;
      state = this.keys.get(key);
    }
    if (!state) {
      this.keys.set(key, { intervalStart: now, written: 1, counted: 0, latest: undefined });
      this.armTimer(now + this.intervalMs);
      return true;
    }
    if (state.written < this.burst) {
      state.written += 1;
      return true;
    }
    state.counted += 1;
    state.latest = line;
    return false;
  }

  /** Hands out every pending summary now and stops the timer (the log is closing); later lines are all written. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const now = this.clock.now();
    const pending = [...this.keys];
    this.keys.clear();
    for (const [key, state] of pending) if (state.counted > 0) this.emit(key, state, now);
  }

  /** Ends the intervals that are over: a summary for each key with lines counted, and forgets keys that were quiet. */
  private tick(): void {
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let next = Infinity;
    for (const [key, state] of this.keys) {
      const end = state.intervalStart + this.intervalMs;
      if (end > now) {
        next = Math.min(next, end);
        continue;
      }
      if (this.endInterval(key, state, now, now)) next = Math.min(next, now + this.intervalMs);
    }
    if (next !== Infinity) this.armTimer(next);
  }

  /**
   * Ends a key's interval: a summary if lines were counted (true: the next interval starts at
   * `nextStart`), else the key is forgotten.
   */
  private endInterval(key: string, state: KeyState<T>, now: number, nextStart: number): boolean {
    if (state.counted === 0) {
      this.keys.delete(key);
      return false;
    }
    this.emit(key, state, now);
    // Still repeating: the next interval counts from the first line on, until one passes quietly.
    state.intervalStart = nextStart;
    state.counted = 0;
    state.latest = undefined;
    return true;
  }

  private emit(key: string, state: KeyState<T>, now: number): void {
    this.options.onSummary({ key, count: state.counted, elapsedMs: now - state.intervalStart, latest: state.latest as T, overflow: key === OVERFLOW_KEY });
  }

  /** One timer for all keys, set for the earliest end of an interval. */
  private armTimer(at: number): void {
    if (at >= this.timerAt) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.clock.schedule(() => this.tick(), Math.max(0, at - this.clock.now()));
  }
}

/** The summary line: `… 312 more in the last 10 s, latest: <message>`. */
export function formatRepeatSummary(summary: RepeatSummary<unknown>, latestMessage: string): string {
  const seconds = Math.max(1, Math.round(summary.elapsedMs / 1000));
  const what = summary.overflow ? ' lines of other kinds (too many kinds to count apart)' : '';
  return `… ${summary.count} more${what} in the last ${seconds} s, latest: ${latestMessage}`;
}
