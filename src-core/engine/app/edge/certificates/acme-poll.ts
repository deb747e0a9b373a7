/**
 * Waiting for an ACME resource (an authorization, an order) to settle, as RFC 8555 section 7.5.1
 * asks: fetch, and while it is pending, wait longer each time. Written here rather than taken from
 * acme-client's `waitForValidStatus` because an abort must end the wait at once: that loop retries
 * a cancelled request after each of its sleeps, which held a stop for up to two minutes.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollSchedule {
  /** The first wait; each next one doubles, up to `maxMs`. */
  readonly minMs: number;
  readonly maxMs: number;
  /** Fetches in all, failed ones included, before giving up. */
  readonly attempts: number;
}

export type Settled<T> = { done: T } | { failed: string } | 'pending';

/**
 * Calls `fetch` and `judge`s each answer until it is done or failed. A fetch that throws is tried
 * again (a CA's passing hiccup) until the attempts are spent; an abort rejects at once.
 */
export async function pollUntilSettled<T, R>(fetch: () => Promise<T>, judge: (item: T) => Settled<R>, schedule: PollSchedule, signal: AbortSignal): Promise<R> {
  let wait = schedule.minMs;
  let lastProblem: string;
  for (let attempt = 1; ; attempt += 1) {
    signal.throwIfAborted();
    try {
      const verdict = judge(await fetch());
      if (verdict !== 'pending') {
        if ('failed' in verdict) throw new SettledAsFailed(verdict.failed);
        return verdict.done;
      }
      lastProblem = 'it stayed pending';
    } catch (error) {
      if (error instanceof SettledAsFailed || signal.aborted) throw error;
      lastProblem = (error as Error).message;
    }
    if (attempt >= schedule.attempts) throw new Error(`gave up after ${attempt} tries: ${lastProblem}`);
    await sleep(wait, undefined, { signal });
    wait = Math.min(wait * 2, schedule.maxMs);
  }
}

/** The resource settled as invalid: no use asking again. */
export class SettledAsFailed extends Error {}
