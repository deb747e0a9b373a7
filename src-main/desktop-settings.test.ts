import { describe, expect, it } from 'vitest';
import type { EngineService, Settings } from '../src-core/host/api/index.js';
import { withDesktopSettings, type DesktopSettings } from './desktop-settings.js';

function fakeService() {
  let settings: Settings = { theme: 'system' };
  const calls: unknown[] = [];
  const service = {
    getSettings: async () => ({ ...settings }),
    setSettings: async (patch: Partial<Settings>) => { calls.push(patch); settings = { ...settings, ...patch }; return { ...settings }; },
    getStatus: async function (this: unknown) { return this === service ? 'bound' : 'unbound'; },
  };
  return { service: service as unknown as EngineService, calls };
}

describe('withDesktopSettings', () => {
  it('adds the desktop fields, keeps them in the app, passes the theme to the service', async () => {
    const { service, calls } = fakeService();
    let desktop: DesktopSettings = { launchAtLogin: false, startMinimised: true };
    const wrapped = withDesktopSettings(service, { get: () => desktop, set: (patch) => { desktop = { ...desktop, ...patch }; } });
    expect(await wrapped.getSettings()).toEqual({ theme: 'system', launchAtLogin: false, startMinimised: true });
    expect(await wrapped.setSettings({ launchAtLogin: true })).toEqual({ theme: 'system', launchAtLogin: true, startMinimised: true });
    expect(calls).toEqual([]);
    expect(await wrapped.setSettings({ theme: 'dark', startMinimised: false })).toEqual({ theme: 'dark', launchAtLogin: true, startMinimised: false });
    expect(calls).toEqual([{ theme: 'dark' }]);
    // Other methods are the service's own, called on the service.
    expect(await (wrapped.getStatus as unknown as () => Promise<string>)()).toBe('bound');
  });
});
