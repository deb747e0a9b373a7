/** User settings kept by the service (theme), applied at once and saved in the background. */
import type { ErrorEnvelope, Settings } from '../../src-core/host/api/index.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

export interface SettingsSlice {
  settings: Settings;
  settingsError: ErrorEnvelope | null;
  loadSettings(): Promise<void>;
  setTheme(theme: Settings['theme']): Promise<void>;
  /** Desktop app only: launch at login, start minimised. */
  setDesktopSetting(patch: Pick<Settings, 'launchAtLogin'> | Pick<Settings, 'startMinimised'>): Promise<void>;
  /** The built-in portal on the LAN (on/off, which address): the service restarts that portal. */
  setLocalPortalReach(patch: Pick<Settings, 'localPortalLan' | 'localPortalLanAddress'>): Promise<void>;
  settingsBusy: boolean;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (set, get) => ({
  settings: { theme: 'system' },
  settingsError: null,
  settingsBusy: false,
  loadSettings: async () => {
    try {
      set({ settings: await engineService().getSettings() });
    } catch (error) {
      set({ settingsError: envelopeOf(error) });
    }
  },
  setTheme: async (theme) => {
    const before = get().settings;
    set({ settings: { ...before, theme }, settingsError: null });
    try {
      set({ settings: await engineService().setSettings({ theme }) });
    } catch (error) {
      set({ settings: before, settingsError: envelopeOf(error) });
    }
  },
  setLocalPortalReach: async (patch) => {
    const before = get().settings;
    set({ settings: { ...before, ...patch }, settingsError: null, settingsBusy: true });
    try {
      set({ settings: await engineService().setSettings(patch) });
    } catch (error) {
      set({ settings: before, settingsError: envelopeOf(error) });
    } finally {
      set({ settingsBusy: false });
    }
  },
  setDesktopSetting: async (patch) => {
    const before = get().settings;
    set({ settings: { ...before, ...patch }, settingsError: null });
    try {
      set({ settings: await engineService().setSettings(patch) });
    } catch (error) {
      set({ settings: before, settingsError: envelopeOf(error) });
    }
  },
});
