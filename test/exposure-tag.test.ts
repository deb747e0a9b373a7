import { describe, expect, it } from 'vitest';
import { bridgeUserExposureTag, exposureTag as engineExposureTag } from '../src-core/engine/app/exposures/tag.js';
import { bridgeUserExposureOfTag, exposureIdOfTag, exposureTag } from '../src-core/host/api/exposure-tag.js';

describe('exposure tags', () => {
  it('names the engine gives an exposure parse back to its id in the API', () => {
    expect(engineExposureTag('e-0123abcd')).toBe(exposureTag('e-0123abcd'));
    expect(exposureIdOfTag(engineExposureTag('e-0123abcd'))).toBe('e-0123abcd');
  });

  it('a portal names each bridge user\'s exposure apart, and the API reads owner and id back', () => {
    const alice = bridgeUserExposureTag('a11ce00000000000', 'e-shared');
    const bob = bridgeUserExposureTag('b0b0000000000000', 'e-shared');
    expect(alice).not.toBe(bob);
    expect([bridgeUserExposureOfTag(alice), bridgeUserExposureOfTag(bob)]).toEqual([
      { owner: 'a11ce00000000000', id: 'e-shared' },
      { owner: 'b0b0000000000000', id: 'e-shared' },
    ]);
    // Ids are the bridges' own text: one with ':' or '@' still parses back whole.
    expect(bridgeUserExposureOfTag(bridgeUserExposureTag('a11ce00000000000', 'x:y@z'))).toEqual({ owner: 'a11ce00000000000', id: 'x:y@z' });
    // Not one of this instance's own exposures: the exposure cards leave it to the tags.
    expect(exposureIdOfTag(alice)).toBeNull();
    expect(bridgeUserExposureOfTag(engineExposureTag('e-shared'))).toBeNull();
  });

  it('other tags are no exposure', () => {
    expect(exposureIdOfTag('portal-out')).toBeNull();
    expect(bridgeUserExposureOfTag('portal-out')).toBeNull();
  });
});
