/**
 * `differsOnlyInUsers`: the reload keeps a running VMess or VLESS inbound (and its connections)
 * only when its users are all that changed. Table: inbound JSON before and after → verdict.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, type InboundConfig } from './config/index.js';
import { differsOnlyInUsers } from './registry.js';

const ALICE = '27848739-7e62-4138-9fd3-098a63964b6b';
const BOB = 'b831381d-6324-4d53-ad4f-8cda48b30811';

function inbound(json: object): InboundConfig {
  const config = loadConfig([{ name: 'c.json', text: JSON.stringify({ inbounds: [json] }) }]);
  return config.inbounds[0]!;
}

const vmess = (clients: object[], extra: object = {}, settings: object = {}) => inbound({
  tag: 'interconn', listen: '127.0.0.1', port: 10_086, protocol: 'vmess', settings: { clients, ...settings }, ...extra,
});
const vless = (clients: object[], extra: object = {}, settings: object = {}) => inbound({
  tag: 'interconn', listen: '127.0.0.1', port: 10_086, protocol: 'vless', settings: { clients, decryption: 'none', ...settings }, ...extra,
});

describe('differsOnlyInUsers', () => {
  const alice = { id: ALICE, email: 'alice' };
  const bob = { id: BOB, email: 'bob' };
  const cases: Array<[string, InboundConfig, InboundConfig, boolean]> = [
    ['vmess: a user added', vmess([alice]), vmess([alice, bob]), true],
    ['vmess: a user removed', vmess([alice, bob]), vmess([bob]), true],
    ['vmess: every user replaced', vmess([alice]), vmess([bob]), true],
    ['vmess: down to no users', vmess([alice]), vmess([]), true],
    ['vmess: a user\'s level changed', vmess([alice]), vmess([{ ...alice, level: 1 }]), true],
    ['vmess: identical (nothing to update)', vmess([alice]), vmess([alice]), false],
    ['vmess: users and port changed', vmess([alice]), vmess([alice, bob], { port: 10_087 }), false],
    ['vmess: users and listen address changed', vmess([alice]), vmess([alice, bob], { listen: '0.0.0.0' }), false],
    ['vmess: users and tag changed', vmess([alice]), vmess([alice, bob], { tag: 'links' }), false],
    ['vmess: users and streamSettings changed', vmess([alice]), vmess([alice, bob], { streamSettings: { network: 'ws', wsSettings: { path: '/l' } } }), false],
    ['vmess: streamSettings alone changed', vmess([alice]), vmess([alice], { streamSettings: { network: 'ws', wsSettings: { path: '/l' } } }), false],
    ['vmess: users and disableInsecureEncryption changed', vmess([alice]), vmess([alice, bob], {}, { disableInsecureEncryption: true }), false],
    ['vless: a user added', vless([alice]), vless([alice, bob]), true],
    ['vless: a user removed', vless([alice, bob]), vless([alice]), true],
    ['vless: users and fallbacks changed', vless([alice]), vless([alice, bob], {}, { fallbacks: [{ dest: 8080 }] }), false],
    ['vless: fallbacks alone changed', vless([alice], {}, { fallbacks: [{ dest: 8080 }] }), vless([alice], {}, { fallbacks: [{ dest: 8081 }] }), false],
    ['vmess → vless with the same users', vmess([alice]), vless([alice]), false],
    ['dokodemo-door: settings changed (it has no users)',
      inbound({ tag: 'external', port: 10_080, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 80 } }),
      inbound({ tag: 'external', port: 10_080, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 81 } }), false],
  ];

  it.each(cases)('%s → %s', (_name, before, after, expected) => {
    expect(differsOnlyInUsers(before, after)).toBe(expected);
  });

  it('compares what the reload compares: a config loaded again from the same text is identical', () => {
    expect(differsOnlyInUsers(vmess([alice, bob]), vmess([alice, bob]))).toBe(false);
    expect(JSON.stringify(vmess([alice, bob]))).toBe(JSON.stringify(vmess([alice, bob])));
  });
});
