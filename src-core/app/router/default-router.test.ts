import { describe, expect, it } from 'vitest';
import { destination } from '../../common/net.js';
import { newSession } from '../../common/session.js';
import { DefaultRouter } from './default-router.js';

/** The bridge's routing from the V2Ray reverse-proxy page: the link rule must come first. */
const bridgeRouter = new DefaultRouter([
  { inboundTag: ['bridge'], domain: [{ kind: 'full', value: 'test.v2ray.com' }], outboundTag: 'interconn' },
  { inboundTag: ['bridge'], outboundTag: 'out' },
]);

function route(inboundTag: string, host: string, port = 80, source?: string) {
  const session = newSession({ inboundTag, level: 0, ...(source ? { source: { address: source, port: 5000 } } : {}) });
  return bridgeRouter.pickRoute({ session, target: destination('tcp', host, port) });
}

describe('DefaultRouter', () => {
  it('sends the bridge link to the VMess outbound and the tunnel traffic to freedom', () => {
    expect(route('bridge', 'test.v2ray.com', 0)).toBe('interconn');
    expect(route('bridge', '127.0.0.1', 80)).toBe('out');
    expect(route('bridge', 'other.example', 443)).toBe('out');
  });

  it('returns undefined (the default outbound) when no rule matches', () => {
    expect(route('external', '127.0.0.1')).toBeUndefined();
  });

  it('ANDs conditions and ORs values', () => {
    const router = new DefaultRouter([
      { ip: ['10.0.0.0/8'], port: [{ from: 443, to: 443 }], network: ['tcp'], outboundTag: 'a' },
      { source: ['192.168.0.0/16'], outboundTag: 'b' },
    ]);
    const session = newSession({ inboundTag: 'in', level: 0, source: { address: '192.168.3.4', port: 1 } });
    expect(router.pickRoute({ session, target: destination('tcp', '10.2.3.4', 443) })).toBe('a');
    expect(router.pickRoute({ session, target: destination('tcp', '10.2.3.4', 80) })).toBe('b');
    expect(router.pickRoute({ session, target: destination('udp', 'example.com', 443) })).toBe('b');
  });
});
