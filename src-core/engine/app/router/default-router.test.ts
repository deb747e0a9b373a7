import { describe, expect, it } from 'vitest';
import { destination } from '../../common/net.js';
import { newSession } from '../../common/session.js';
import { DefaultRouter } from './default-router.js';

/** The bridge's routing from the V2Ray reverse-proxy page: the link rule must come first. */
const bridgeRouter = new DefaultRouter([
  { inboundTag: ['bridge'], domain: [{ kind: 'full', value: 'test.v2ray.com' }], outboundTag: 'interconn' },
  { inboundTag: ['bridge'], outboundTag: 'out' },
]);

function route(router: DefaultRouter, inboundTag: string, host: string, port = 80, network: 'tcp' | 'udp' = 'tcp') {
  const session = newSession({ inboundTag, level: 0, source: { address: '192.168.3.4', port: 5000 } });
  return router.pickRoute({ session, target: destination(network, host, port) });
}

describe('DefaultRouter', () => {
  it('sends the bridge link to the VMess outbound and the tunnel traffic to freedom', () => {
    expect(route(bridgeRouter, 'bridge', 'test.v2ray.com', 0)).toBe('interconn');
    expect(route(bridgeRouter, 'bridge', '127.0.0.1', 80)).toBe('out');
    expect(route(bridgeRouter, 'bridge', 'other.example', 443)).toBe('out');
  });

  it('returns undefined (the default outbound) when no rule matches', () => {
    expect(route(bridgeRouter, 'external', '127.0.0.1')).toBeUndefined();
  });

  it.each([
    ['test.v2ray.com', 'full'],
    ['a.example.org', 'suffix'],
    ['example.org', 'suffix'],
    ['badexample.org', 'keyword'],
    ['api12.service.net', 'regexp'],
    ['TEST.v2ray.com', undefined],
    ['intranet', 'dotless'],
  ])('matches domain %s → %s', (host, expected) => {
    const router = new DefaultRouter([
      { domain: [{ kind: 'full', value: 'test.v2ray.com' }], outboundTag: 'full' },
      { domain: [{ kind: 'domain', value: 'example.org' }], outboundTag: 'suffix' },
      { domain: [{ kind: 'keyword', value: 'bad' }], outboundTag: 'keyword' },
      { domain: [{ kind: 'regexp', value: '^api[0-9]+\\.' }], outboundTag: 'regexp' },
      { domain: [{ kind: 'dotless', value: 'tra' }], outboundTag: 'dotless' },
    ]);
    expect(route(router, 'in', host)).toBe(expected);
  });

  it('ANDs conditions and ORs values', () => {
    const router = new DefaultRouter([
      { ip: [{ address: '10.0.0.0', prefix: 8 }], port: [{ from: 443, to: 443 }], network: ['tcp'], outboundTag: 'a' },
      { source: [{ address: '192.168.0.0', prefix: 16 }], outboundTag: 'b' },
    ]);
    expect(route(router, 'in', '10.2.3.4', 443)).toBe('a');
    expect(route(router, 'in', '10.2.3.4', 80)).toBe('b');
    expect(route(router, 'in', 'example.com', 443, 'udp')).toBe('b');
  });
});
