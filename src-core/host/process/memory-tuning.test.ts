import { spawnSync } from 'node:child_process';
import type * as V8 from 'node:v8';
import { describe, expect, it, vi } from 'vitest';

const setFlags = vi.hoisted(() => vi.fn());
vi.mock('node:v8', async (importOriginal) => {
  const actual = await importOriginal<typeof V8>();
  return { ...actual, setFlagsFromString: (flag: string) => { setFlags(flag); actual.setFlagsFromString(flag); } };
});

const { IdleReducerPolicy, STOP_YOUNG_GROWTH_FLAG, TrimPolicy, capYoungGeneration, newSpaceSize, nextSampleDelay, reduceMemoryNow, startIdleMemoryReducer, trimMemoryNow } = await import('./memory-tuning.js');

const MIB = 1024 * 1024;

/** Largest new space a child reaches while it keeps many young objects alive, with `flags` set at run time. */
function newSpaceGrowth(flags: string[]): number {
  const script = `
    const { setFlagsFromString, getHeapSpaceStatistics } = await import('node:v8');
    for (const flag of ${JSON.stringify(flags)}) setFlagsFromString(flag);
    const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    let largest = size();
    const kept = [];
    for (let round = 0; round < 60; round++) {
      const batch = [];
      for (let i = 0; i < 20000; i++) batch.push({ round, i });
      kept.push(batch);
      if (kept.length > 4) kept.shift();
      largest = Math.max(largest, size());
    }
    console.log(JSON.stringify({ largest }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(child.status, child.stderr).toBe(0);
  return (JSON.parse(child.stdout) as { largest: number }).largest;
}

describe('the young-generation ceiling', () => {
  it('relies on V8 reading --semi-space-growth-factor at run time: with 1 the new space stays small', () => {
    // Unflagged, V8 takes it to its maximum (32 MiB on Node 20, 64 on Node 24); with the flag it
    // stays a fraction of that (2 MiB on Node 20; 7–13 MiB on Node 24, whose V8 still grows it some).
    const untuned = newSpaceGrowth([]);
    expect(untuned).toBeGreaterThanOrEqual(8 * MIB);
    expect(newSpaceGrowth([STOP_YOUNG_GROWTH_FLAG]) * 3).toBeLessThan(untuned);
  });

  it('stops the growth once the new space has reached the ceiling, and not before', async () => {
    setFlags.mockClear();
    let size = 4 * MIB;
    const stop = capYoungGeneration(16 * MIB, () => size);
    try {
      expect(setFlags).not.toHaveBeenCalled();
      size = 16 * MIB;
      // Any GC notifies the watcher.
      const garbage: object[] = [];
      for (let round = 0; round < 50 && setFlags.mock.calls.length === 0; round++) {
        for (let i = 0; i < 50_000; i++) garbage.push({ i });
        garbage.length = 0;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(setFlags).toHaveBeenCalledWith(STOP_YOUNG_GROWTH_FLAG);
    } finally {
      stop();
    }
  });

  it('sets the flag at once when the new space is already at the ceiling', () => {
    setFlags.mockClear();
    capYoungGeneration(16 * MIB, () => 32 * MIB)();
    expect(setFlags).toHaveBeenCalledWith(STOP_YOUNG_GROWTH_FLAG);
  });
});

describe('IdleReducerPolicy', () => {
  // One-second samples: quiet is under 20 ms busy in one, for three in a row.
  const options = { quietBusyShare: 0.02, quietForMs: 3000, growthBytes: 2 * MIB, minIntervalMs: 30_000 };
  const sample = (now: number, activeMs: number, heapMiB: number, externalMiB = 1, rssMiB = 60) => ({ now, windowMs: 1000, activeMs, heapBytes: heapMiB * MIB, externalBytes: externalMiB * MIB, rssBytes: rssMiB * MIB });

  it('reduces after enough quiet samples once the heap has grown, and not again until it grows again', () => {
    const policy = new IdleReducerPolicy(options);
    expect(policy.shouldReduce(sample(0, 5, 10))).toBe(false); // baseline
    expect(policy.shouldReduce(sample(1000, 400, 30))).toBe(false); // traffic
    expect(policy.shouldReduce(sample(2000, 3, 30))).toBe(false);
    expect(policy.shouldReduce(sample(3000, 3, 30))).toBe(false);
    expect(policy.shouldReduce(sample(4000, 3, 30))).toBe(true);
    policy.reduced(sample(4100, 0, 9));
    for (let t = 5000; t < 60_000; t += 1000) expect(policy.shouldReduce(sample(t, 3, 9.5))).toBe(false);
  });

  it('counts grown external memory (Buffers) too', () => {
    const policy = new IdleReducerPolicy(options);
    policy.shouldReduce(sample(0, 5, 10, 1));
    policy.shouldReduce(sample(1000, 5, 10, 8));
    policy.shouldReduce(sample(2000, 5, 10, 8));
    expect(policy.shouldReduce(sample(3000, 5, 10, 8))).toBe(true);
  });

  it('counts a grown resident set too (the C heap kept after a burst shows only there)', () => {
    const policy = new IdleReducerPolicy(options);
    policy.shouldReduce(sample(0, 5, 10, 1, 60));
    policy.shouldReduce(sample(1000, 5, 10, 1, 66));
    policy.shouldReduce(sample(2000, 5, 10, 1, 66));
    expect(policy.shouldReduce(sample(3000, 5, 10, 1, 66))).toBe(false); // 6 MiB: below 4 × growthBytes
    expect(policy.shouldReduce(sample(4000, 5, 10, 1, 90))).toBe(true);
  });

  it('waits while the loop is busy, and keeps minIntervalMs between reductions', () => {
    const policy = new IdleReducerPolicy(options);
    policy.shouldReduce(sample(0, 5, 10));
    for (let t = 1000; t < 10_000; t += 1000) expect(policy.shouldReduce(sample(t, 100, 40))).toBe(false);
    policy.reduced(sample(10_000, 0, 10));
    for (let t = 11_000; t < 40_000; t += 1000) expect(policy.shouldReduce(sample(t, 1, 40))).toBe(false);
    expect(policy.shouldReduce(sample(40_000, 1, 40))).toBe(true);
  });

  it('with reduceAfterStart, reduces at the first quiet spell without growth, and only once', () => {
    const policy = new IdleReducerPolicy({ ...options, reduceAfterStart: true });
    expect(policy.shouldReduce(sample(0, 100, 10))).toBe(false); // start-up still busy
    expect(policy.shouldReduce(sample(1000, 3, 10))).toBe(false);
    expect(policy.shouldReduce(sample(2000, 3, 10))).toBe(false);
    expect(policy.shouldReduce(sample(3000, 3, 10))).toBe(true);
    policy.reduced(sample(3100, 0, 9));
    for (let t = 40_000; t < 60_000; t += 1000) expect(policy.shouldReduce(sample(t, 3, 9.5))).toBe(false);
  });
});

describe('nextSampleDelay', () => {
  it('doubles the wait after quiet samples that led to nothing, up to the cap, and falls back at once', () => {
    const waits = [500];
    for (let i = 0; i < 5; i++) waits.push(nextSampleDelay(waits.at(-1)!, 500, 4000, true, false));
    expect(waits).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(nextSampleDelay(4000, 500, 4000, false, false)).toBe(500); // traffic
    expect(nextSampleDelay(4000, 500, 4000, true, true)).toBe(500); // gave memory back: look again soon
  });
});

describe('TrimPolicy', () => {
  const options = { busyBelowShare: 0.5, growthBytes: 16 * MIB, minIntervalMs: 2000 };
  const sample = (now: number, activeMs: number, rssMiB: number) => ({ now, windowMs: 500, activeMs, heapBytes: 0, externalBytes: 0, rssBytes: rssMiB * MIB });

  it('trims once the resident set has grown by a burst and the loop has room, not while it is saturated', () => {
    const policy = new TrimPolicy(options);
    expect(policy.shouldTrim(sample(0, 5, 60))).toBe(false); // baseline
    expect(policy.shouldTrim(sample(500, 400, 95))).toBe(false); // a transfer keeps the loop busy
    expect(policy.shouldTrim(sample(1000, 300, 95))).toBe(false);
    expect(policy.shouldTrim(sample(1500, 120, 95))).toBe(true); // it ended (other traffic may go on)
    policy.trimmed(sample(1510, 0, 66));
    expect(policy.shouldTrim(sample(2000, 5, 80))).toBe(false); // 14 MiB over the new baseline
    expect(policy.shouldTrim(sample(2500, 5, 90))).toBe(false); // within minIntervalMs
    expect(policy.shouldTrim(sample(3600, 5, 90))).toBe(true);
  });
});

describe('trimMemoryNow', () => {
  it('runs a scavenge (and the C heap trim) at run time, without --expose-gc on the command line', async () => {
    const { getHeapSpaceStatistics } = await import('node:v8');
    const youngInUse = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_used_size;
    // The native heap addon is built by `npm ci`; without it there is no trim to run.
    const { nativeHeap } = await import('../../engine/native/heap.js');
    const garbage: object[] = [];
    while (youngInUse() < 512 * 1024) garbage.push({ filler: garbage.length });
    garbage.length = 0;
    const before = youngInUse();
    expect(trimMemoryNow()).toBe(nativeHeap !== undefined);
    if (nativeHeap) expect(youngInUse()).toBeLessThan(before / 4);
  });
});

describe('reduceMemoryNow', () => {
  it('runs a memory-reducing GC that shrinks a grown new space', async () => {
    const kept: object[][] = [];
    for (let round = 0; round < 40; round++) {
      const batch: object[] = [];
      for (let i = 0; i < 20000; i++) batch.push({ round, i });
      kept.push(batch);
      if (kept.length > 4) kept.shift();
    }
    const grown = newSpaceSize();
    kept.length = 0;
    expect(await reduceMemoryNow()).toBe(true);
    expect(newSpaceSize()).toBeLessThan(grown);
  });
});

describe('startIdleMemoryReducer', () => {
  const never = { busyBelowShare: 0, growthBytes: Infinity, minIntervalMs: 0 };

  it('calls the reduction when the process is quiet and its heap has grown', async () => {
    const reduce = vi.fn(() => Promise.resolve(true));
    const stop = startIdleMemoryReducer({ reducer: { quietBusyShare: 1, quietForMs: 0, growthBytes: 0, minIntervalMs: 0 }, everyMs: 5, reduceNow: reduce, trimNow: () => true, trim: never });
    try {
      await vi.waitFor(() => expect(reduce).toHaveBeenCalled(), { timeout: 2000 });
    } finally {
      stop();
    }
  });

  it('calls the trim when the resident set has grown and the loop has room, and stops asking where it cannot', async () => {
    const reduce = vi.fn(() => Promise.resolve(true));
    const trim = vi.fn(() => false);
    const quietNever = { quietBusyShare: 0, quietForMs: 0, growthBytes: 0, minIntervalMs: 0 };
    const stop = startIdleMemoryReducer({ reducer: quietNever, everyMs: 5, reduceNow: reduce, trimNow: trim, trim: { busyBelowShare: 1, growthBytes: -1, minIntervalMs: 0 } });
    try {
      await vi.waitFor(() => expect(trim).toHaveBeenCalled(), { timeout: 2000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(trim).toHaveBeenCalledTimes(1); // it returned false: no trim in this build
      expect(reduce).not.toHaveBeenCalled();
    } finally {
      stop();
    }
  });

  it('keeps sampling when the resident set cannot be read (EMFILE: the process is out of file descriptors)', async () => {
    const emfile = Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE', syscall: 'uv_resident_set_memory' });
    const rss = vi.spyOn(process.memoryUsage, 'rss').mockImplementation(() => { throw emfile; });
    const trim = vi.fn(() => true);
    const quietNever = { quietBusyShare: 0, quietForMs: 0, growthBytes: 0, minIntervalMs: 0 };
    const stop = startIdleMemoryReducer({ reducer: quietNever, everyMs: 5, reduceNow: () => Promise.resolve(true), trimNow: trim, trim: { busyBelowShare: 1, growthBytes: -1, minIntervalMs: 0 } });
    try {
      await vi.waitFor(() => expect(trim.mock.calls.length).toBeGreaterThanOrEqual(3), { timeout: 2000 });
      expect(rss).toHaveBeenCalled();
    } finally {
      stop();
      rss.mockRestore();
    }
  });

  it('keeps sampling after a reduction that throws', async () => {
    const reduce = vi.fn((): Promise<boolean> => { throw new Error('inspector gone'); });
    const stop = startIdleMemoryReducer({ reducer: { quietBusyShare: 1, quietForMs: 0, growthBytes: 0, minIntervalMs: 0 }, everyMs: 5, reduceNow: reduce, trimNow: () => true, trim: never });
    try {
      await vi.waitFor(() => expect(reduce.mock.calls.length).toBeGreaterThanOrEqual(2), { timeout: 2000 });
    } finally {
      stop();
    }
  });
});
