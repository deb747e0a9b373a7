import { describe, expect, it } from 'vitest';
import { decodeShareLink } from './share-link.js';

const ID = 'b831381d-6324-4d53-ad4f-8cda48b30811';
const vmess = (fields: Record<string, unknown>, encoding: BufferEncoding = 'base64') => `vmess://${Buffer.from(JSON.stringify(fields)).toString(encoding)}`;

describe('vmess:// (v2rayN) share links', () => {
  it('reads a current v2rayN export: ws + tls, strings for numbers, fields it does not use', () => {
    const link = vmess({ v: '2', ps: 'hk-01', add: 'hk.example.com', port: '443', id: ID, aid: '0', scy: 'auto', net: 'ws', type: 'none', host: 'cdn.example.com', path: '/ray', tls: 'tls', sni: 'hk.example.com', alpn: 'h2,http/1.1', fp: 'chrome' });
    expect(decodeShareLink(link)).toEqual({
      name: 'hk-01',
      endpoint: { protocol: 'vmess', address: 'hk.example.com', port: 443, id: ID, alterId: 0, network: 'ws', tls: true, sni: 'hk.example.com', alpn: ['h2', 'http/1.1'], path: '/ray', host: 'cdn.example.com' },
    });
  });

  it('reads an old export: numbers as numbers, alterId 64, plain tcp, URL-safe base64 without padding', () => {
    const link = vmess({ v: '2', ps: 'old', add: '198.51.100.4', port: 10086, id: ID, aid: 64, net: 'tcp', type: 'none', host: '', path: '', tls: '' }, 'base64url');
    expect(decodeShareLink(link)).toEqual({ name: 'old', endpoint: { protocol: 'vmess', address: '198.51.100.4', port: 10086, id: ID, alterId: 64, network: 'tcp', tls: false } });
  });

  it.each([
    ['vmess://%%%', 'vmess link: is not base64 after vmess:// (v2rayN format expected)'],
    [`vmess://${Buffer.from('not json').toString('base64')}`, 'vmess link: does not hold JSON (v2rayN format expected)'],
    [vmess({ v: '2', add: 'a.example', port: '443', id: ID, net: 'grpc' }), 'vmess link: transport "grpc" is not supported (Porthole carries tcp or ws)'],
    [vmess({ v: '2', add: 'a.example', port: '443', id: ID, net: 'tcp', type: 'http' }), 'vmess link: header type "http" is not supported (only none)'],
    [vmess({ v: '2', add: 'a.example', port: '443', id: 'x' }), 'vmess link: user id "x" is not a UUID'],
    [vmess({ v: '2', add: 'a.example', id: ID }), 'vmess link: the port is missing'],
    [vmess({ v: '2', port: 1, id: ID }), 'vmess link: the portal address is missing'],
  ])('refuses %s', (link, message) => {
    expect(() => decodeShareLink(link)).toThrow(message);
  });
});

describe('vless:// share links', () => {
  it('reads ws + tls with an encoded path and a name', () => {
    const link = `vless://${ID}@vps.example.com:443?encryption=none&security=tls&sni=vps.example.com&alpn=http%2F1.1&type=ws&host=cdn.example.com&path=%2Fvless%3Fed%3D2048#My%20VLESS`;
    expect(decodeShareLink(link)).toEqual({
      name: 'My VLESS',
      endpoint: { protocol: 'vless', address: 'vps.example.com', port: 443, id: ID, network: 'ws', tls: true, sni: 'vps.example.com', alpn: ['http/1.1'], path: '/vless?ed=2048', host: 'cdn.example.com' },
    });
  });

  it('reads plain tcp to an IPv6 address without a name', () => {
    expect(decodeShareLink(`vless://${ID}@[2001:db8::2]:8443?type=tcp&encryption=none`)).toEqual({
      endpoint: { protocol: 'vless', address: '2001:db8::2', port: 8443, id: ID, network: 'tcp', tls: false },
    });
  });

  it.each([
    [`vless://${ID}@vps.example.com:443?security=reality&flow=xtls-rprx-vision`, 'vless link: flow "xtls-rprx-vision" (XTLS) is not supported'],
    [`vless://${ID}@vps.example.com:443?security=reality`, 'vless link: security "reality" is not supported (tls or none)'],
    [`vless://${ID}@vps.example.com:443?type=grpc`, 'vless link: transport "grpc" is not supported (Porthole carries tcp or ws)'],
    [`vless://${ID}@vps.example.com:443?encryption=aes`, 'vless link: encryption "aes" is not supported (VLESS uses none)'],
    [`vless://${ID}@vps.example.com?type=tcp`, 'vless link: the port is missing'],
    ['vless://nope@vps.example.com:443', 'vless link: user id "nope" is not a UUID'],
    ['trojan://x@y:1', 'share link: is not a vmess:// or vless:// link'],
  ])('refuses %s', (link, message) => {
    expect(() => decodeShareLink(link)).toThrow(message);
  });
});
