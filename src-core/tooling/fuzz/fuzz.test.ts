/**
 * Every fuzz target for a few hundred inputs (the long campaign is `npm run fuzz`), plus the
 * campaign's own plumbing: run planning and failure reports that replay.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PortholeError } from '../../engine/common/errors.js';
import { planRuns } from './campaign.js';
import { FuzzViolation, guard, splitBytes } from './bytes.js';
import { replay, runTarget } from './runner.js';
import { defineTarget } from './target.js';
import { targets } from './targets.js';

describe('fuzz targets (short runs; `npm run fuzz` runs 1,000,000 inputs)', () => {
  test.each(targets.map((target) => [target.name, target] as const))('%s', (_name, target) => {
    fc.assert(
      fc.property(target.arbitrary, (input) => {
        target.run(input);
      }),
      { numRuns: target.testRuns },
    );
  });

  test('every target has a unique name, a summary and a positive weight', () => {
    expect(new Set(targets.map((target) => target.name)).size).toBe(targets.length);
    for (const target of targets) expect(target.summary.length > 0 && target.weight > 0 && target.testRuns > 0).toBe(true);
  });
});

describe('fuzz plumbing', () => {
  test('planRuns shares the total out by weight, exactly', () => {
    const plan = planRuns(
      [
        { name: 'a', weight: 3 },
        { name: 'b', weight: 1 },
        { name: 'c', weight: 2 },
      ],
      1_000_001,
    );
    expect([...plan.values()].reduce((sum, runs) => sum + runs, 0)).toBe(1_000_001);
    expect(plan.get('a')).toBeGreaterThan(plan.get('c')!);
    expect(planRuns([{ name: 'a', weight: 1 }, { name: 'b', weight: 1000 }], 10).get('a')).toBeGreaterThanOrEqual(1);
    expect([...planRuns(targets, 1_000_000).values()].reduce((sum, runs) => sum + runs, 0)).toBe(1_000_000);
  });

  test('guard passes allowed PortholeErrors through and turns anything else into a violation', () => {
    expect(guard('x', ['PH_MUX_BAD_FRAME'], () => 1)).toEqual({ ok: true, value: 1 });
    expect(guard('x', ['PH_MUX_BAD_FRAME'], () => { throw new PortholeError('PH_MUX_BAD_FRAME', 'bad'); }).ok).toBe(false);
    expect(() => guard('x', ['PH_MUX_BAD_FRAME'], () => { throw new PortholeError('PH_VMESS_BAD_CHUNK', 'bad'); })).toThrow(FuzzViolation);
    expect(() => guard('x', ['PH_MUX_BAD_FRAME'], () => { throw new RangeError('offset out of range'); })).toThrow(/RangeError/);
    expect(() => guard('x', [], () => { throw new PortholeError('PH_MUX_BAD_FRAME', 'bad'); })).toThrow(/must never throw/);
  });

  test('splitBytes always covers the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat({ max: 400 }), { maxLength: 8 }), fc.integer({ min: 1, max: 9 }), (bytes, sizes, size) => {
        const buffer = Buffer.from(bytes);
        expect(Buffer.concat(splitBytes(buffer, { kind: 'sizes', sizes }))).toEqual(buffer);
        expect(Buffer.concat(splitBytes(buffer, { kind: 'every', size }))).toEqual(buffer);
      }),
    );
  });

  test('a failure is reported with a seed and path that replay it', () => {
    // A "decoder" that throws a TypeError on inputs with a byte over 200 at an even index.
    const buggy = defineTarget<Uint8Array>({
      name: 'buggy',
      summary: 'test double',
      weight: 1,
      testRuns: 1,
      arbitrary: fc.uint8Array({ maxLength: 20 }),
      run(bytes) {
        const bad = bytes.findIndex((byte, index) => byte > 200 && index % 2 === 0);
        if (bad >= 0) guard('decoder', [], () => { throw new TypeError(`byte ${bad}`); });
        return bytes.length === 0 ? 'empty' : 'ok';
      },
    });
    const report = runTarget(buggy, { runs: 5000, seed: 42, batchSize: 1000, maxFailures: 1 });
    expect(report.failures).toHaveLength(1);
    const [failure] = report.failures;
    expect(failure!.error).toMatch(/decoder must never throw, but threw TypeError: byte 0/);
    expect(failure!.counterexample).toBe('Uint8Array.from([201])');
    expect(report.inputs).toBeLessThan(5000);
    expect(Object.values(report.outcomes).reduce((sum, n) => sum + n, 0)).toBe(report.inputs - 1);
    const again = replay(buggy, failure!.seed, failure!.path);
    expect(again).toMatchObject({ failed: true, input: 'Uint8Array.from([201])' });
  });

  test('a passing target reports inputs and outcome counts', () => {
    const report = runTarget(targets.find((target) => target.name === 'mux-flow-message')!, { runs: 300, seed: 7, batchSize: 100 });
    expect(report.failures).toEqual([]);
    expect(report.inputs).toBe(300);
    expect(Object.values(report.outcomes).reduce((sum, n) => sum + n, 0)).toBe(300);
  });
});
