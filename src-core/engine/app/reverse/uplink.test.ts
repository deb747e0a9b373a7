import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { bridgeUplink, isServerUplink } from './uplink.js';

const USER = '27848739-7e62-4138-9fd3-098a63964b6b';
const freedom = { tag: 'out', protocol: 'freedom', settings: { redirect: '127.0.0.1:80' } };
const rules = [
  { type: 'field', inboundTag: ['bridge'], domain: ['full:test.v2ray.com'], outboundTag: 'interconn' },
  { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
];

/** A bridge whose links are routed to `interconn`, made of `link`. */
function bridgeWith(link: Record<string, unknown>) {
  const text = JSON.stringify({ reverse: { bridges: [{ tag: 'bridge', domain: 'test.v2ray.com' }] }, outbounds: [freedom, { tag: 'interconn', ...link }], routing: { rules } });
  const config = loadConfig([{ name: 'bridge.json', text }]);
  const bridge = config.reverse.bridges[0];
  if (!bridge) throw new Error('no bridge');
  return bridgeUplink(config, bridge);
}

describe('bridgeUplink', () => {
  it('a VMess outbound: kind vmess, with its server', () => {
    const uplink = bridgeWith({ protocol: 'vmess', settings: { vnext: [{ address: 'vps.example.com', port: 1024, users: [{ id: USER }] }] } });
    expect({ kind: uplink?.kind, tag: uplink?.tag, server: isServerUplink(uplink) ? uplink.server.address : null }).toEqual({ kind: 'vmess', tag: 'interconn', server: 'vps.example.com' });
  });

  it('a VLESS outbound (any transport): kind vless, with its server and user', () => {
    const uplink = bridgeWith({
      protocol: 'vless',
      settings: { vnext: [{ address: 'vps.example.com', port: 443, users: [{ id: USER, encryption: 'none' }] }] },
      streamSettings: { network: 'ws', security: 'tls', wsSettings: { path: '/ph' }, tlsSettings: { serverName: 'vps.example.com' } },
    });
    expect(isServerUplink(uplink)).toBe(true);
    if (uplink?.kind !== 'vless') throw new Error(`kind ${uplink?.kind}`);
    expect({ tag: uplink.tag, address: uplink.server.address, port: uplink.server.port, user: uplink.server.users[0]?.id, network: uplink.outbound.streamSettings?.network })
      .toEqual({ tag: 'interconn', address: 'vps.example.com', port: 443, user: USER, network: 'websocket' });
  });

  it('links routed to a portal of the same config (the built-in local portal): kind portal', () => {
    const text = JSON.stringify({
      reverse: { bridges: [{ tag: 'bridge', domain: 'test.v2ray.com' }], portals: [{ tag: 'portal', domain: 'test.v2ray.com' }] },
      outbounds: [freedom],
      routing: { rules: [{ type: 'field', inboundTag: ['bridge'], domain: ['full:test.v2ray.com'], outboundTag: 'portal' }] },
    });
    const config = loadConfig([{ name: 'local.json', text }]);
    const bridge = config.reverse.bridges[0];
    const uplink = bridge && bridgeUplink(config, bridge);
    expect({ kind: uplink?.kind, server: isServerUplink(uplink) }).toEqual({ kind: 'portal', server: false });
  });
});
