import { describe, expect, it } from 'vitest';
import { DefaultConnectionStats } from './connection-stats.js';

function entry(id: number) {
  return { id, inboundTag: 'in', outboundTag: 'out', source: '127.0.0.1:1', target: 'tcp:127.0.0.1:80', startedAt: 0, counters: { up: id, down: 2 * id }, abort: () => {} };
}

describe('DefaultConnectionStats', () => {
  it('lists open connections, then recently closed ones until they expire', () => {
    const stats = new DefaultConnectionStats(60_000, 3);
    const handles = [1, 2, 3, 4, 5].map((id) => stats.track(entry(id)));
    for (const handle of handles.slice(0, 4)) handle.done();
    const rows = stats.snapshot();
    expect(rows.map((row) => [row.id, row.closedAt === undefined])).toEqual([[5, true], [2, false], [3, false], [4, false]]);
    expect(stats.openCount).toBe(1);
    expect(stats.snapshot(Date.now() + 61_000).map((row) => row.id)).toEqual([5]);
  });

  it('keeps no closed connections when asked to keep none (a headless engine)', () => {
    const stats = new DefaultConnectionStats(0, 0);
    const handles = [1, 2, 3].map((id) => stats.track(entry(id)));
    handles[0]!.done();
    handles[1]!.done();
    expect(stats.snapshot().map((row) => row.id)).toEqual([3]);
    expect(stats.openCount).toBe(1);
  });

  it('aborts an open connection by id', () => {
    const stats = new DefaultConnectionStats();
    let aborted = false;
    stats.track({ ...entry(7), abort: () => { aborted = true; } });
    expect(stats.abort(7)).toBe(true);
    expect(aborted).toBe(true);
    expect(stats.abort(8)).toBe(false);
  });
});
