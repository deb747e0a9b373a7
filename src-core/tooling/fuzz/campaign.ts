/**
 * `npm run fuzz`: a long fuzz campaign over every target in targets.ts (1,000,000 inputs in all by
 * default), outside CI. Each target runs in a worker thread, so an input that hangs or exhausts
 * memory is reported (with the seed and path that replay it) instead of stopping the campaign.
 *
 * Environment:
 *   FUZZ_RUNS          total inputs over all targets, shared out by target weight (default 1000000)
 *   FUZZ_TARGETS       comma-separated target names or name prefixes (default: all)
 *   FUZZ_SEED          base seed (default: random, printed; the same seed, runs and batch repeat a campaign)
 *   FUZZ_JOBS          targets fuzzed in parallel (default: available CPUs)
 *   FUZZ_BATCH         inputs per fast-check seed (default 2000)
 *   FUZZ_HANG_MS       one input running longer than this is a hang (default 30000)
 *   FUZZ_MAX_FAILURES  distinct failures after which a target stops (default 3)
 *   FUZZ_REPORT        also write the summary as JSON to this file
 *   FUZZ_REPLAY        target:seed:path — run that single input, print it and its outcome, and exit
 *
 * Exit status: 0 when no target failed, 1 otherwise (2 for bad settings).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { addFailure, batchSeed, DEFAULT_BATCH, emptyReport, replay, targetSeed, type FailureReport, type TargetReport } from './runner.js';
import { findTarget, targets, type FuzzTarget } from './targets.js';
import type { WorkerInput, WorkerMessage } from './worker.js';

export const DEFAULT_RUNS = 1_000_000;

export interface CampaignConfig {
  readonly runs: number;
  readonly targets: readonly FuzzTarget<unknown>[];
  readonly seed: number;
  readonly jobs: number;
  readonly batchSize: number;
  readonly hangMs: number;
  readonly maxFailures: number;
  readonly reportFile: string | undefined;
  readonly replay: { readonly target: FuzzTarget<unknown>; readonly seed: number; readonly path: string } | undefined;
}

class SettingError extends Error {}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]?.replace(/_/g, '');
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new SettingError(`${name} must be a positive integer, not ${env[name]}`);
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv): CampaignConfig {
  const names = (env.FUZZ_TARGETS ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  const selected = names.length === 0 ? targets : targets.filter((target) => names.some((name) => target.name === name || target.name.startsWith(name)));
  if (selected.length === 0) throw new SettingError(`FUZZ_TARGETS matches no target; targets: ${targets.map((t) => t.name).join(', ')}`);
  let replaySpec: CampaignConfig['replay'];
  if (env.FUZZ_REPLAY) {
    const match = /^([^:]+):(-?\d+):([\d:]+)$/.exec(env.FUZZ_REPLAY);
    const target = match ? findTarget(match[1]!) : undefined;
    if (!match || !target) throw new SettingError(`FUZZ_REPLAY must be target:seed:path with a known target, not ${env.FUZZ_REPLAY}`);
    replaySpec = { target, seed: Number(match[2]), path: match[3]! };
  }
  const seedText = env.FUZZ_SEED;
  if (seedText !== undefined && seedText !== '' && !/^-?\d+$/.test(seedText)) throw new SettingError(`FUZZ_SEED must be an integer, not ${seedText}`);
  return {
    runs: positiveInteger(env, 'FUZZ_RUNS', DEFAULT_RUNS),
    targets: selected,
    seed: seedText ? Number(seedText) | 0 : (Date.now() ^ Math.floor(Math.random() * 2 ** 32)) | 0,
    jobs: Math.min(positiveInteger(env, 'FUZZ_JOBS', availableParallelism()), selected.length),
    batchSize: positiveInteger(env, 'FUZZ_BATCH', DEFAULT_BATCH),
    hangMs: positiveInteger(env, 'FUZZ_HANG_MS', 30_000),
    maxFailures: positiveInteger(env, 'FUZZ_MAX_FAILURES', 3),
    reportFile: env.FUZZ_REPORT || undefined,
    replay: replaySpec,
  };
}

/** Shares `total` inputs out by weight (largest remainders get the odd ones); every target gets at least one. */
export function planRuns(selected: readonly Pick<FuzzTarget<unknown>, 'name' | 'weight'>[], total: number): Map<string, number> {
  const weight = selected.reduce((sum, target) => sum + target.weight, 0);
  const exact = selected.map((target) => (total * target.weight) / weight);
  const plan = exact.map((value) => Math.max(1, Math.floor(value)));
  let left = total - plan.reduce((sum, runs) => sum + runs, 0);
  const order = exact.map((value, index) => ({ index, rest: value - Math.floor(value) })).sort((a, b) => b.rest - a.rest);
  for (let i = 0; left > 0; i = (i + 1) % order.length, left--) plan[order[i]!.index]! += 1;
  return new Map(selected.map((target, index) => [target.name, plan[index]!]));
}

