/**
 * Runs one fuzz target for many inputs, in batches of one fast-check seed each, and collects what
 * a report needs: inputs run, outcome counts, and failures with the seed and path that replay them
 * (`fc.check(property, { seed, path })`, or `FUZZ_REPLAY=target:seed:path npm run fuzz`).
 * No vitest here: the campaign runs on plain Node.
 */
import fc from 'fast-check';
import { describeError } from './bytes.js';
import type { FuzzTarget } from './target.js';

export interface FailureReport {
  readonly target: string;
  /** property: the target's check failed; hang: no progress for too long; crash: the worker died (e.g. out of memory). */
  readonly kind: 'property' | 'hang' | 'crash';
  readonly seed: number;
  /** fast-check path of the (shrunk) counterexample; for hangs and crashes, the input that was running. */
  readonly path: string;
  readonly error: string;
  /** The shrunk input, as fast-check prints it (truncated). */
  readonly counterexample?: string;
  readonly shrinks?: number;
  /** How many batches failed with the same error signature. */
  readonly occurrences: number;
}

export interface TargetReport {
  readonly target: string;
  inputs: number;
  milliseconds: number;
  readonly outcomes: Record<string, number>;
  readonly failures: FailureReport[];
}

export interface RunTargetOptions {
  /** Inputs to run (failures end a batch early; shrinking runs are not counted). */
  readonly runs: number;
  /** The target's base seed; batch `b` uses {@link batchSeed}(seed, b). */
  readonly seed: number;
  readonly batchSize?: number;
  /** First batch number (to resume after a hang or crash). */
  readonly firstBatch?: number;
  /** Stop after this many distinct failures. */
  readonly maxFailures?: number;
  /** Called before each input: batch number, index in the batch, and whether it is a shrink step. */
  readonly onInput?: (batch: number, index: number, shrinking: boolean) => void;
  /** Called after each batch with the report so far. */
  readonly onBatch?: (report: TargetReport) => void;
}

export const DEFAULT_BATCH = 2000;
const COUNTEREXAMPLE_CHARS = 3000;

/** The fast-check seed of batch `batch` of a target whose base seed is `seed` (a signed 32-bit integer). */
export function batchSeed(seed: number, batch: number): number {
  return (seed + Math.imul(batch, 0x9e3779b9)) | 0;
}

/** A stable per-target seed, so a campaign's target seeds do not depend on which targets run. */
export function targetSeed(baseSeed: number, name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return (baseSeed ^ hash) | 0;
}

/** Same failure, different input: numbers stripped from the first line of the message. */
function signature(error: string): string {
  return (error.split('\n')[0] ?? '').replace(/[0-9]+/g, '#').slice(0, 160);
}

export function emptyReport(target: string): TargetReport {
  return { target, inputs: 0, milliseconds: 0, outcomes: {}, failures: [] };
}

/** Adds a failure, or counts it again when one with the same signature is already there. */
export function addFailure(report: TargetReport, failure: Omit<FailureReport, 'occurrences'>): void {
  const existing = report.failures.findIndex((known) => known.kind === failure.kind && signature(known.error) === signature(failure.error));
  if (existing < 0) report.failures.push({ ...failure, occurrences: 1 });
  else report.failures[existing] = { ...report.failures[existing]!, occurrences: report.failures[existing]!.occurrences + 1 };
}

export function runTarget(target: FuzzTarget<unknown>, options: RunTargetOptions, report: TargetReport = emptyReport(target.name)): TargetReport {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const maxFailures = options.maxFailures ?? 3;
  const started = performance.now();
  const baseMilliseconds = report.milliseconds;
  let remaining = options.runs;
  for (let batch = options.firstBatch ?? 0; remaining > 0 && report.failures.length < maxFailures; batch++) {
    const seed = batchSeed(options.seed, batch);
    let index = 0;
    let failed = false;
    const property = fc.property(target.arbitrary, (input) => {
      options.onInput?.(batch, index, failed);
      if (failed) return target.run(input) !== undefined;
      index += 1;
      try {
        const label = target.run(input);
        report.outcomes[label] = (report.outcomes[label] ?? 0) + 1;
        return true;
      } catch (error) {
        failed = true;
        throw error;
      }
    });
    const runs = Math.min(batchSize, remaining);
    const details = fc.check(property, { seed, numRuns: runs });
    const ran = details.failed ? index : runs;
    report.inputs += ran;
    remaining -= ran;
    if (details.failed) {
      addFailure(report, {
        target: target.name,
        kind: 'property',
        seed,
        path: details.counterexamplePath ?? String(index - 1),
        error: describeError(details.errorInstance),
        counterexample: fc.stringify(details.counterexample?.[0]).slice(0, COUNTEREXAMPLE_CHARS),
        shrinks: details.numShrinks,
      });
    }
    report.milliseconds = baseMilliseconds + (performance.now() - started);
    options.onBatch?.(report);
  }
  report.milliseconds = baseMilliseconds + (performance.now() - started);
  return report;
}

export interface Replay {
  readonly failed: boolean;
  readonly error?: string;
  readonly input: string;
  readonly label?: string;
}

/** Runs the input at `path` of `seed` once more, without shrinking. */
export function replay(target: FuzzTarget<unknown>, seed: number, path: string): Replay {
  let input: unknown;
  let label: string | undefined;
  const property = fc.property(target.arbitrary, (value) => {
    input = value;
    label = target.run(value);
  });
  const details = fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  const printed = fc.stringify(details.failed ? details.counterexample?.[0] : input).slice(0, COUNTEREXAMPLE_CHARS);
  return details.failed ? { failed: true, error: describeError(details.errorInstance), input: printed } : { failed: false, input: printed, ...(label === undefined ? {} : { label }) };
}
