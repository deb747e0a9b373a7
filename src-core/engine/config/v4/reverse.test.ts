/** `reverse.portals[].exposures` (Porthole only): JSON in → typed config or one-line error out. */
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../../common/errors.js';
import { DEFAULT_EXPOSURES_PER_USER, loadConfig, type PortalExposuresConfig } from '../index.js';

function portal(exposures: string): string {
  return `{"reverse": {"portals": [{"tag": "portal", "domain": "d", "exposures": ${exposures}}]}}`;
}

function exposuresOf(text: string): PortalExposuresConfig | undefined {
  return loadConfig([{ name: 'c.json', text }], { env: {} }).reverse.portals[0]?.exposures;
}

function errorOf(text: string): string {
  try {
    loadConfig([{ name: 'c.json', text }], { env: {} });
  } catch (error) {
    return `${(error as { code: string }).code} ${formatErrorLine(error)}`;
  }
  return 'accepted';
}

describe('reverse.portals[].exposures', () => {
  it.each<[string, string, PortalExposuresConfig]>([
    // No maxPerUser: the portal applies DEFAULT_EXPOSURES_PER_USER.
    ['a range, defaults', '{"ports": "20000-20099"}', { ports: [{ from: 20000, to: 20099 }], listen: '0.0.0.0' }],
    ['every field', '{"ports": [8080, "9000-9010"], "listen": "127.0.0.1", "publicHost": "vps.example.com", "maxPerUser": 3}',
      { ports: [{ from: 8080, to: 8080 }, { from: 9000, to: 9010 }], listen: '127.0.0.1', publicHost: 'vps.example.com', maxPerUser: 3 }],
  ])('%s', (_name, exposures, expected) => {
    expect(exposuresOf(portal(exposures))).toEqual(expected);
  });

  it('allows 10 exposures per bridge user by default', () => {
    expect(DEFAULT_EXPOSURES_PER_USER).toBe(10);
  });

  it.each<[string, string]>([
    [portal('{"ports": "20000-20099", "maxPerUser": 0}'),
      'PH_CONFIG_VALUE c.json:1:111: reverse.portals[0].exposures.maxPerUser: maxPerUser is 0: allow each bridge user at least 1 exposure (default 10), or remove "exposures" to allow none'],
    [portal('{"ports": "20000-20099", "maxPerUser": "10"}'),
      'PH_CONFIG_TYPE c.json:1:111: reverse.portals[0].exposures.maxPerUser: expected an integer from 0 to 65535, got "10"'],
    [portal('{"ports": "20000-20099", "maxPerUser": 2.5}'),
      'PH_CONFIG_TYPE c.json:1:111: reverse.portals[0].exposures.maxPerUser: expected an integer from 0 to 65535, got 2.5'],
    [portal('{"ports": "20000-20099", "maxPerUser": 70000}'),
      'PH_CONFIG_TYPE c.json:1:111: reverse.portals[0].exposures.maxPerUser: expected an integer from 0 to 65535, got 70000'],
  ])('%s', (text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });
});
