/**
 * Memory settings for a process that carries proxy traffic (the CLI's `run`), next to the GC
 * settings of v8-tuning.ts. Both parts work at run time, as V8 flags the CLI can still set (a
 * `node` command line is not ours to choose) and timers; neither touches the data path.
 *
 * 1. A ceiling on V8's young generation. V8 doubles the new space whenever many objects survive a
 *    scavenge, up to 32 MiB (2 × 16 MiB semi-spaces on 64-bit Node 20), and never gives it back
 *    while traffic goes on. Bursts of connections (the bench's 2,000 requests) take it there; the
 *    pages stay resident. `--max-semi-space-size` is only read when the heap is set up, but
 *    `--semi-space-growth-factor` is read at every growth: once the new space has reached the
 *    ceiling, a factor of 1 stops it there. A smaller new space also lowers the old generation's
 *    GC trigger, which V8 sets at live size + 16 MiB + the new space's size. Measured (bench
 *    load, portal and bridge): peak RSS ~150 → ~125–140 MiB, GC time and CPU per connection
 *    unchanged within noise; an 8 MiB ceiling also saved ~8 MiB with 1,000 idle streams, but
 *    cost a quarter to a third more GC time per connection, a 4 MiB one about 70% more.
 *
 * 2. Memory back after traffic. V8's memory reducer (a compacting GC that also shrinks the new
 *    space once the process goes quiet) runs on incremental marking, which v8-tuning.ts turns off
 *    for the sake of bulk CPU; without it a portal keeps its traffic-sized heap forever. So when
 *    the heap has grown and the event loop has been quiet for a moment (1.5 s), this asks V8 for the
 *    same thing its embedders get with Isolate::LowMemoryNotification: a compacting GC that
 *    releases the young generation and unused pages. JavaScript reaches it through an in-process
 *    inspector session (`HeapProfiler.collectGarbage`; no port is opened). It costs one pause of
 *    two full GCs (~20–40 ms after the bench's traffic) per quiet spell, at most once per
 *    `minIntervalMs`. Measured: 5 s after the bench's traffic a portal is ~92 MiB instead of
 *    ~146 MiB (V8's pages 60 → 9 MiB).
 *    Start-up counts as growth (loading the engine leaves an 8 MiB new space behind): a freshly
 *    started portal or bridge goes from ~58 to ~54 MiB at its first quiet spell.
 *
 * 3. Memory back after a burst, while other traffic goes on. Between two scavenges a transfer
 *    leaves ~32 MiB of dead Buffers (V8 starts a scavenge once that many young backing stores wait),
 *    and the C heap keeps their pages after the scavenge; a process that never goes quiet for
 *    1.5 s kept them for good. So when the resident set has grown 16 MiB since the last reduction
 *    and the loop was less than half busy in the last sample (a saturating transfer has ended, or
 *    was never there), a light reduction runs: a scavenge and malloc_trim, 1–3 ms. Measured after
 *    the bench's warm-up (32 MiB each way): portal and bridge ~95 → 64–76 MiB. A scavenge every
 *    few MiB *during* a transfer cost 8 % of its throughput, hence the busy test.
 *
 * glibc's heap: socket reads and VMess chunks allocate Buffers of up to 64 KiB from malloc, and a
 * bulk transfer grows the C heap by ~30 MiB between two scavenges. glibc keeps those pages after
 * the Buffers are freed. The reduction therefore ends with malloc_trim, through the optional
 * native addon (src-core/engine/native/heap.c; MALLOC_ env settings would only work before the process
 * starts). The reduction also watches the resident set, since those pages show only there.
 * Measured: 6 s after the bench's warm-up traffic, portal and bridge ~97 MiB each without it;
 * with the GC alone ~79 / ~61 MiB, with the GC and the trim ~56 / ~57 MiB.
 */
import { PerformanceObserver, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type * as Inspector from 'node:inspector';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nativeHeap } from '../../engine/native/heap.js';

const MIB = 1024 * 1024;

/** The default new-space ceiling (both semi-spaces): the largest V8 reaches minus one doubling. */
export const YOUNG_GENERATION_CEILING_BYTES = 16 * MIB;

/** The flag that stops the new space from growing further; read by V8 at every growth. */
export const STOP_YOUNG_GROWTH_FLAG = '--semi-space-growth-factor=1';

/** Size of V8's new space (both semi-spaces), as V8 reports it. */
export function newSpaceSize(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Stops V8's new space from growing past `ceilingBytes` (it may end one doubling short of it
 * when a doubling would cross it late; it never shrinks below what it is). Watches GCs until the
 * ceiling is reached, then sets STOP_YOUNG_GROWTH_FLAG and stops watching. Returns a stop function.
 */