const number = (value: number): string => value.toLocaleString('en-US');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Extra time a worker may take before its first input. */
const STARTUP_GRACE_MS = 60_000;

type WorkerEnd = { kind: 'done'; report: TargetReport } | { kind: 'hang' | 'crash'; report: TargetReport; beat: Int32Array; error: string };

/** One worker run; resolves when it finishes, hangs, or dies. */
function runWorker(input: Omit<WorkerInput, 'heartbeat'>, hangMs: number, onProgress: (report: TargetReport) => void): Promise<WorkerEnd> {
  const heartbeat = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  const beat = new Int32Array(heartbeat);
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { ...input, heartbeat } satisfies WorkerInput,
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  let last = input.report;
  return new Promise((resolve) => {
    let settled = false;
    let seen = -1;
    let seenAt = Date.now();
    const finish = (end: WorkerEnd): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve(end);
    };
    const watchdog = setInterval(() => {
      const count = Atomics.load(beat, 3);
      // Loading the modules and building the first input takes a while: the clock starts with it.
      const limit = count === 0 ? hangMs + STARTUP_GRACE_MS : hangMs;
      if (count !== seen) {
        seen = count;
        seenAt = Date.now();
      } else if (Date.now() - seenAt > limit) {
        const snapshot = Int32Array.from(beat);
        void worker.terminate();
        finish({ kind: 'hang', report: last, beat: snapshot, error: `no progress for ${seconds(hangMs)} (one input hangs, or its shrinking never ends)` });
      }
    }, Math.min(1000, hangMs));
    worker.on('message', (message: WorkerMessage) => {
      last = message.report;
      if (message.type === 'done') finish({ kind: 'done', report: message.report });
      else onProgress(message.report);
    });
    worker.on('error', (error) => finish({ kind: 'crash', report: last, beat: Int32Array.from(beat), error: `worker died: ${error.message}` }));
    worker.on('exit', (code) => finish({ kind: 'crash', report: last, beat: Int32Array.from(beat), error: `worker exited with code ${code} before finishing` }));
  });
}

/** Fuzzes one target for `runs` inputs, restarting its worker after a hang or a crash. */
async function fuzzTarget(target: FuzzTarget<unknown>, runs: number, config: CampaignConfig): Promise<TargetReport> {
  const seed = targetSeed(config.seed, target.name);
  let report = emptyReport(target.name);
  let firstBatch = 0;
  let printedTenth = 0;
  const started = Date.now();
  /** One line each time another tenth of the target's inputs is done. */
  const progress = (current: TargetReport): void => {
    const tenth = Math.min(10, Math.floor((10 * current.inputs) / runs));
    if (tenth <= printedTenth) return;
    printedTenth = tenth;
    const rate = current.inputs / Math.max(0.001, current.milliseconds / 1000);
    console.log(
      `[${target.name}] ${String(tenth * 10).padStart(3)}%  ${number(current.inputs)}/${number(runs)} inputs  ${seconds(current.milliseconds)}  ${number(Math.round(rate))}/s  ${current.failures.length} failure(s)`,
    );
  };
  // Each hang or crash restarts the worker after the batch it happened in; give up after maxFailures of them.
  for (let interruptions = 0; report.inputs < runs && report.failures.length < config.maxFailures && interruptions < config.maxFailures; interruptions++) {
    const end = await runWorker(
      { target: target.name, runs: runs - report.inputs, seed, batchSize: config.batchSize, firstBatch, maxFailures: config.maxFailures, report },
      config.hangMs,
      progress,
    );
    report = end.report;
    if (end.kind === 'done') break;
    const [batch = 0, index = 0, shrinking = 0] = end.beat;
    // The inputs of the interrupted batch before the culprit ran fine; their outcome counts are lost.
    report.inputs += shrinking ? 0 : index;
    report.milliseconds = Date.now() - started;
    addFailure(report, {
      target: target.name,
      kind: end.kind,
      seed: batchSeed(seed, batch),
      path: String(index),
      error: shrinking ? `${end.error}, while shrinking a failure found earlier in this batch` : end.error,
    });
    console.log(`[${target.name}] ${end.kind}: ${end.error}; input FUZZ_REPLAY=${target.name}:${batchSeed(seed, batch)}:${index}`);
    firstBatch = Math.max(firstBatch, batch) + 1;
  }
  progress(report);
  return report;
}

