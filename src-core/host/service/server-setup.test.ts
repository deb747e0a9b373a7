import { describe, expect, it } from 'vitest';
import type { Exposure } from '../api/index.js';
import { exportV2RayConfig, loadConfig } from '../../engine/config/index.js';
import { bridgeConfig } from '../../../test/support/reverse-pair.js';
import { serverSetup } from './server-setup.js';

const exposure = (fields: Partial<Exposure>): Exposure => ({ id: 'e-00000001', name: 'Web', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: true, createdAt: 0, ...fields });

describe('serverSetup', () => {
  const bridge = bridgeConfig({ publicPort: 1, linkPort: 1024, upstreamPort: 80 });

  it('matches the bridge: UUID, alterId, domain, interconn port; one dokodemo-door per enabled exposure', () => {
    const setup = serverSetup('home', bridge, [
      exposure({}),
      exposure({ id: 'e-00000002', name: 'Web', localPort: 3000, publicPort: 9000 }),
      exposure({ id: 'e-00000003', name: 'Off', localPort: 22, enabled: false }),
    ]);
    const v2ray = JSON.parse(setup.v2ray.text) as { inbounds: Array<Record<string, unknown>>; reverse: unknown; routing: { rules: unknown[] } };
    expect(v2ray.reverse).toEqual({ portals: [{ tag: 'portal', domain: 'test.v2ray.com' }] });
    expect(v2ray.inbounds).toEqual([
      { tag: 'interconn', listen: '127.0.0.1', port: 1024, protocol: 'vmess', settings: { clients: [{ id: '27848739-7e62-4138-9fd3-098a63964b6b', alterId: 0 }] } },
      { tag: 'exposure-web', listen: '127.0.0.1', port: 8080, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 80, network: 'tcp' } },
      { tag: 'exposure-web-2', listen: '127.0.0.1', port: 9000, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 3000, network: 'tcp' } },
    ]);
    expect(v2ray.routing.rules).toEqual([{ type: 'field', inboundTag: ['interconn', 'exposure-web', 'exposure-web-2'], outboundTag: 'portal' }]);
    expect(setup.exposures).toEqual(['127.0.0.1:8080 → 127.0.0.1:80 (Web)', '127.0.0.1:9000 → 127.0.0.1:3000 (Web)']);
  });

  it('listens on all addresses for a real server, and the Porthole variant loads with a port range', () => {
    const exported = exportV2RayConfig(bridge) as { outbounds: Array<{ protocol: string; settings: { vnext: Array<{ address: string }> } }> };
    for (const outbound of exported.outbounds) if (outbound.protocol === 'vmess') for (const server of outbound.settings.vnext) server.address = 'vps.example.com';
    const remote = loadConfig([{ name: 'bridge.json', text: JSON.stringify(exported) }]);
    const setup = serverSetup('vps', remote, [exposure({})]);
    expect(setup.serverAddress).toBe('vps.example.com:1024');
    expect(setup.v2ray.text).not.toContain('"listen"');
    const porthole = loadConfig([{ name: setup.porthole.fileName, text: setup.porthole.text }]);
    expect(porthole.reverse.portals[0]?.exposures).toEqual({ ports: [{ from: 20000, to: 20099 }], listen: '0.0.0.0' });
    expect(setup.porthole.command).toBe('porthole run -c porthole-portal.json');
  });
});
