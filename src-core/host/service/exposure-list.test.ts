import { describe, expect, it } from 'vitest';
import { addExposure, defaultExposureName, exposureSpecs, findExposure, patchExposure, probeTargets, publicExposure, type StoredExposure } from './exposure-list.js';

type Exposure = StoredExposure;

describe('the exposure list', () => {
  it('the one click adds an exposure once per local address; again, it switches that one on, and refuses to rename or move it', () => {
    const exposures: Exposure[] = [];
    const first = addExposure(exposures, { localPort: 80 });
    expect(first).toEqual({ created: true, exposure: { id: expect.stringMatching(/^e-[0-9a-f]{8}$/) as unknown as string, name: 'localhost:80', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: true, createdAt: expect.any(Number) as unknown as number, label: 'app-80' } });
    first.exposure.enabled = false;
    const again = addExposure(exposures, { localHost: '127.0.0.1', localPort: 80 });
    expect({ created: again.created, same: again.exposure === first.exposure, count: exposures.length, enabled: again.exposure.enabled })
      .toEqual({ created: false, same: true, count: 1, enabled: true });
    expect(() => addExposure(exposures, { localPort: 80, name: 'site' })).toThrow(expect.objectContaining({ code: 'PH_EXPOSURE_BAD_INPUT' }));
    expect(first.exposure.name).toBe('localhost:80');
    const other = addExposure(exposures, { localHost: '192.168.1.5', localPort: 22 });
    expect([other.exposure.name, other.exposure.id !== first.exposure.id, exposures.length]).toEqual(['192.168.1.5:22', true, 2]);
  });

  it('patches name, public port and enabled, and says when it switched one on', () => {
    const exposure: Exposure = { id: 'e-00000001', name: 'a', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: false, createdAt: 0, label: 'a' };
    expect(patchExposure(exposure, { name: ' b ', publicPort: 9000 })).toBe(false);
    expect(patchExposure(exposure, { enabled: true })).toBe(true);
    expect(patchExposure(exposure, { enabled: true })).toBe(false);
    expect(exposure).toMatchObject({ name: 'b', publicPort: 9000, enabled: true });
    expect(() => findExposure([exposure], 'e-ffffffff')).toThrow(expect.objectContaining({ code: 'PH_EXPOSURE_NOT_FOUND' }));
  });

  it('"Pause all" switches every exposure off for the engine and the probe, keeping `enabled`', () => {
    const on: Exposure = { id: 'e-00000001', name: 'a', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: true, createdAt: 0, label: 'a' };
    const off: Exposure = { ...on, id: 'e-00000002', localPort: 81, enabled: false, label: 'b' };
    expect([exposureSpecs([on, off], false).map((spec) => spec.enabled), exposureSpecs([on, off], true).map((spec) => spec.enabled)]).toEqual([[true, false], [false, false]]);
    expect([probeTargets([on, off], false), probeTargets([on, off], true)]).toEqual([[on], []]);
    expect([on.enabled, defaultExposureName('::1', 3000), defaultExposureName('nas.lan', 443)]).toEqual([true, 'localhost:3000', 'nas.lan:443']);
  });

  it('labels: a slug of the name or app-<port>, unique; a taken one is refused and changes nothing', () => {
    const exposures: Exposure[] = [];
    const web = addExposure(exposures, { localPort: 3000, name: 'Web' }).exposure;
    const web2 = addExposure(exposures, { localPort: 3001, name: 'web' }).exposure;
    const plain = addExposure(exposures, { localPort: 8080 }).exposure;
    expect([web.label, web2.label, plain.label]).toEqual(['web', 'web-2', 'app-8080']);
    expect(() => addExposure(exposures, { localPort: 9000, label: 'web' })).toThrow(/name "web" is already used by your exposure "Web"/);
    expect(exposures).toHaveLength(3);
    expect(() => patchExposure(plain, { label: 'web-2', name: 'renamed' }, exposures)).toThrow(expect.objectContaining({ code: 'PH_EXPOSURE_BAD_INPUT' }));
    expect([plain.label, plain.name]).toEqual(['app-8080', 'localhost:8080']);
    patchExposure(plain, { label: 'shop' }, exposures);
    // Asking the same local address for another label is an edit, not a second click.
    expect(() => addExposure(exposures, { localPort: 8080, label: 'other' })).toThrow(/edit it to change its address name/);
    expect(plain.label).toBe('shop');
  });

  it('access: the password stays in the service; a password left out keeps the one set', () => {
    const exposure: Exposure = { id: 'e-00000001', name: 'a', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: true, createdAt: 0, label: 'a' };
    expect(() => patchExposure(exposure, { access: { basicAuth: { user: 'ann' } } })).toThrow(/needs a password/);
    patchExposure(exposure, { access: { basicAuth: { user: 'ann', password: 'pw' }, allow: [' 10.0.0.0/8', '10.0.0.0/8', ''], proxyProtocol: 1 } });
    patchExposure(exposure, { access: { basicAuth: { user: 'bob' } } });
    expect({ basicAuth: exposure.basicAuth, allow: exposure.allow, proxyProtocol: exposure.proxyProtocol }).toEqual({ basicAuth: { user: 'bob', password: 'pw' }, allow: ['10.0.0.0/8'], proxyProtocol: 1 });
    const shown = publicExposure(exposure);
    expect(shown.access).toEqual({ basicAuth: { user: 'bob' }, allow: ['10.0.0.0/8'], proxyProtocol: 1 });
    expect(JSON.stringify(shown)).not.toContain('pw');
    expect(exposureSpecs([exposure], false)[0]).toMatchObject({ label: 'a', basicAuth: { user: 'bob', password: 'pw' }, allow: ['10.0.0.0/8'], proxyProtocol: 1 });
    // A portal without names: the label is left out (it would refuse the whole exposure).
    expect(exposureSpecs([exposure], false, false)[0]).not.toHaveProperty('label');
    patchExposure(exposure, { access: { basicAuth: null, allow: [], proxyProtocol: null } });
    expect(publicExposure(exposure).access).toEqual({ basicAuth: null, allow: [], proxyProtocol: null });
  });
});
