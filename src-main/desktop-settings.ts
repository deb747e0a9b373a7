/**
 * The desktop app's own settings (launch at login, start minimised) seen through the engine
 * contract: `getSettings` adds them to the service's, `setSettings` keeps them in the app's store
 * and hands the rest to the service. The web dashboard has no such fields, so its Settings page
 * shows no such switches. No `electron` import.
 */
import type { EngineService, Settings } from '../src-core/host/api/index.js';

export interface DesktopSettings {
  launchAtLogin: boolean;
  startMinimised: boolean;
}

export interface DesktopSettingsHost {
  get(): DesktopSettings;
  /** Saves and applies (e.g. registers the login item). */
  set(patch: Partial<DesktopSettings>): void;
}

/** `service` with the desktop fields added to its settings. */
export function withDesktopSettings(service: EngineService, host: DesktopSettingsHost): EngineService {
  const merged = (settings: Settings): Settings => ({ ...settings, ...host.get() });
  const overrides: Pick<EngineService, 'getSettings' | 'setSettings'> = {
    getSettings: async () => merged(await service.getSettings()),
    setSettings: async (patch) => {
      const { launchAtLogin, startMinimised, ...rest } = patch;
      const desktop: Partial<DesktopSettings> = {
        ...(launchAtLogin === undefined ? {} : { launchAtLogin }),
        ...(startMinimised === undefined ? {} : { startMinimised }),
      };
      if (Object.keys(desktop).length > 0) host.set(desktop);
      return merged(Object.keys(rest).length > 0 ? await service.setSettings(rest) : await service.getSettings());
    },
  };
  return new Proxy(service, {
    get(target, property, receiver) {
      if (property === 'getSettings' || property === 'setSettings') return overrides[property];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
