/** The service's small state file: user settings and which profile is active. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Settings } from '../api/index.js';

export interface ServiceState {
  settings: Settings;
  activeProfile: string | null;
}

export const DEFAULT_SETTINGS: Settings = { theme: 'system' };

const THEMES = new Set<Settings['theme']>(['system', 'light', 'dark']);

export class SettingsStore {
  constructor(readonly file: string | undefined) {}

  /** What the file says, with defaults for whatever is missing or unreadable. */
  async load(): Promise<ServiceState> {
    const state: ServiceState = { settings: { ...DEFAULT_SETTINGS }, activeProfile: null };
    if (!this.file) return state;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return state;
    }
    if (typeof parsed !== 'object' || parsed === null) return state;
    const raw = parsed as { theme?: unknown; activeProfile?: unknown };
    if (typeof raw.theme === 'string' && THEMES.has(raw.theme as Settings['theme'])) state.settings.theme = raw.theme as Settings['theme'];
    if (typeof raw.activeProfile === 'string') state.activeProfile = raw.activeProfile;
    return state;
  }

  async save(state: ServiceState): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ ...state.settings, activeProfile: state.activeProfile }, null, 2)}\n`, 'utf8');
    await rename(temporary, this.file);
  }
}
