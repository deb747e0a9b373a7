import { describe, expect, it } from 'vitest';
import { DefaultPolicyManager } from '../policy/default-policy.js';

const DEFAULT_LEVEL_POLICY = new DefaultPolicyManager().forLevel(0);
import { IdleWatch, type WatchedConnection } from './idle-watch.js';

function fakeConnection(overrides: Partial<WatchedConnection> = {}) {
  const aborted: string[] = [];
  const connection: WatchedConnection = {
    counters: { up: 0, down: 0 },
    policy: { ...DEFAULT_LEVEL_POLICY, connectionIdleMs: 10_000, downlinkOnlyMs: 2_000, uplinkOnlyMs: 3_000 },
    uplinkEnded: () => false,
    downlinkEnded: () => false,
    abort: (reason) => aborted.push(reason),
    ...overrides,
  };
  return { connection, aborted };
}

describe('IdleWatch', () => {
  it('aborts a connection idle for connIdle, not one that moves', () => {
    let now = 0;
    const watch = new IdleWatch(() => now);
    const idle = fakeConnection();
    const busy = fakeConnection();
    watch.add(idle.connection);
    watch.add(busy.connection);
    for (now = 1000; now <= 10_000; now += 1000) {
      busy.connection.counters.up += 1;
      watch.sweep();
    }
    expect(idle.aborted).toEqual(['connIdle timeout: no traffic for 10 s']);
    expect(busy.aborted).toEqual([]);
    watch.dispose();
  });

  it('uses downlinkOnly once the uplink has ended', () => {
    let now = 0;
    const watch = new IdleWatch(() => now);
    const halfClosed = fakeConnection({ uplinkEnded: () => true });
    watch.add(halfClosed.connection);
    now = 2000;
    watch.sweep();
    expect(halfClosed.aborted).toEqual(['downlinkOnly timeout: no traffic for 2 s']);
    watch.dispose();
  });
});
