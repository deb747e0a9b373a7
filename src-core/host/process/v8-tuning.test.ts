import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { trafficV8Flags } from './v8-tuning.js';

const TRAFFIC_V8_FLAGS = trafficV8Flags();
const hasInterruptBudget = TRAFFIC_V8_FLAGS.some((flag) => flag.startsWith('--interrupt-budget'));

/** Runs `script` as an ES module in a child that first sets `flags` at run time; returns its stdout. */
function runWithFlagsSetAtRunTime(flags: readonly string[], script: string, nodeArgs: string[] = []): string {
  const prelude = `
    const { setFlagsFromString } = await import('node:v8');
    for (const flag of ${JSON.stringify(flags)}) setFlagsFromString(flag);
  `;
  const child = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', prelude + script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(child.status, child.stderr).toBe(0);
  return child.stdout;
}

/** How many incremental marking cycles a child starts while its old generation grows well past V8's thresholds. */
function markingCyclesStarted(flags: readonly string[]): number {
  const script = `
    const kept = [];
    for (let round = 0; round < 40; round++) {
      const batch = [];
      for (let i = 0; i < 20000; i++) batch.push({ round, i, text: 'x'.repeat(i % 64) });
      kept.push(batch);
      if (kept.length > 8) kept.shift();
      await new Promise((resolve) => setImmediate(resolve));
    }
  `;
  const output = runWithFlagsSetAtRunTime(flags, script, ['--trace-incremental-marking']);
  return (output.match(/\[IncrementalMarking\] Start \(/g) ?? []).length;
}

/** Calls a small function until V8 marks it for optimization (or optimizes it); returns the number of calls. */
function callsUntilOptimized(flags: readonly string[]): number {
  const script = `
    const hot = new Function('a', 'b', 'let s = 0; for (let i = 0; i < 8; i++) s += (a * i) ^ b; return s;');
    const status = new Function('f', 'return %GetOptimizationStatus(f)');
    // V8's OptimizationStatus bits: optimized, Maglev, TurboFan, marked (also for concurrent), optimizing concurrently.
    const OPTIMIZING = 16 | 32 | 64 | 256 | 512 | 1024;
    let calls = 1;
    for (; calls < 1e6; calls++) { hot(calls, 3); if (status(hot) & OPTIMIZING) break; }
    console.log(JSON.stringify({ calls }));
  `;
  return (JSON.parse(runWithFlagsSetAtRunTime(flags, script, ['--allow-natives-syntax'])) as { calls: number }).calls;
}

describe('tuneV8ForTraffic', () => {
  it('stops V8 from starting incremental marking cycles, which it otherwise does on a growing heap', () => {
    expect(markingCyclesStarted([])).toBeGreaterThan(0);
    expect(markingCyclesStarted(TRAFFIC_V8_FLAGS)).toBe(0);
  });

  it('asks each V8 only for flags it knows (V8 12 and later reject --interrupt-budget)', () => {
    expect(trafficV8Flags('11.3.244.8-node.30')).toEqual(['--no-incremental-marking', '--interrupt-budget=16000']);
    expect(trafficV8Flags('13.6.233.17-node.63')).toEqual(['--no-incremental-marking', '--external-memory-accounted-in-global-limit']);
    expect(trafficV8Flags('12.4.254.21-node.33')).toEqual(['--no-incremental-marking']);
    expect(trafficV8Flags('14.4.258.14')).toEqual(['--no-incremental-marking']);
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `const v8 = await import('node:v8'); for (const flag of ${JSON.stringify(TRAFFIC_V8_FLAGS)}) v8.setFlagsFromString(flag);`], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
  });

  it.runIf(hasInterruptBudget)('relies on V8 reading the interrupt budget at run time: hot code is optimized after far fewer calls', () => {
    const untuned = callsUntilOptimized([]);
    const tuned = callsUntilOptimized(TRAFFIC_V8_FLAGS);
    expect(untuned).toBeLessThan(1e6);
    expect(tuned * 2).toBeLessThan(untuned);
  });
});
