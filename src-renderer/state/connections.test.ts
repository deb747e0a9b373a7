import { describe, expect, it } from 'vitest';
import type { ConnectionRow } from '../../src-core/host/api/index.js';
import { isOpenUserConnection, tagLabel, visibleConnections } from './connections.js';

function row(id: number, fields: Partial<ConnectionRow> = {}): ConnectionRow {
  return { id, kind: 'connection', inboundTag: 'public', outboundTag: 'portal', source: '127.0.0.1:5000', target: 'tcp:127.0.0.1:80', startedAt: id, closedAt: null, bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, ...fields };
}

const base = { sort: { key: 'startedAt' as const, descending: true }, filter: '', showTunnels: true, showServiceSides: false, now: 100 };

describe('visibleConnections', () => {
  const rows = [
    row(1),
    row(2, { closedAt: 50 }),
    row(3, { inboundTag: 'bridge', outboundTag: 'local', serviceSide: true }),
    row(4, { inboundTag: 'exposure:e-1bc3d4f3', outboundTag: 'porthole-local-portal', exposure: { id: 'e-1bc3d4f3', name: 'Blog' } }),
    row(5, { inboundTag: 'exposure@ab12cd:e-9', exposure: { id: 'e-9', name: 'Wiki' } }),
  ];

  it('keeps active and recently closed apart, and the service sides out unless asked', () => {
    expect({
      active: visibleConnections(rows, { ...base, list: 'active' }).map((item) => item.id),
      closed: visibleConnections(rows, { ...base, list: 'closed' }).map((item) => item.id),
      withSides: visibleConnections(rows, { ...base, list: 'active', showServiceSides: true }).map((item) => item.id),
      open: rows.filter(isOpenUserConnection).map((item) => item.id),
    }).toEqual({ active: [5, 4, 1], closed: [2], withSides: [5, 4, 3, 1], open: [1, 4, 5] });
  });

  it('finds exposures by name, and names their tags', () => {
    expect({
      blog: visibleConnections(rows, { ...base, list: 'active', filter: 'blog' }).map((item) => item.id),
      wiki: visibleConnections(rows, { ...base, list: 'active', filter: 'WIKI' }).map((item) => item.id),
      labels: [tagLabel('exposure:e-1bc3d4f3', rows[3] as ConnectionRow), tagLabel('exposure@ab12cd:e-9', rows[4] as ConnectionRow), tagLabel('public', rows[0] as ConnectionRow), tagLabel('exposure:e-0', {})],
    }).toEqual({ blog: [4], wiki: [5], labels: ['exposure “Blog”', 'exposure “Wiki”', 'public', 'exposure “e-0”'] });
  });
});
