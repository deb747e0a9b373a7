import { describe, expect, it } from 'vitest';
import { pollUntilSettled, SettledAsFailed, type Settled } from './acme-poll.js';

const QUICK = { minMs: 1, maxMs: 4, attempts: 5 };

/** A resource that answers `states` in turn (the last one for good); a state 'throw' fails the fetch. */
function resource(states: string[]): { fetch: () => Promise<string>; fetches: () => number } {
  let count = 0;
  return {
    fetch: async () => {
      const state = states[Math.min(count, states.length - 1)]!;
      count += 1;
      if (state === 'throw') throw new Error('the CA hiccuped');
      return state;
    },
    fetches: () => count,
  };
}

function judge(state: string): Settled<string> {
  if (state === 'valid') return { done: 'issued' };
  if (state === 'invalid') return { failed: 'the CA said no' };
  return 'pending';
}

describe('pollUntilSettled', () => {
  it('waits through pending answers and a failed fetch until the resource is done', async () => {
    const polled = resource(['pending', 'throw', 'pending', 'valid']);
    await expect(pollUntilSettled(polled.fetch, judge, QUICK, new AbortController().signal)).resolves.toBe('issued');
    expect(polled.fetches()).toBe(4);
  });

  it('stops at the first invalid answer with the reason', async () => {
    const polled = resource(['pending', 'invalid', 'valid']);
    const settled = pollUntilSettled(polled.fetch, judge, QUICK, new AbortController().signal);
    await expect(settled).rejects.toThrow(SettledAsFailed);
    await expect(settled).rejects.toThrow('the CA said no');
    expect(polled.fetches()).toBe(2);
  });

  it('gives up after its attempts, naming the last problem', async () => {
    const pending = resource(['pending']);
    await expect(pollUntilSettled(pending.fetch, judge, QUICK, new AbortController().signal)).rejects.toThrow('gave up after 5 tries: it stayed pending');
    expect(pending.fetches()).toBe(5);
    const failing = resource(['throw']);
    await expect(pollUntilSettled(failing.fetch, judge, QUICK, new AbortController().signal)).rejects.toThrow('gave up after 5 tries: the CA hiccuped');
  });

  it('an abort ends a long wait at once', async () => {
    const aborter = new AbortController();
    const polled = resource(['pending']);
    // A minute between fetches: the test can only pass if the abort cuts the wait short.
    const settled = pollUntilSettled(async () => {
      const state = await polled.fetch();
      setImmediate(() => aborter.abort());
      return state;
    }, judge, { minMs: 60_000, maxMs: 60_000, attempts: 3 }, aborter.signal);
    await expect(settled).rejects.toMatchObject({ name: 'AbortError' });
    expect(polled.fetches()).toBe(1);
  });

  it('an aborted fetch is not tried again', async () => {
    const aborter = new AbortController();
    let fetches = 0;
    const settled = pollUntilSettled(async () => {
      fetches += 1;
      aborter.abort();
      throw new Error('cancelled: Porthole is stopping');
    }, judge, QUICK, aborter.signal);
    await expect(settled).rejects.toThrow('cancelled: Porthole is stopping');
    expect(fetches).toBe(1);
  });
});