export function capYoungGeneration(ceilingBytes: number = YOUNG_GENERATION_CEILING_BYTES, readSize: () => number = newSpaceSize): () => void {
  let observer: PerformanceObserver | undefined;
  const check = (): boolean => {
    if (readSize() < ceilingBytes) return false;
    setFlagsFromString(STOP_YOUNG_GROWTH_FLAG);
    observer?.disconnect();
    observer = undefined;
    return true;
  };
  if (!check()) {
    observer = new PerformanceObserver(() => { check(); });
    observer.observe({ entryTypes: ['gc'] });
  }
  return () => {
    observer?.disconnect();
    observer = undefined;
  };
}

/** Whether the loop was busy for less than `share` of the sample's window. */
function isQuiet(sample: Pick<MemorySample, 'windowMs' | 'activeMs'>, share: number): boolean {
  return sample.activeMs < share * sample.windowMs;
}

/** One reading of what the idle reducer looks at. */
export interface MemorySample {
  /** Milliseconds since the previous sample, and of those the ones the event loop was busy. */
  windowMs: number;
  activeMs: number;
  /** V8's committed heap (heapTotal), its external memory (Buffers) and the process's RSS, bytes. */
  heapBytes: number;
  externalBytes: number;
  rssBytes: number;
  /** Monotonic clock, ms. */
  now: number;
}

export interface IdleReducerOptions {
  /** A sample whose loop was busy for less than this share of its window counts as quiet. */
  quietBusyShare: number;
  /** Quiet time in a row before reducing, ms. */
  quietForMs: number;
  /**
   * Reduce only if, since the last reduction, the heap grew this much, the external memory twice
   * this much, or the resident set four times this much (C heap pages kept after a burst of
   * traffic show only there).
   */
  growthBytes: number;
  /** At most one reduction per this many ms. */
  minIntervalMs: number;
  /**
   * Count start-up as growth: reduce at the first quiet spell. Loading the engine grows V8's new
   * space to ~8 MiB (most of what start-up allocates survives), and nothing else would shrink it
   * before traffic comes.
   */
  reduceAfterStart?: boolean;
}

/**
 * Quiet means under 4 % busy for 1.5 s. A reduction needs growth since the last one, so the
 * interval only bounds bursty traffic to one pause per 5 s.
 * (It was 3 s of 1-second samples and 30 s between reductions: one reduction early in a process's
 * life then held off the one after its first burst, and the bench's RSS 5 s after traffic
 * sometimes read 120 MiB instead of 58. It was 2 % busy: an idle engine's own timers (link
 * upkeep, idle-connection sweeps, this sampler) take 5–15 ms per half second on a small VM,
 * where every wake-up costs about a millisecond, so "quiet" sometimes never came.)
 */
export const IDLE_REDUCER_DEFAULTS: IdleReducerOptions = {
  quietBusyShare: 0.04,
  quietForMs: 1_500,
  growthBytes: 2 * MIB,
  minIntervalMs: 5_000,
  reduceAfterStart: true,
};

/**
 * How often the idle reducer samples the event loop and the memory while anything happens, so that
 * a trim follows the end of a burst within a tenth of a second; while the process stays quiet the
 * samples back off to IDLE_SAMPLE_MAX_MS (nextSampleDelay).
 */
export const IDLE_SAMPLE_MS = 100;

/**
 * Decides, one sample at a time, when a quiet process should give memory back. Pure: the caller
 * takes the samples and performs the reduction (see startIdleMemoryReducer).
 */
export class IdleReducerPolicy {
  private quietMs = 0;
  private baseline: { heapBytes: number; externalBytes: number; rssBytes: number } | undefined;
  private lastReduction = -Infinity;
  private startPending: boolean;

  constructor(private readonly options: IdleReducerOptions = IDLE_REDUCER_DEFAULTS) {
    this.startPending = options.reduceAfterStart ?? false;
  }

  /** Feeds one sample; true when the caller should reduce memory now. */
  shouldReduce(sample: MemorySample): boolean {
    this.baseline ??= { heapBytes: sample.heapBytes, externalBytes: sample.externalBytes, rssBytes: sample.rssBytes };
    this.quietMs = isQuiet(sample, this.options.quietBusyShare) ? this.quietMs + sample.windowMs : 0;
    // At least one quiet sample, whatever quietForMs says.
    if (this.quietMs === 0 || this.quietMs < this.options.quietForMs) return false;
    if (sample.now - this.lastReduction < this.options.minIntervalMs) return false;
    if (this.startPending) return true;
    const grown = sample.heapBytes - this.baseline.heapBytes >= this.options.growthBytes
      || sample.externalBytes - this.baseline.externalBytes >= 2 * this.options.growthBytes
      || sample.rssBytes - this.baseline.rssBytes >= 4 * this.options.growthBytes;
    return grown;
  }