function topOutcomes(report: TargetReport, count = 3): string {
  const total = Object.values(report.outcomes).reduce((sum, n) => sum + n, 0) || 1;
  return Object.entries(report.outcomes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([label, n]) => `${label} ${((100 * n) / total).toFixed(0)}%`)
    .join(', ');
}

function printFailure(failure: FailureReport): void {
  console.log(`\n✗ ${failure.target} (${failure.kind}, seen in ${failure.occurrences} batch(es)${failure.shrinks === undefined ? '' : `, ${failure.shrinks} shrinks`})`);
  console.log(`  ${failure.error}`);
  console.log(`  replay: FUZZ_REPLAY=${failure.target}:${failure.seed}:${failure.path} node dist-tooling/src-core/tooling/fuzz/campaign.js`);
  console.log(`      or: fc.check(fc.property(target.arbitrary, target.run), { seed: ${failure.seed}, path: '${failure.path}' })`);
  if (failure.counterexample) console.log(`  input: ${failure.counterexample.slice(0, 800)}${failure.counterexample.length > 800 ? '…' : ''}`);
}

export async function runCampaign(config: CampaignConfig): Promise<TargetReport[]> {
  const plan = planRuns(config.targets, config.runs);
  console.log(
    `fuzz campaign: ${number(config.runs)} inputs over ${config.targets.length} targets, ${config.jobs} in parallel, seed ${config.seed} (FUZZ_SEED=${config.seed} repeats it)`,
  );
  for (const target of config.targets) console.log(`  ${target.name.padEnd(30)} ${number(plan.get(target.name)!).padStart(9)}  ${target.summary}`);
  const started = Date.now();
  const queue = [...config.targets];
  const reports = new Map<string, TargetReport>();
  const lane = async (): Promise<void> => {
    for (let target = queue.shift(); target; target = queue.shift()) reports.set(target.name, await fuzzTarget(target, plan.get(target.name)!, config));
  };
  await Promise.all(Array.from({ length: config.jobs }, lane));
  const wall = Date.now() - started;
  const ordered = config.targets.map((target) => reports.get(target.name)!);

  console.log('\nsummary');
  console.log(`  ${'target'.padEnd(30)} ${'inputs'.padStart(10)} ${'time'.padStart(9)} ${'inputs/s'.padStart(9)} ${'failures'.padStart(8)}  outcomes`);
  for (const report of ordered) {
    const rate = report.inputs / Math.max(0.001, report.milliseconds / 1000);
    console.log(
      `  ${report.target.padEnd(30)} ${number(report.inputs).padStart(10)} ${seconds(report.milliseconds).padStart(9)} ${number(Math.round(rate)).padStart(9)} ${String(report.failures.length).padStart(8)}  ${topOutcomes(report)}`,
    );
  }
  const inputs = ordered.reduce((sum, report) => sum + report.inputs, 0);
  const failures = ordered.flatMap((report) => report.failures);
  const busy = ordered.reduce((sum, report) => sum + report.milliseconds, 0);
  console.log(`  ${'total'.padEnd(30)} ${number(inputs).padStart(10)} ${seconds(busy).padStart(9)}  (wall clock ${seconds(wall)}, seed ${config.seed})`);
  const known = ordered.flatMap((report) =>
    Object.entries(report.outcomes)
      .filter(([label]) => label.startsWith('known-issue:'))
      .map(([label, count]) => `${label.slice('known-issue:'.length)} ×${number(count)} (${report.target})`),
  );
  if (known.length > 0) console.log(`\nknown issues hit (see src-core/tooling/fuzz/known-issues.ts): ${known.join(', ')}`);
  for (const failure of failures) printFailure(failure);
  console.log(failures.length === 0 ? `\nno failures in ${number(inputs)} inputs` : `\n${failures.length} failure(s)`);
  if (config.reportFile) {
    writeFileSync(config.reportFile, `${JSON.stringify({ seed: config.seed, runs: config.runs, batchSize: config.batchSize, wallMilliseconds: wall, inputs, reports: ordered }, null, 2)}\n`);
  }
  return ordered;
}

async function main(): Promise<void> {
  let config: CampaignConfig;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    console.error(`fuzz: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  if (config.replay) {
    const { target, seed, path } = config.replay;
    const result = replay(target, seed, path);
    console.log(`${target.name} seed ${seed} path ${path}: ${result.failed ? `FAILS\n  ${result.error}` : `passes (${result.label})`}\n  input: ${result.input}`);
    process.exitCode = result.failed ? 1 : 0;
    return;
  }
  const reports = await runCampaign(config);
  process.exitCode = reports.some((report) => report.failures.length > 0) ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
