/**
 * Worker thread of the fuzz campaign (campaign.ts): runs one target and reports after each batch.
 * Before each input it stores (batch, index, shrinking, counter) in the shared heartbeat, so the
 * campaign can name the input that hangs or kills the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTarget, type TargetReport } from './runner.js';
import { findTarget } from './targets.js';

export interface WorkerInput {
  readonly target: string;
  readonly runs: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly firstBatch: number;
  readonly maxFailures: number;
  /** Int32 × 4: batch, index, shrinking (0/1), inputs started. */
  readonly heartbeat: SharedArrayBuffer;
  readonly report: TargetReport;
}

export type WorkerMessage = { readonly type: 'progress' | 'done'; readonly report: TargetReport };

const port = parentPort;
if (port) {
  const input = workerData as WorkerInput;
  const target = findTarget(input.target);
  if (!target) throw new Error(`unknown fuzz target ${input.target}`);
  const beat = new Int32Array(input.heartbeat);
  const report = runTarget(
    target,
    {
      runs: input.runs,
      seed: input.seed,
      batchSize: input.batchSize,
      firstBatch: input.firstBatch,
      maxFailures: input.maxFailures,
      onInput(batch, index, shrinking) {
        Atomics.store(beat, 0, batch);
        Atomics.store(beat, 1, index);
        Atomics.store(beat, 2, shrinking ? 1 : 0);
        Atomics.add(beat, 3, 1);
      },
      onBatch(progress) {
        port.postMessage({ type: 'progress', report: progress } satisfies WorkerMessage);
      },
    },
    input.report,
  );
  port.postMessage({ type: 'done', report } satisfies WorkerMessage);
}
