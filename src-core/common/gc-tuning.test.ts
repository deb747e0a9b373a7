import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TRAFFIC_GC_FLAGS } from './gc-tuning.js';

/**
 * Runs a child that sets the flags at run time (as tuneGarbageCollectorForTraffic does), then grows
 * the old generation well past V8's marking thresholds under --trace-incremental-marking; returns how
 * many incremental marking cycles it started.
 */
function markingCyclesStarted(tuned: boolean): number {
  const script = `
    const { setFlagsFromString } = await import('node:v8');
    for (const flag of ${JSON.stringify(tuned ? TRAFFIC_GC_FLAGS : [])}) setFlagsFromString(flag);
    const kept = [];
    for (let round = 0; round < 40; round++) {
      const batch = [];
      for (let i = 0; i < 20000; i++) batch.push({ round, i, text: 'x'.repeat(i % 64) });
      kept.push(batch);
      if (kept.length > 8) kept.shift();
      await new Promise((resolve) => setImmediate(resolve));
    }
  `;
  const child = spawnSync(process.execPath, ['--trace-incremental-marking', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(child.status, child.stderr).toBe(0);
  return (child.stdout.match(/\[IncrementalMarking\] Start \(/g) ?? []).length;
}

describe('tuneGarbageCollectorForTraffic', () => {
  it('stops V8 from starting incremental marking cycles, which it otherwise does on a growing heap', () => {
    expect(markingCyclesStarted(false)).toBeGreaterThan(0);
    expect(markingCyclesStarted(true)).toBe(0);
  });
});
