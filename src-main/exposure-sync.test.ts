import { describe, expect, it } from 'vitest';
import { ServiceError } from '../src-core/host/api/index.js';
import type { ExposureInput, ExposurePatch, ExposureStatus } from '../src-core/host/api/index.js';
import { exposureSettingsChanged, exposureSettingsOf, restoreExposures } from './exposure-sync.js';
import type { ExposureSetting } from './settings-schema.js';
import { exposure } from './testing/snapshots.js';

/** The three exposure methods, over a list, recording calls. */
function fakeService(existing: ExposureStatus[] = []) {
  const calls: string[] = [];
  let next = 1;
  return {
    calls,
    listExposures: async () => existing,
    addExposure: async (input: ExposureInput) => {
      calls.push(`add ${JSON.stringify(input)}`);
      if (input.localPort === 666) throw new ServiceError('PH_EXPOSURE_BAD_INPUT', 'port 666 is already exposed');
      return exposure({ id: `e-0000000${next++}`, localHost: input.localHost ?? '127.0.0.1', localPort: input.localPort, enabled: true });
    },
    updateExposure: async (id: string, patch: ExposurePatch) => {
      calls.push(`update ${id} ${JSON.stringify(patch)}`);
      return exposure({ id, enabled: patch.enabled ?? true });
    },
  };
}

const saved: ExposureSetting[] = [
  { id: 'e-aaaaaaaa', name: 'Web', localHost: 'localhost', localPort: 80, publicPort: 8080, enabled: true },
  { id: 'e-bbbbbbbb', name: 'NAS', localHost: '192.168.1.10', localPort: 5000, enabled: false },
];

describe('exposureSettingsOf', () => {
  it('keeps what the settings schema holds, publicPort only when set', () => {
    expect(exposureSettingsOf([
      exposure({ id: 'e-00000001', name: 'Web', publicPort: 8080, state: 'live', publicAddress: 'x:8080' }),
      exposure({ id: 'e-00000002', name: 'Dev', localPort: 5173, enabled: false }),
    ])).toEqual([
      { id: 'e-00000001', name: 'Web', localHost: 'localhost', localPort: 80, publicPort: 8080, enabled: true },
      { id: 'e-00000002', name: 'Dev', localHost: 'localhost', localPort: 5173, enabled: false },
    ]);
  });

  it('changes only when the saved form changes (rates and states do not count)', () => {
    const a = exposureSettingsOf([exposure({ id: 'e-00000001', upRate: 5, state: 'live' })]);
    const b = exposureSettingsOf([exposure({ id: 'e-00000001', upRate: 9, state: 'requesting' })]);
    expect([exposureSettingsChanged(a, b), exposureSettingsChanged(a, exposureSettingsOf([exposure({ id: 'e-00000001', enabled: false })]))]).toEqual([false, true]);
  });
});

describe('restoreExposures', () => {
  it('adds the saved exposures to an empty service, switching off those that were off', async () => {
    const service = fakeService();
    expect(await restoreExposures(service, saved)).toEqual([]);
    expect(service.calls).toEqual([
      'add {"localHost":"localhost","localPort":80,"name":"Web","publicPort":8080}',
      'add {"localHost":"192.168.1.10","localPort":5000,"name":"NAS","publicPort":null}',
      'update e-00000002 {"enabled":false}',
    ]);
  });

  it('leaves a service that already has exposures alone', async () => {
    const service = fakeService([exposure({ id: 'e-00000009' })]);
    expect(await restoreExposures(service, saved)).toEqual([]);
    expect(service.calls).toEqual([]);
  });

  it('one failure costs only that exposure, and says why', async () => {
    const service = fakeService();
    const warnings = await restoreExposures(service, [{ ...saved[0]!, localPort: 666 }, saved[0]!]);
    expect(warnings).toEqual(['exposure localhost:666 could not be restored: port 666 is already exposed']);
    expect(service.calls).toHaveLength(2);
  });

  it('drops a name the contract would refuse instead of the exposure', async () => {
    const service = fakeService();
    await restoreExposures(service, [{ ...saved[0]!, name: 'x'.repeat(80) }]);
    expect(service.calls).toEqual(['add {"localHost":"localhost","localPort":80,"publicPort":8080}']);
  });
});
