import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config/index.js';
import { decodeInvite, encodeInvite } from '../api/invites/invite-link.js';
import { addUserText, inviteFor, portalLinkTarget, portalUsers, removeUserText } from './portal-users.js';

const OWNER = '27848739-7e62-4138-9fd3-098a63964b6b';
const ALICE = '6d70fd5f-16e6-46cc-88c9-8fa107d91bad';
const PORTAL = `// my portal
{
  "reverse": {"portals": [{"tag": "portal", "domain": "r.example", "exposures": {"ports": "20000-20009", "publicHost": "vps.example.com"}}]},
  "inbounds": [
    {"tag": "external", "port": 8080, "protocol": "dokodemo-door", "settings": {"address": "127.0.0.1", "port": 80}},
    {
      "Tag": "interconn", # V2Ray reads keys in any case
      "port": 443,
      "protocol": "vless",
      "settings": {
        "decryption": "none",
        "clients": [
          {"id": "${OWNER}", "email": "owner"} // my own bridge
        ]
      },
      "streamSettings": {"network": "ws", "wsSettings": {"path": "/porthole"}}
    }
  ],
  "routing": {"rules": [
    {"type": "field", "inboundTag": ["external", "interconn"], "outboundTag": "portal"}
  ]}
}
`;

describe('portal users', () => {
  it('finds the inbound bridges dial and makes its invite from the config', () => {
    const target = portalLinkTarget(loadConfig([{ name: 'portal.json', text: PORTAL }]));
    expect(target.inbound.tag).toBe('interconn');
    expect(portalUsers(target)).toEqual([{ id: OWNER, name: 'owner' }]);
    const invite = inviteFor(target, { id: ALICE, name: 'alice' });
    expect(invite).toEqual({ endpoint: { protocol: 'vless', address: 'vps.example.com', port: 443, id: ALICE, network: 'ws', tls: false, path: '/porthole' }, domain: 'r.example', name: 'alice' });
    expect(decodeInvite(encodeInvite(invite))).toEqual(invite);
    expect(inviteFor(target, { id: ALICE }, { address: '203.0.113.9' }).endpoint.address).toBe('203.0.113.9');
  });

  it('adds and revokes a user, keeping every comment', () => {
    const added = addUserText('portal.json', PORTAL, 'interconn', { id: ALICE, name: 'alice' });
    for (const comment of ['// my portal', '# V2Ray reads keys in any case', '// my own bridge']) expect(added).toContain(comment);
    expect(portalUsers(portalLinkTarget(loadConfig([{ name: 'portal.json', text: added }])))).toEqual([{ id: OWNER, name: 'owner' }, { id: ALICE, name: 'alice' }]);
    const { text, removed } = removeUserText('portal.json', added, 'interconn', 'alice');
    expect(removed).toEqual({ id: ALICE, name: 'alice' });
    expect(portalUsers(portalLinkTarget(loadConfig([{ name: 'portal.json', text }])))).toEqual([{ id: OWNER, name: 'owner' }]);
    expect(text).toContain('# V2Ray reads keys in any case');
    expect(removeUserText('portal.json', added, 'interconn', ALICE.toUpperCase()).removed.id).toBe(ALICE);
    expect(text).toBe(PORTAL);
    expect(added).toContain(`{"id": "${OWNER}", "email": "owner"}, // my own bridge\n          {"id": "${ALICE}", "email": "alice"}\n        ]`);
  });

  it('adds to and revokes from a list written on one line, and revokes a user in the middle', () => {
    const inline = PORTAL.replace(/"clients": \[[^\]]*\]/, `"clients": [{"id": "${OWNER}"}]`);
    const added = addUserText('portal.json', inline, 'interconn', { id: ALICE, name: 'alice' });
    expect(added).toContain(`"clients": [{"id": "${OWNER}"}, {"id": "${ALICE}", "email": "alice"}]`);
    expect(removeUserText('portal.json', added, 'interconn', 'alice').text).toBe(inline);
    expect(removeUserText('portal.json', added, 'interconn', OWNER).text).toContain(`"clients": [{"id": "${ALICE}", "email": "alice"}]`);
    const three = addUserText('portal.json', addUserText('portal.json', PORTAL, 'interconn', { id: ALICE, name: 'alice' }), 'interconn', { id: OWNER.replace('2784', '9999'), name: 'bob' });
    const withoutAlice = removeUserText('portal.json', three, 'interconn', 'alice').text;
    expect(withoutAlice).toBe(addUserText('portal.json', PORTAL, 'interconn', { id: OWNER.replace('2784', '9999'), name: 'bob' }));
  });

  it.each([
    ['nobody', 'invite: inbound "interconn" has no user named or with id "nobody" (see porthole invite --list)'],
    ['owner', 'invite: "owner" is the last user of inbound "interconn"; a portal inbound needs one, so add another first'],
  ])('refuses to revoke %s', (who, message) => {
    expect(() => removeUserText('portal.json', PORTAL, 'interconn', who)).toThrow(message);
  });

  it.each([
    ['a config without portals', '{"outbounds": [{"protocol": "freedom"}]}', undefined, 'invite: the config has no reverse.portals: invites are made on a portal'],
    ['an unknown --inbound', PORTAL, 'other', 'invite: no VMess or VLESS inbound tagged "other" is routed to a portal (there is: interconn)'],
  ])('refuses %s', (_, text, tag, message) => {
    expect(() => portalLinkTarget(loadConfig([{ name: 'x.json', text }]), tag)).toThrow(message);
  });

  it('asks for an address when the portal has no publicHost', () => {
    const text = PORTAL.replace(', "publicHost": "vps.example.com"', '');
    expect(() => inviteFor(portalLinkTarget(loadConfig([{ name: 'p.json', text }])), { id: ALICE })).toThrow('invite: no public address: pass --address HOST (or set reverse.portals[].exposures.publicHost)');
  });
});
