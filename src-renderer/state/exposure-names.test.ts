import { beforeEach, describe, expect, it } from 'vitest';
import type { EngineSnapshot, ExposureStatus } from '../../src-core/host/api/index.js';
import { accessPatchOf, accessSummary, parseAllowList, parseLabel, primaryUrl, urlParts, type AccessFields } from './exposure-names.js';
import { fakeService } from './fake-service.test-support.js';
import { setEngineService } from './service.js';
import { resetAppStore, useAppStore } from './store.js';

function exposure(fields: Partial<ExposureStatus> = {}): ExposureStatus {
  return {
    id: 'e-00000001', name: 'web', localHost: '127.0.0.1', localPort: 3000, publicPort: null, enabled: true, createdAt: 1,
    label: 'web', access: { basicAuth: null, allow: [], proxyProtocol: null }, urls: ['http://web.localhost:21080'],
    state: 'live', publicAddress: '127.0.0.1:20001', portalKind: 'local', problem: null, localReachable: true,
    bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0, ...fields,
  };
}

function snapshot(exposures: ExposureStatus[]): Pick<EngineSnapshot, 'exposures' | 'exposuresPaused'> {
  return { exposures, exposuresPaused: false };
}

const fields = (changes: Partial<AccessFields> = {}): AccessFields => ({ password: false, user: '', secret: '', allow: '', proxyProtocol: '', ...changes });

beforeEach(() => {
  resetAppStore();
  setEngineService(undefined);
});

describe('exposure names in the UI', () => {
  it('the URL comes first while the exposure is on, split around its label for editing', () => {
    expect([primaryUrl(exposure()), primaryUrl(exposure({ state: 'requesting' })), primaryUrl(exposure({ state: 'refused' })), primaryUrl(exposure({ urls: [] })), primaryUrl(exposure({ urls: undefined }))])
      .toEqual(['http://web.localhost:21080', 'http://web.localhost:21080', null, null, null]);
    expect(urlParts('https://web.tunnel.example.com', 'web')).toEqual({ before: 'https://', label: 'web', after: '.tunnel.example.com' });
    // A label that is only the start of another word is not the label: "web" in "webshop.example.com".
    expect([urlParts('https://webshop.example.com', 'web'), urlParts('https://shop.example.com', undefined)]).toEqual([null, null]);
  });

  it('checks a typed label and allowlist as the service does, in sentences', () => {
    expect([parseLabel(' My-App '), parseLabel('my_app'), parseLabel('')]).toEqual([
      { ok: true, label: 'my-app' },
      { ok: false, message: 'A name uses only a-z, 0-9 and "-", not at the start or end.' },
      { ok: false, message: 'A name is 1–63 characters.' },
    ]);
    expect(parseAllowList('10.0.0.0/8\n 2001:db8::/32, 10.0.0.0/8\n\n')).toEqual({ ok: true, allow: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(parseAllowList('10.0.0.0/8\nhome')).toEqual({ ok: false, message: '"home" is not an IP address or range such as 203.0.113.0/24 or 2001:db8::/32.' });
  });

  it('summarises access, and turns the dialog\'s fields into a patch (a password left empty keeps the one set)', () => {
    expect([accessSummary(undefined), accessSummary({ basicAuth: null, allow: [], proxyProtocol: null }), accessSummary({ basicAuth: { user: 'a' }, allow: ['10.0.0.0/8', '::1'], proxyProtocol: 2 })])
      .toEqual([null, null, 'password · 2 ranges · PROXY v2']);
    expect(accessPatchOf(fields({ password: true, user: 'ann', secret: 'pw', allow: '10.0.0.0/8', proxyProtocol: '1' }), false))
      .toEqual({ ok: true, patch: { basicAuth: { user: 'ann', password: 'pw' }, allow: ['10.0.0.0/8'], proxyProtocol: 1 } });
    expect(accessPatchOf(fields({ password: true, user: 'bob' }), true)).toEqual({ ok: true, patch: { basicAuth: { user: 'bob' }, allow: [], proxyProtocol: null } });
    expect(accessPatchOf(fields({ password: true, user: 'bob' }), false)).toEqual({ ok: false, field: 'secret', message: 'Choose a password.' });
    expect(accessPatchOf(fields({ password: true, user: 'a:b', secret: 'x' }), false)).toMatchObject({ ok: false, field: 'user' });
    expect(accessPatchOf(fields({ allow: 'nope' }), false)).toMatchObject({ ok: false, field: 'allow' });
    expect(accessPatchOf(fields(), true)).toEqual({ ok: true, patch: { basicAuth: null, allow: [], proxyProtocol: null } });
  });

  it('a new label shows its URL at once, and a snapshot sampled before it does not bring the old one back', async () => {
    const renamed = exposure({ label: 'shop', urls: ['http://shop.localhost:21080'] });
    const { service, calls } = fakeService({ updateExposure: renamed });
    setEngineService(service);
    useAppStore.getState().applyExposureSnapshot(snapshot([exposure()]));
    expect(await useAppStore.getState().updateExposure('e-00000001', { label: 'shop' })).toBe(true);
    expect(calls).toEqual([['updateExposure', ['e-00000001', { label: 'shop' }]]]);
    expect(useAppStore.getState().exposures[0]?.urls).toEqual(['http://shop.localhost:21080']);
    // Sampled before the change: still "web". The answer wins for now; its traffic figures are taken.
    useAppStore.getState().applyExposureSnapshot(snapshot([exposure({ bytesDown: 7 })]));
    expect(useAppStore.getState().exposures[0]).toMatchObject({ label: 'shop', urls: ['http://shop.localhost:21080'], bytesDown: 7 });
    // Once the snapshots name "shop", theirs are the URLs shown.
    useAppStore.getState().applyExposureSnapshot(snapshot([exposure({ label: 'shop', urls: ['http://shop.localhost:21081'] })]));
    expect(useAppStore.getState().exposures[0]?.urls).toEqual(['http://shop.localhost:21081']);
  });

  it('a refused label keeps the old one and leaves the portal\'s reason for the editor', async () => {
    const refusal = Object.assign(new Error('name "shop.tunnel.example.com" is already taken by another exposure (the name stays "web")'), { code: 'PH_EXPOSURE_BAD_INPUT' });
    setEngineService(fakeService({ updateExposure: refusal }).service);
    useAppStore.getState().applyExposureSnapshot(snapshot([exposure()]));
    expect(await useAppStore.getState().updateExposure('e-00000001', { label: 'shop' })).toBe(false);
    expect(useAppStore.getState().exposures[0]?.label).toBe('web');
    expect(useAppStore.getState().exposureErrors['e-00000001']).toEqual({ code: 'PH_EXPOSURE_BAD_INPUT', message: refusal.message });
  });
});
