import { describe, expect, it } from 'vitest';
import { exposureTag as engineExposureTag } from '../src-core/engine/app/exposures/tag.js';
import { exposureIdOfTag, exposureTag } from '../src-core/host/api/exposure-tag.js';

describe('exposure tags', () => {
  it('names the engine gives an exposure parse back to its id in the API', () => {
    expect(engineExposureTag('e-0123abcd')).toBe(exposureTag('e-0123abcd'));
    expect(exposureIdOfTag(engineExposureTag('e-0123abcd'))).toBe('e-0123abcd');
  });

  it('other tags are no exposure', () => {
    expect(exposureIdOfTag('portal-out')).toBeNull();
  });
});
