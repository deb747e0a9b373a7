import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../engine/config/index.js';
import type { ConnectionSnapshot } from '../../engine/features/stats.js';
import type { ConnectionRow } from '../api/index.js';
import { nameExposures } from './connection-names.js';
import { connectionRoles } from './connection-roles.js';
import { localPortalOnly } from './local-portal.js';
import { bridgeConfig } from '../../../test/support/reverse-pair.js';

function connection(inboundTag: string, outboundTag: string, target = 'tcp:127.0.0.1:80'): ConnectionSnapshot {
  return { id: 1, inboundTag, outboundTag, source: '127.0.0.1:5000', target, startedAt: 0, bytesUp: 0, bytesDown: 0 };
}

describe('connectionRoles', () => {
  it('in the demo profile (bridge and portal in one process): tunnel links, the public side and the service side', () => {
    const text = readFileSync(new URL('../../../examples/local-demo.json', import.meta.url), 'utf8');
    const roleOf = connectionRoles(loadConfig([{ name: 'local-demo.json', text }]));
    expect([
      roleOf(connection('bridge', 'tunnel', 'tcp:local.porthole:0')),
      roleOf(connection('links', 'portal', 'tcp:local.porthole:0')),
      roleOf(connection('public', 'portal')),
      roleOf(connection('bridge', 'local')),
    ]).toEqual(['tunnel', 'tunnel', 'public', 'service']);
  });

  it('the built-in local portal: an exposure\'s public listener and the bridge\'s dial are one connection', () => {
    const roleOf = connectionRoles(localPortalOnly());
    expect([roleOf(connection('exposure:e-1', 'porthole-local-portal')), roleOf(connection('porthole-local-bridge', 'exposure:e-1'))]).toEqual(['public', 'service']);
  });

  it('a bridge whose portal is elsewhere, and a plain proxy: every connection is a user connection', () => {
    const bridge = bridgeConfig({ publicPort: 1, linkPort: 2, upstreamPort: 3 });
    const roleOf = connectionRoles(bridge);
    expect([roleOf(connection('bridge', 'out')), roleOf(connection('bridge', 'interconn', 'tcp:test.v2ray.com:0')), roleOf(connection('socks', 'direct'))]).toEqual(['user', 'tunnel', 'user']);
  });
});

describe('nameExposures', () => {
  it('names own exposures by id and a bridge user\'s by the portal\'s open ports', () => {
    const row = (id: number, inboundTag: string, outboundTag: string): ConnectionRow => ({ id, kind: 'connection', inboundTag, outboundTag, source: '', target: 'tcp:127.0.0.1:80', startedAt: 0, closedAt: null, bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0 });
    const rows = [row(1, 'exposure:e-1', 'porthole-local-portal'), row(2, 'porthole-local-bridge', 'exposure:e-1'), row(3, 'exposure@ab12:e-9', 'portal'), row(4, 'public', 'portal')];
    nameExposures(rows, [{ id: 'e-1', name: 'Blog' }], { portals: [{}] as never, publicPortsOf: () => [{ id: 'e-9', name: 'Wiki', port: 20001, local: '127.0.0.1:8080' }] });
    expect(rows.map((item) => item.exposure ?? null)).toEqual([{ id: 'e-1', name: 'Blog' }, { id: 'e-1', name: 'Blog' }, { id: 'e-9', name: 'Wiki' }, null]);
  });
});
