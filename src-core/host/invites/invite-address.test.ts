import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/index.js';
import { parseInviteAddress } from './portal-invites-service.js';
import { defaultInviteAddress, newInviteUser, portalLinkTarget } from './portal-users.js';

const OWNER = '27848739-7e62-4138-9fd3-098a63964b6b';

function target(portalExtra: string, inboundExtra: string) {
  const text = `{
    "reverse": {"portals": [{"tag": "portal", "domain": "r.example"${portalExtra}}]},
    "inbounds": [{"tag": "interconn", "port": 443, "protocol": "vmess", "settings": {"clients": [{"id": "${OWNER}", "email": "owner"}]}${inboundExtra}}],
    "routing": {"rules": [{"type": "field", "inboundTag": ["interconn"], "outboundTag": "portal"}]}
  }`;
  return portalLinkTarget(loadConfig([{ name: 'portal.json', text }]));
}

describe('where an invite says to dial', () => {
  it.each([
    ['publicHost first', ', "exposures": {"ports": "20000-20001", "publicHost": "vps.example.com"}', ', "listen": "203.0.113.5", "streamSettings": {"security": "tls", "tlsSettings": {"serverName": "tls.example.com", "certificates": [{"certificateFile": "cert.pem", "keyFile": "key.pem"}]}}', 'vps.example.com'],
    ['then the TLS server name', '', ', "streamSettings": {"security": "tls", "tlsSettings": {"serverName": "tls.example.com", "certificates": [{"certificateFile": "cert.pem", "keyFile": "key.pem"}]}}', 'tls.example.com'],
    ['then the WebSocket Host', '', ', "streamSettings": {"network": "ws", "wsSettings": {"path": "/p", "headers": {"Host": "ws.example.com"}}}', 'ws.example.com'],
    ['then a specific listen address', '', ', "listen": "203.0.113.5"', '203.0.113.5'],
    ['nothing when it listens everywhere', '', '', undefined],
  ])('%s', (_what, portal, inbound, address) => {
    expect(defaultInviteAddress(target(portal, inbound))).toBe(address);
  });

  it.each([
    ['vps.example.com', { address: 'vps.example.com' }],
    [' vps.example.com:8443 ', { address: 'vps.example.com', port: 8443 }],
    ['[2001:db8::1]:443', { address: '2001:db8::1', port: 443 }],
    ['[2001:db8::1]', { address: '2001:db8::1' }],
    ['203.0.113.5', { address: '203.0.113.5' }],
  ])('reads %j', (text, expected) => {
    expect(parseInviteAddress(text)).toEqual(expected);
  });

  it.each([
    ['vps.example.com:70000', 'address: port "70000" is not 1-65535'],
    ['not an address', 'address: "not an address" is not a host name or IP address'],
  ])('refuses %j with one line', (text, message) => {
    expect(() => parseInviteAddress(text)).toThrow(expect.objectContaining({ code: 'PH_INVITE', message }));
  });
});

describe('a new invite user', () => {
  it('gets a fresh UUID and the name given, or invite-<8 hex>', () => {
    const portal = target('', '');
    const alice = newInviteUser(portal, ' alice ');
    expect(alice).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'alice' });
    const unnamed = newInviteUser(portal);
    expect(unnamed.name).toBe(`invite-${unnamed.id.slice(0, 8)}`);
    expect(newInviteUser(portal).id).not.toBe(unnamed.id);
    expect(() => newInviteUser(portal, 'owner')).toThrow('invite: inbound "interconn" already has a user named "owner" (revoke it or pick another name)');
    expect(() => newInviteUser(portal, 'bad name!')).toThrow('invite: name "bad name!": use letters, digits, . _ @ - (up to 64)');
  });
});