  /** Tells the policy a reduction happened; `after` is a sample taken right after it. */
  reduced(after: Pick<MemorySample, 'heapBytes' | 'externalBytes' | 'rssBytes' | 'now'>): void {
    this.baseline = { heapBytes: after.heapBytes, externalBytes: after.externalBytes, rssBytes: after.rssBytes };
    this.lastReduction = after.now;
    this.quietMs = 0;
    this.startPending = false;
  }
}

export interface TrimOptions {
  /** A sample whose loop was busy for less than this share of its window allows a trim. */
  busyBelowShare: number;
  /** Trim once the resident set has grown this much since the last reduction or trim. */
  growthBytes: number;
  /** At most one trim per this many ms. */
  minIntervalMs: number;
}

/** A sample under half busy, 16 MiB grown, at most every 2 s (≤ 0.15 % of the loop). */
export const TRIM_DEFAULTS: TrimOptions = {
  busyBelowShare: 0.5,
  growthBytes: 16 * MIB,
  minIntervalMs: 2_000,
};

/**
 * Decides, one sample at a time, when to run the light reduction (trimMemoryNow): the resident
 * set has grown by a burst's worth and the loop has room. Pure, like IdleReducerPolicy.
 */
export class TrimPolicy {
  private baselineRss: number | undefined;
  private lastTrim = -Infinity;

  constructor(private readonly options: TrimOptions = TRIM_DEFAULTS) {}

  /** Feeds one sample; true when the caller should trim now. */
  shouldTrim(sample: MemorySample): boolean {
    this.baselineRss ??= sample.rssBytes;
    if (!isQuiet(sample, this.options.busyBelowShare)) return false;
    if (sample.now - this.lastTrim < this.options.minIntervalMs) return false;
    return sample.rssBytes - this.baselineRss >= this.options.growthBytes;
  }

  /** Tells the policy memory was given back (by a trim or a full reduction); `after` is sampled right after. */
  trimmed(after: Pick<MemorySample, 'rssBytes' | 'now'>): void {
    this.baselineRss = after.rssBytes;
    this.lastTrim = after.now;
  }
}

type GcFunction = (options: { type: 'minor' }) => void;
let exposedGc: GcFunction | null | undefined;

/**
 * V8's gc() without `--expose-gc` on the command line: the flag set at run time exposes it to
 * contexts created afterwards (jest's leak detector does the same). Null when that fails.
 */
function gcFunction(): GcFunction | null {
  if (exposedGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      exposedGc = typeof gc === 'function' ? (gc as GcFunction) : null;
    } catch {
      exposedGc = null;
    }
  }
  return exposedGc;
}

/**
 * The light reduction: a scavenge frees the dead young Buffers, malloc_trim returns the C heap's
 * free pages. False when either part is missing here.
 */
export function trimMemoryNow(): boolean {
  // Without the trim the scavenge alone gives back nothing (the C heap keeps the pages).
  if (!nativeHeap) return false;
  const gc = gcFunction();
  if (!gc) return false;
  gc({ type: 'minor' });
  nativeHeap.trim();
  return true;
}

/**
 * A compacting, memory-reducing GC (V8's LowMemoryNotification) through an in-process inspector
 * session. Resolves to false where Node was built without the inspector.
 */
export async function reduceMemoryNow(): Promise<boolean> {
  let inspector: typeof Inspector;
  try {
    inspector = await import('node:inspector');
  } catch {
    return false;
  }
  const session = new inspector.Session();
  session.connect();
  try {
    await new Promise<void>((resolve, reject) => {
      session.post('HeapProfiler.collectGarbage', (error) => (error ? reject(error) : resolve()));
    });
    // The GC freed the Buffers; the C heap keeps their pages until asked.
    nativeHeap?.trim();
    return true;
  } catch {
    return false;
  } finally {
    session.disconnect();
  }
}

let lastRssBytes = 0;

/**
 * The resident set, or the last one read when reading it fails. Node reads it from
 * /proc/self/stat, which takes a file descriptor: in a process out of descriptors (EMFILE, a
 * portal's public port flooded with connections) `process.memoryUsage.rss()` throws, and this
 * timer's throw used to end the process (issue "Survival II"). A stale figure only delays a trim.
 */
function residentSetBytes(): number {
  try {
    lastRssBytes = process.memoryUsage.rss();
  } catch {
    // Out of descriptors for the moment: keep the last reading.
  }
  return lastRssBytes;
}

