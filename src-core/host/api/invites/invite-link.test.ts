import { describe, expect, it } from 'vitest';
import { decodeInvite, encodeInvite, type Invite } from './invite-link.js';

const ID = '6d70fd5f-16e6-46cc-88c9-8fa107d91bad';
const invites: Array<[string, Invite]> = [
  ['vmess over tcp', { endpoint: { protocol: 'vmess', address: 'vps.example.com', port: 1024, id: ID, network: 'tcp', tls: false }, domain: 'test.v2ray.com', name: 'alice' }],
  ['vless over tls', { endpoint: { protocol: 'vless', address: '203.0.113.7', port: 443, id: ID, network: 'tcp', tls: true, sni: 'vps.example.com' }, domain: 'reverse.example' }],
  ['vmess over ws', { endpoint: { protocol: 'vmess', address: '2001:db8::1', port: 8080, id: ID, network: 'ws', tls: false, path: '/porthole' }, domain: 'r.example' }],
  ['vless over ws+tls', { endpoint: { protocol: 'vless', address: 'edge.example.com', port: 443, id: ID, network: 'ws', tls: true, sni: 'edge.example.com', path: '/a_b?ed=2048', host: 'cdn.example.com' }, domain: 'r.example', name: 'Zoë 2' }],
];

describe('porthole:// invite links', () => {
  it.each(invites)('%s round-trips', (_, invite) => {
    const link = encodeInvite(invite);
    expect(link.startsWith('porthole://join?v=1&')).toBe(true);
    expect(decodeInvite(link)).toEqual(invite);
    expect(decodeInvite(`  ${link}\n`)).toEqual(invite);
  });

  it('reads a link written by hand in the documented form', () => {
    expect(decodeInvite(`porthole://join?v=1&proto=vmess&addr=vps.example.com&port=443&id=${ID.toUpperCase()}&domain=d.example&net=ws&tls=1&path=%2Fph`)).toEqual({
      endpoint: { protocol: 'vmess', address: 'vps.example.com', port: 443, id: ID, network: 'ws', tls: true, path: '/ph' },
      domain: 'd.example',
    });
  });

  const base = `v=1&proto=vmess&addr=vps.example.com&port=443&id=${ID}&domain=d.example`;
  it.each([
    ['https://example.com/', 'invite link: does not start with porthole://'],
    [`porthole://leave?${base}`, 'invite link: "leave" is not "join"'],
    [`porthole://join?${base.replace('v=1&', '')}`, 'invite link: the version (v=) is missing'],
    [`porthole://join?${base.replace('v=1', 'v=2')}`, 'invite link: version 2 is newer than this Porthole reads (1); update Porthole'],
    [`porthole://join?${base}&extra=1`, 'invite link: unknown parameter "extra"'],
    [`porthole://join?${base}&port=80`, 'invite link: parameter "port" is given twice'],
    [`porthole://join?${base.replace('vmess', 'trojan')}`, 'invite link: protocol "trojan" is not vmess or vless'],
    [`porthole://join?${base.replace('port=443', 'port=70000')}`, 'invite link: port "70000" is not 1-65535'],
    [`porthole://join?${base.replace(ID, 'not-a-uuid')}`, 'invite link: user id "not-a-uuid" is not a UUID'],
    [`porthole://join?${base.replace('&domain=d.example', '')}`, 'invite link: the reverse domain (domain=) is missing'],
    [`porthole://join?${base.replace('vps.example.com', 'bad host')}`, 'invite link: "bad host" is not a host name or IP address'],
    [`porthole://join?${base}&net=grpc`, 'invite link: transport "grpc" is not tcp or ws'],
    [`porthole://join?${base}&path=%2Fx`, 'invite link: path and host only go with net=ws'],
    [`porthole://join?${base}&sni=x.example`, 'invite link: sni only goes with tls=1'],
    [`porthole://join?${base}&tls=yes`, 'invite link: tls "yes" is not 1 or 0'],
  ])('refuses %s with one line', (link, message) => {
    expect(() => decodeInvite(link)).toThrow(message);
    try {
      decodeInvite(link);
    } catch (error) {
      expect((error as Error).message).toBe(message);
      expect((error as { code?: string }).code).toBe('PH_CONFIG_VALUE');
    }
  });
});
