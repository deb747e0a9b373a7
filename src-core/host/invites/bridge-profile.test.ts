/** Every kind of link makes a bridge that Porthole loads and the real `v2ray -test` accepts. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/index.js';
import { v2rayAvailable, v2rayTest } from '../../../test/support/v2ray.js';
import { bridgeProfileText, LINK_OUTBOUND_TAG } from '../api/invites/bridge-profile.js';
import type { BridgeEndpoint, LinkNetwork } from '../api/invites/endpoint.js';

const ID = '6d70fd5f-16e6-46cc-88c9-8fa107d91bad';
const kinds: Array<[BridgeEndpoint['protocol'], LinkNetwork, boolean]> = [];
for (const protocol of ['vmess', 'vless'] as const) for (const network of ['tcp', 'ws'] as const) for (const tls of [false, true]) kinds.push([protocol, network, tls]);

function endpointOf(protocol: BridgeEndpoint['protocol'], network: LinkNetwork, tls: boolean): BridgeEndpoint {
  return {
    protocol, address: 'vps.example.com', port: 443, id: ID, network, tls,
    ...(tls ? { sni: 'edge.example.com', alpn: ['http/1.1'] } : {}),
    ...(network === 'ws' ? { path: '/porthole', host: 'edge.example.com' } : {}),
  };
}

describe('bridge profiles from links', () => {
  it.each(kinds)('%s over %s (tls %s) loads in Porthole and passes v2ray -test', (protocol, network, tls) => {
    const text = bridgeProfileText({ endpoint: endpointOf(protocol, network, tls), domain: 'reverse.example', redirect: '127.0.0.1:8080', source: 'a test' });
    const config = loadConfig([{ name: 'bridge.json', text }]);
    expect(config.reverse.bridges).toEqual([{ tag: 'bridge', domain: 'reverse.example' }]);
    const link = config.outbounds.find((outbound) => outbound.tag === LINK_OUTBOUND_TAG);
    expect(link?.protocol).toBe(protocol);
    expect(link?.streamSettings?.network ?? 'tcp').toBe(network === 'ws' ? 'websocket' : 'tcp');
    expect(link?.streamSettings?.security ?? 'none').toBe(tls ? 'tls' : 'none');
    if (tls) expect(link?.streamSettings?.tls?.serverName).toBe('edge.example.com');
    if (network === 'ws') expect(link?.streamSettings?.ws).toEqual({ path: '/porthole', headers: { Host: 'edge.example.com' } });
    if (!v2rayAvailable()) return;
    const checked = v2rayTest(text);
    expect(checked.output).toContain('Configuration OK');
    expect(checked.status).toBe(0);
  });
});