function sampleMemory(windowMs: number, activeMs: number): MemorySample {
  const heap = getHeapStatistics();
  return { windowMs, activeMs, heapBytes: heap.total_heap_size, externalBytes: heap.external_memory, rssBytes: residentSetBytes(), now: performance.now() };
}

/** The longest gap between two samples while the process stays quiet with nothing to give back. */
export const IDLE_SAMPLE_MAX_MS = 4_000;

/**
 * The wait before the next sample: doubled (up to `maxMs`) after a quiet sample that led to
 * nothing, `everyMs` again after any activity or reduction. An idle engine then wakes for this
 * every few seconds instead of ten times a second (each wake-up costs about a millisecond of CPU on
 * a small VM), and is back to `everyMs` within one sample of traffic.
 */
export function nextSampleDelay(currentMs: number, everyMs: number, maxMs: number, quiet: boolean, acted: boolean): number {
  return quiet && !acted ? Math.min(currentMs * 2, maxMs) : everyMs;
}

/** What startIdleMemoryReducer runs on; every field has a default (the production one). */
export interface IdleMemoryReducerSetup {
  reducer?: IdleReducerOptions;
  trim?: TrimOptions;
  /** Sample interval while anything happens, and the longest one while quiet, ms. */
  everyMs?: number;
  maxEveryMs?: number;
  /** The two reductions (tests pass their own). */
  reduceNow?: () => Promise<boolean>;
  trimNow?: () => boolean;
}

/**
 * Samples the loop and the memory (an unref'd timer, every `everyMs`, less often while quiet):
 * when the process has gone quiet after its heap grew it runs `reduceNow` (reduceMemoryNow), and
 * when a burst has left the resident set grown while the loop has room, `trimNow` (trimMemoryNow).
 * Returns a stop function.
 */
export function startIdleMemoryReducer(setup: IdleMemoryReducerSetup = {}): () => void {
  const {
    reducer: options = IDLE_REDUCER_DEFAULTS,
    trim: trimOptions = TRIM_DEFAULTS,
    everyMs = IDLE_SAMPLE_MS,
    maxEveryMs = IDLE_SAMPLE_MAX_MS,
    reduceNow: reduce = reduceMemoryNow,
    trimNow: trim = trimMemoryNow,
  } = setup;
  const policy = new IdleReducerPolicy(options);
  const trimPolicy = new TrimPolicy(trimOptions);
  // Each part turns itself off for good where this Node build lacks what it needs.
  let canReduce = true;
  let canTrim = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = everyMs;
  let lastLoop: EventLoopUtilization = performance.eventLoopUtilization();
  let lastAt = performance.now();
  /** Starts the next window here: our own work (sampling, a GC's pause) is not the process's activity. */
  const restartWindow = () => {
    lastLoop = performance.eventLoopUtilization();
    lastAt = performance.now();
  };
  const schedule = () => {
    if (stopped || (!canReduce && !canTrim)) return;
    timer = setTimeout(tick, delay);
    timer.unref();
  };
  /** After a reduction (both policies restart from here) or a trim (only the trim policy does). */
  const gaveBack = (full: boolean) => {
    const after = sampleMemory(0, 0);
    if (full) policy.reduced(after);
    trimPolicy.trimmed(after);
    restartWindow();
  };
  /** One sample and what it calls for; true when a reduction now runs (it schedules the next tick itself). */
  const sampleAndAct = (): boolean => {
    const loop = performance.eventLoopUtilization();
    const sample = sampleMemory(performance.now() - lastAt, performance.eventLoopUtilization(loop, lastLoop).active);
    restartWindow();
    if (canReduce && policy.shouldReduce(sample)) {
      void reduce().then((done) => {
        if (!done) canReduce = false;
        else if (!stopped) gaveBack(true);
        delay = everyMs;
      }).catch(() => {}).finally(schedule);
      return true;
    }
    let acted = false;
    if (canTrim && trimPolicy.shouldTrim(sample)) {
      acted = trim();
      if (acted) gaveBack(false);
      else canTrim = false;
    }
    delay = nextSampleDelay(delay, everyMs, maxEveryMs, isQuiet(sample, options.quietBusyShare), acted);
    return false;
  };
  /**
   * A timer's throw has nobody to catch it but the process, and this is an optimisation, never
   * worth the process: a sample that fails is skipped and the next one still comes.
   */
  const tick = () => {
    try {
      if (sampleAndAct()) return;
    } catch {
      delay = everyMs;
    }
    schedule();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Both parts, as `porthole run` uses them. Returns a stop function. */
export function tuneMemoryForTraffic(): () => void {
  const stopCap = capYoungGeneration();
  const stopReducer = startIdleMemoryReducer();
  return () => {
    stopCap();
    stopReducer();
  };
}
