import { describe, expect, it } from 'vitest';
import type { ConnectionSnapshot } from '../../engine/features/stats.js';
import { Ring } from './ring.js';
import { HOUR_STEP_MS, SECOND_POINTS, TrafficSampler } from './traffic-sampler.js';

function connection(id: number, fields: Partial<ConnectionSnapshot> = {}): ConnectionSnapshot {
  return { id, inboundTag: 'external', outboundTag: 'portal', source: '127.0.0.1:5000', target: 'tcp:127.0.0.1:80', startedAt: 0, bytesUp: 0, bytesDown: 0, ...fields };
}

const noTunnels = () => false;

describe('Ring', () => {
  it('keeps the newest items up to its capacity, oldest first', () => {
    const ring = new Ring<number>(3);
    for (let value = 1; value <= 5; value += 1) ring.push(value);
    expect({ all: ring.toArray(), last2: ring.toArray(2), length: ring.length }).toEqual({ all: [3, 4, 5], last2: [4, 5], length: 3 });
  });
});

describe('TrafficSampler', () => {
  it('turns byte deltas into per-connection, per-tag and total rates', () => {
    const sampler = new TrafficSampler();
    sampler.sample(1000, [connection(1, { bytesUp: 100, bytesDown: 1000 })], noTunnels);
    const second = sampler.sample(3000, [connection(1, { bytesUp: 300, bytesDown: 5000 })], noTunnels);
    expect({
      row: { upRate: second.rows[0]?.upRate, downRate: second.rows[0]?.downRate },
      totals: second.totals,
      point: second.point,
      tags: second.tags.map(({ tag, direction, bytesUp, bytesDown, upRate, downRate, openConnections }) => ({ tag, direction, bytesUp, bytesDown, upRate, downRate, openConnections })),
    }).toEqual({
      row: { upRate: 100, downRate: 2000 },
      totals: { bytesUp: 300, bytesDown: 5000, upRate: 100, downRate: 2000, openConnections: 1 },
      point: { time: 3000, upRate: 100, downRate: 2000 },
      tags: [
        { tag: 'external', direction: 'inbound', bytesUp: 300, bytesDown: 5000, upRate: 100, downRate: 2000, openConnections: 1 },
        { tag: 'portal', direction: 'outbound', bytesUp: 300, bytesDown: 5000, upRate: 100, downRate: 2000, openConnections: 1 },
      ],
    });
  });

  it('counts tunnel links for their tags but not in the total, and marks their rows', () => {
    const sampler = new TrafficSampler();
    const isTunnel = (item: ConnectionSnapshot) => item.target === 'tcp:test.v2ray.com:0';
    const result = sampler.sample(1000, [
      connection(1, { inboundTag: 'interconn', target: 'tcp:test.v2ray.com:0', bytesUp: 500, bytesDown: 500 }),
      connection(2, { bytesUp: 10, bytesDown: 20 }),
    ], isTunnel);
    expect({
      kinds: result.rows.map((row) => row.kind),
      totals: [result.totals.bytesUp, result.totals.bytesDown, result.totals.openConnections],
      portal: result.tags.find((tag) => tag.tag === 'portal')?.bytesUp,
    }).toEqual({ kinds: ['tunnel', 'connection'], totals: [10, 20, 1], portal: 510 });
  });

  it('counts a connection seen on both sides of one process once: open and down on the public side, up on the service side', () => {
    const sampler = new TrafficSampler();
    const roles = { 1: 'public', 2: 'service', 3: 'tunnel', 4: 'user' } as const;
    const result = sampler.sample(1000, [
      connection(1, { inboundTag: 'public', outboundTag: 'portal', bytesUp: 120, bytesDown: 9000 }),
      connection(2, { inboundTag: 'bridge', outboundTag: 'local', bytesUp: 100, bytesDown: 9500 }),
      connection(3, { inboundTag: 'bridge', outboundTag: 'tunnel', target: 'tcp:local.porthole:0', bytesUp: 9600, bytesDown: 130 }),
      connection(4, { inboundTag: 'socks', outboundTag: 'direct', bytesUp: 5, bytesDown: 7 }),
    ], (item) => roles[item.id as 1 | 2 | 3 | 4]);
    expect({
      totals: [result.totals.bytesUp, result.totals.bytesDown, result.totals.openConnections],
      rows: result.rows.map((row) => [row.kind, row.serviceSide ?? false]),
      local: result.tags.find((tag) => tag.tag === 'local')?.bytesDown,
    }).toEqual({
      totals: [105, 9007, 2],
      rows: [['connection', false], ['connection', true], ['tunnel', false], ['connection', false]],
      local: 9500,
    });
  });

  it('counts no byte twice when a counter steps back (up moves from bytes read to bytes written to the service)', () => {
    const sampler = new TrafficSampler();
    sampler.sample(1000, [connection(1, { bytesUp: 500 })], noTunnels);
    const dipped = sampler.sample(2000, [connection(1, { bytesUp: 200 })], noTunnels);
    const grown = sampler.sample(3000, [connection(1, { bytesUp: 800 })], noTunnels);
    expect([dipped.totals.bytesUp, grown.totals.bytesUp, grown.totals.upRate]).toEqual([500, 800, 300]);
  });

  it('counts the last bytes of a connection that closed between samples, then stops its rate', () => {
    const sampler = new TrafficSampler();
    sampler.sample(1000, [connection(1, { bytesDown: 100 })], noTunnels);
    const closed = sampler.sample(2000, [connection(1, { bytesDown: 400, closedAt: 1500 })], noTunnels);
    const later = sampler.sample(3000, [connection(1, { bytesDown: 400, closedAt: 1500 })], noTunnels);
    expect({
      closedTotals: [closed.totals.bytesDown, closed.totals.openConnections],
      closedRow: [closed.rows[0]?.closedAt, closed.rows[0]?.downRate],
      laterTotals: [later.totals.bytesDown, later.totals.downRate],
    }).toEqual({ closedTotals: [400, 0], closedRow: [1500, 0], laterTotals: [400, 0] });
  });

  it('keeps 300 one-second points, and 10-second points for the hour', () => {
    const sampler = new TrafficSampler();
    let bytes = 0;
    for (let second = 0; second < 400; second += 1) {
      bytes += 1000;
      sampler.sample(second * 1000, [connection(1, { bytesDown: bytes })], noTunnels);
    }
    const fiveMinutes = sampler.history('5m');
    const oneMinute = sampler.history('1m');
    const hour = sampler.history('1h');
    expect({
      five: [fiveMinutes.total.points.length, fiveMinutes.stepMs, fiveMinutes.total.points[0]?.time],
      one: [oneMinute.total.points.length, oneMinute.total.points[59]?.time],
      hour: [hour.stepMs, hour.total.points.length, hour.total.points[1]?.time, hour.total.points[1]?.downRate],
      tags: hour.tags.map((series) => [series.tag, series.points.length]),
    }).toEqual({
      five: [SECOND_POINTS, 1000, 100_000],
      one: [60, 399_000],
      // Buckets close when the next one starts: 39 finished buckets of 10 s in 400 s.
      hour: [HOUR_STEP_MS, 39, HOUR_STEP_MS, 1000],
      tags: [['external', 39], ['portal', 39]],
    });
  });

  it('forgets connections and tags on a new engine run; the total graph keeps its history', () => {
    const sampler = new TrafficSampler();
    sampler.sample(1000, [connection(1, { bytesDown: 100 })], noTunnels);
    sampler.resetEngine();
    // A new engine numbers connections again: the same id must not look like a counter going back.
    const result = sampler.sample(2000, [connection(1, { bytesDown: 50 })], noTunnels);
    expect({ down: result.totals.bytesDown, tags: result.tags.length, points: sampler.history('5m').total.points.length }).toEqual({ down: 150, tags: 2, points: 2 });
  });
});
