import { beforeEach, describe, expect, it } from 'vitest';
import type { PortalInvite, PortalInviteList } from '../../src-core/host/api/index.js';
import { ServiceError } from '../../src-core/host/api/index.js';
import { fakeService } from './fake-service.test-support.js';
import { isPortalProfile, qrImageSource, resetInvitesStore, shortId, useInvitesStore } from './invites.js';
import { setEngineService } from './service.js';

const TRAFFIC = { links: 1, exposures: 2, openConnections: 0, totalConnections: 7, bytesDown: 2048, bytesUp: 512 };

function invite(id: string, name: string, fields: Partial<PortalInvite> = {}): PortalInvite {
  return { id, name, inbound: 'interconn', link: `porthole://join?v=1&id=${id}`, qrSvg: '<svg viewBox="0 0 1 1"></svg>', traffic: TRAFFIC, ...fields };
}

const ALICE = invite('6d3c1a1e-0b4e-4a8e-9a55-3c1f5e0a0001', 'alice');
const BOB = invite('6d3c1a1e-0b4e-4a8e-9a55-3c1f5e0a0002', 'bob');

function list(invites: PortalInvite[]): PortalInviteList {
  return { profile: 'portal', invites, problem: null };
}

beforeEach(() => {
  resetInvitesStore();
  setEngineService(undefined);
});

describe('invites helpers', () => {
  it('knows a portal profile by its roles (and not one that does not load)', () => {
    expect(isPortalProfile({ roles: ['portal "portal"'], error: null })).toBe(true);
    expect(isPortalProfile({ roles: ['bridge "bridge"'], error: null })).toBe(false);
    expect(isPortalProfile({ roles: ['portal "portal"'], error: { code: 'PH_CONFIG_VALUE', message: 'x' } })).toBe(false);
    expect(isPortalProfile(undefined)).toBe(false);
  });

  it('shows the QR code as a data: image, and nothing that is not an SVG document', () => {
    expect(qrImageSource('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>')).toBe(
      `data:image/svg+xml;charset=utf-8,${encodeURIComponent('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>')}`,
    );
    expect(qrImageSource('<img src=x onerror=alert(1)>')).toBeNull();
    expect(qrImageSource('')).toBeNull();
    expect(shortId(ALICE.id)).toBe('6d3c1a1e');
  });
});

describe('invites store', () => {
  it('opens on a profile, makes an invite (shown, list fetched again), revokes it', async () => {
    let users = [ALICE];
    const { service, calls } = fakeService({
      listPortalInvites: () => list(users),
      createPortalInvite: () => { users = [ALICE, BOB]; return BOB; },
      revokePortalInvite: () => { users = [ALICE]; },
    });
    setEngineService(service);
    await useInvitesStore.getState().open('portal');
    expect(useInvitesStore.getState()).toMatchObject({ profile: 'portal', list: list([ALICE]), listError: null });

    expect(await useInvitesStore.getState().create({ name: 'bob' })).toEqual(BOB);
    expect(useInvitesStore.getState()).toMatchObject({ creating: false, shown: BOB, list: list([ALICE, BOB]), notice: { tone: 'ok' } });

    expect(await useInvitesStore.getState().revoke(BOB.id)).toBe(true);
    expect(useInvitesStore.getState()).toMatchObject({ revoking: null, shown: null, list: list([ALICE]), notice: { tone: 'ok', text: 'Revoked “bob”: its bridge is refused from now on.' } });
    expect(calls.map(([method, args]) => [method, ...args])).toEqual([
      ['listPortalInvites', 'portal'],
      ['createPortalInvite', 'portal', { name: 'bob' }],
      ['listPortalInvites', 'portal'],
      ['revokePortalInvite', 'portal', BOB.id],
      ['listPortalInvites', 'portal'],
    ]);
  });

  it('says why an invite was not made, as a sentence, and keeps the list', async () => {
    const { service } = fakeService({
      listPortalInvites: list([ALICE]),
      createPortalInvite: new ServiceError('PH_INVITE', 'inbound "interconn" already has a user named "alice" (revoke it or pick another name)'),
      revokePortalInvite: new ServiceError('PH_INVITE', '"alice" is the last user of inbound "interconn"; a portal inbound needs one, so add another first'),
    });
    setEngineService(service);
    await useInvitesStore.getState().open('portal');
    expect(await useInvitesStore.getState().create({ name: 'alice' })).toBeNull();
    expect(useInvitesStore.getState()).toMatchObject({ creating: false, createError: 'Inbound "interconn" already has a user named "alice" (revoke it or pick another name).', list: list([ALICE]) });
    expect(await useInvitesStore.getState().revoke(ALICE.id)).toBe(false);
    expect(useInvitesStore.getState().notice).toEqual({ tone: 'error', text: 'Could not revoke “alice”: "alice" is the last user of inbound "interconn"; a portal inbound needs one, so add another first.' });
  });

  it('a shown invite follows the list, and an answer for a closed dialog is dropped', async () => {
    let users = [ALICE, BOB];
    const { service } = fakeService({ listPortalInvites: () => list(users) });
    setEngineService(service);
    await useInvitesStore.getState().open('portal');
    useInvitesStore.getState().show(BOB.id);
    expect(useInvitesStore.getState().shown).toEqual(BOB);
    const busier = { ...BOB, traffic: { ...TRAFFIC, totalConnections: 9 } };
    users = [ALICE, busier];
    await useInvitesStore.getState().refresh();
    expect(useInvitesStore.getState().shown).toEqual(busier);
    users = [ALICE]; // revoked elsewhere (the CLI)
    await useInvitesStore.getState().refresh();
    expect(useInvitesStore.getState().shown).toBeNull();

    const pending = useInvitesStore.getState().refresh();
    useInvitesStore.getState().close();
    await pending;
    expect(useInvitesStore.getState()).toMatchObject({ profile: null, list: null });
  });
});
