/** The traffic slice keeps its history across engine runs and marks each start once. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EngineSnapshot, EngineStatus } from '../../src-core/host/api/index.js';
import { fakeService } from './fake-service.test-support.js';
import { setEngineService } from './service.js';
import { resetAppStore, useAppStore } from './store.js';
import { mergeMarks } from './traffic.js';

function snapshot(seq: number, status: Partial<EngineStatus>): EngineSnapshot {
  return {
    seq, time: seq * 1000,
    status: { state: 'running', profile: 'a', since: 0, error: null, listening: [], ...status },
    totals: { bytesUp: 0, bytesDown: 0, upRate: 0, downRate: seq, openConnections: 0 },
    point: { time: seq * 1000, upRate: 0, downRate: seq },
    tags: [], bridges: [], portals: [], connections: [], exposures: [], exposuresPaused: false,
  };
}

beforeEach(() => {
  resetAppStore();
  setEngineService(undefined);
});

describe('traffic slice across engine runs', () => {
  const history = (marks: { time: number; profile: string | null }[]) => ({ window: '5m', stepMs: 1000, total: { tag: null, direction: null, points: [] }, tags: [], marks });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('keeps every point through a stop and a profile switch, and takes the starts from the service when the run changes', async () => {
    const { service, calls } = fakeService({ getTrafficHistory: history([{ time: 3390, profile: 'b' }]) });
    setEngineService(service);
    const apply = (seq: number, status: Partial<EngineStatus>) => useAppStore.getState().applyTrafficSnapshot(snapshot(seq, status));
    apply(1, { since: 500 });
    apply(2, { since: 500 });
    await settle();
    const before = calls.length;
    apply(3, { state: 'stopped', since: 2500 });
    apply(4, { profile: 'b', since: 3400 });
    apply(5, { profile: 'b', since: 3400 });
    await settle();
    const { total, trafficMarks } = useAppStore.getState();
    expect({ before, asked: calls.length, points: total.length, marks: trafficMarks }).toEqual({ before: 0, asked: 2, points: 5, marks: [{ time: 3390, profile: 'b' }] });
  });

  it('asks for the starts even when a stop and a start fall between two snapshots', async () => {
    const { service, calls } = fakeService({ getTrafficHistory: history([{ time: 1500, profile: 'b' }]) });
    setEngineService(service);
    useAppStore.getState().applyTrafficSnapshot(snapshot(1, { since: 500 }));
    useAppStore.getState().applyTrafficSnapshot(snapshot(2, { profile: 'b', since: 1600 }));
    await settle();
    expect({ asked: calls.map(([method]) => method), marks: useAppStore.getState().trafficMarks }).toEqual({ asked: ['getTrafficHistory'], marks: [{ time: 1500, profile: 'b' }] });
  });

  it('keeps each start once, however often the history repeats it, and quick restarts apart', () => {
    const a = { time: 1000, profile: 'a' };
    const b1 = { time: 1200, profile: 'b' };
    const b2 = { time: 1300, profile: 'b' };
    expect(mergeMarks([a, b1], [a, b1, b2])).toEqual([a, b1, b2]);
  });
});
