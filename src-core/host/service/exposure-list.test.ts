import { describe, expect, it } from 'vitest';
import type { Exposure } from '../api/index.js';
import { addExposure, defaultExposureName, exposureSpecs, findExposure, patchExposure, probeTargets } from './exposure-list.js';

describe('the exposure list', () => {
  it('the one click adds an exposure once per local address; again, it switches that one on, and refuses to rename or move it', () => {
    const exposures: Exposure[] = [];
    const first = addExposure(exposures, { localPort: 80 });
    expect(first).toEqual({ created: true, exposure: { id: expect.stringMatching(/^e-[0-9a-f]{8}$/) as unknown as string, name: 'localhost:80', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: true, createdAt: expect.any(Number) as unknown as number } });
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
    const exposure: Exposure = { id: 'e-00000001', name: 'a', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: false, createdAt: 0 };
    expect(patchExposure(exposure, { name: ' b ', publicPort: 9000 })).toBe(false);
    expect(patchExposure(exposure, { enabled: true })).toBe(true);
    expect(patchExposure(exposure, { enabled: true })).toBe(false);
    expect(exposure).toMatchObject({ name: 'b', publicPort: 9000, enabled: true });
    expect(() => findExposure([exposure], 'e-ffffffff')).toThrow(expect.objectContaining({ code: 'PH_EXPOSURE_NOT_FOUND' }));
  });

  it('"Pause all" switches every exposure off for the engine and the probe, keeping `enabled`', () => {
    const on: Exposure = { id: 'e-00000001', name: 'a', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: true, createdAt: 0 };
    const off: Exposure = { ...on, id: 'e-00000002', localPort: 81, enabled: false };
    expect([exposureSpecs([on, off], false).map((spec) => spec.enabled), exposureSpecs([on, off], true).map((spec) => spec.enabled)]).toEqual([[true, false], [false, false]]);
    expect([probeTargets([on, off], false), probeTargets([on, off], true)]).toEqual([[on], []]);
    expect([on.enabled, defaultExposureName('::1', 3000), defaultExposureName('nas.lan', 443)]).toEqual([true, 'localhost:3000', 'nas.lan:443']);
  });
});
