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

  it('forgets connections on a new engine run; the total graph keeps its history and marks the start', () => {
    const sampler = new TrafficSampler();
    sampler.sample(1000, [connection(1, { bytesDown: 100 })], noTunnels);
    sampler.resetEngine(1500, 'second');
    // A new engine numbers connections again: the same id must not look like a counter going back.
    const result = sampler.sample(2000, [connection(1, { bytesDown: 50 })], noTunnels);
    const history = sampler.history('5m');
    expect({ down: result.totals.bytesDown, tags: result.tags.length, points: history.total.points.length, marks: history.marks })
      .toEqual({ down: 150, tags: 2, points: 2, marks: [{ time: 1500, profile: 'second' }] });
  });

  it('hides the tags a new run does not use, and gives a tag back its history when it is used again', () => {
    const sampler = new TrafficSampler();
    sampler.sample(1000, [connection(1, { outboundTag: 'exposure:a', bytesDown: 4000 })], noTunnels);
    sampler.resetEngine(1500, 'other');
    const other = sampler.sample(2000, [connection(1, { outboundTag: 'direct', bytesDown: 10 })], noTunnels);
    const hidden = sampler.history('5m').tags.map((series) => series.tag);
    sampler.resetEngine(2500, null);
    sampler.sample(3000, [connection(1, { outboundTag: 'exposure:a', bytesDown: 1000 })], noTunnels);
    const back = sampler.history('5m').tags.find((series) => series.tag === 'exposure:a');
    expect({
      shown: other.tags.map((tag) => tag.tag),
      hidden,
      back: back?.points.map((point) => point.downRate),
      marks: sampler.history('5m').marks?.map((mark) => mark.profile),
    }).toEqual({ shown: ['external', 'direct'], hidden: ['external', 'direct'], back: [4000, 0, 1000], marks: ['other', null] });
  });

  it('forgets a hidden tag once it has been idle for the longest window', () => {
    const sampler = new TrafficSampler();
    sampler.sample(1000, [connection(1, { outboundTag: 'old' })], noTunnels);
    sampler.resetEngine(1500, null);
    sampler.sample(1000 + HOUR_STEP_MS * 360 + 1, [connection(1, { outboundTag: 'new' })], noTunnels);
    sampler.resetEngine(1000 + HOUR_STEP_MS * 360 + 2, null);
    sampler.sample(1000 + HOUR_STEP_MS * 360 + 3, [connection(1, { outboundTag: 'old' })], noTunnels);
    expect(sampler.history('5m').tags.find((series) => series.tag === 'old')?.points.length).toBe(1);
  });
});
