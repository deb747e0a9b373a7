import { describe, expect, it } from 'vitest';
import { PROFILE_NAME_PATTERN, ServiceError } from '../src-core/host/api/index.js';
import type { ProfileSummary } from '../src-core/host/api/index.js';
import { importConfig, profileNameForFile } from './import-config.js';

describe('profileNameForFile', () => {
  it.each([
    ['/home/me/My server.json', [], 'My server'],
    ['C:\\Users\\me\\vps.jsonc', [], 'vps'],
    ['/tmp/config.json', ['config'], 'config (2)'],
    ['/tmp/config.json', ['Config', 'config (2)'], 'config (3)'],
    ['/tmp/.hidden.json', [], 'hidden'],
    ['/tmp/a:b*c?.json', [], 'a-b-c-'],
    ['/tmp/...json', [], 'Imported config'],
    [`/tmp/${'x'.repeat(200)}.json`, [], 'x'.repeat(72)],
  ])('%s (taken: %j) → %s', (path, taken, name) => {
    expect(profileNameForFile(path, taken)).toBe(name);
    expect(PROFILE_NAME_PATTERN.test(name)).toBe(true);
  });
});

function summary(name: string, patch: Partial<ProfileSummary> = {}): ProfileSummary {
  return { name, origin: 'store', active: false, updatedAt: 0, error: null, roles: [], ...patch };
}

function fakeService(existing: ProfileSummary[], options: { broken?: boolean; startFails?: boolean } = {}) {
  const calls: string[] = [];
  return {
    calls,
    listProfiles: async () => existing,
    saveProfile: async (name: string, text: string) => {
      calls.push(`save ${name} (${text.length} chars)`);
      return summary(name, options.broken ? { error: { code: 'PH_CONFIG_JSON', message: 'line 1: unexpected end' } } : {});
    },
    activateProfile: async (name: string) => {
      calls.push(`activate ${name}`);
      if (options.startFails) throw new ServiceError('PH_ENGINE_START_FAILED', 'port 80 is in use');
      return { state: 'running' as const, profile: name, since: 0, error: null, listening: [] };
    },
  };
}

describe('importConfig', () => {
  it('a first import becomes the active profile', async () => {
    const service = fakeService([]);
    const outcome = await importConfig(service, '/home/me/vps.json', '{}');
    expect([outcome.activated, outcome.profile.active, service.calls]).toEqual([true, true, ['save vps (2 chars)', 'activate vps']]);
  });

  it('never replaces a profile, never switches away from the active one', async () => {
    const service = fakeService([summary('vps', { active: true })]);
    const outcome = await importConfig(service, '/home/me/vps.json', '{}');
    expect([outcome.activated, service.calls]).toEqual([false, ['save vps (2) (2 chars)']]);
  });

  it('keeps a text that does not load, without activating it', async () => {
    const service = fakeService([], { broken: true });
    const outcome = await importConfig(service, '/x/broken.json', '{');
    expect([outcome.activated, outcome.profile.error?.code, service.calls]).toEqual([false, 'PH_CONFIG_JSON', ['save broken (1 chars)']]);
  });

  it('reports an engine that cannot start, with the profile saved', async () => {
    const outcome = await importConfig(fakeService([], { startFails: true }), '/x/vps.json', '{}');
    expect([outcome.activated, outcome.activationError]).toEqual([false, { code: 'PH_ENGINE_START_FAILED', message: 'port 80 is in use' }]);
  });
});
