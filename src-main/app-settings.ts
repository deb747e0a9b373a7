/**
 * The tray app's settings in electron-store (`<userData>/settings.json`), validated by the schema
 * in `settings-schema.ts`. The file is checked and repaired first (`recoverSettingsFile`), so a
 * corrupt file gives defaults and warnings instead of a crash or a silent reset. When the store
 * cannot be opened at all, settings live in memory for this run and a warning says so.
 * Imports electron-store, which imports `electron`: used only by the main process.
 */
import Store from 'electron-store';
import { join } from 'node:path';
import { recoverSettingsFile } from './settings-file.js';
import { SETTINGS_STORE_SCHEMA } from './settings-schema.js';
import type { AppSettings } from './settings-schema.js';

export interface AppSettingsStore {
  /** The current settings (a copy). */
  get(): AppSettings;
  /** Changes and saves some settings; a write failure is reported through `warn`, never thrown. */
  update(patch: Partial<AppSettings>): void;
  /** Where they are kept, or null when only in memory. */
  readonly path: string | null;
}

export const SETTINGS_FILE_NAME = 'settings';

/** Opens the store in `userDataFolder`; `warnings` says what was dropped or why nothing is saved. */
export function openAppSettings(userDataFolder: string, warn: (message: string) => void): { store: AppSettingsStore; warnings: string[]; backupPath: string | null } {
  const file = join(userDataFolder, `${SETTINGS_FILE_NAME}.json`);
  const recovered = recoverSettingsFile(file);
  const warnings = [...recovered.warnings];
  let store: Store<AppSettings> | undefined;
  try {
    store = new Store<AppSettings>({
      name: SETTINGS_FILE_NAME,
      cwd: userDataFolder,
      schema: SETTINGS_STORE_SCHEMA,
      // Never: recoverSettingsFile has repaired the file, and clearing would lose what it kept.
      clearInvalidConfig: false,
      accessPropertiesByDotNotation: false,
    });
  } catch (error) {
    warnings.push(`settings cannot be saved this run (${error instanceof Error ? error.message : String(error)}); changes last until Porthole quits`);
  }

  let memory: AppSettings = recovered.settings;
  return {
    warnings,
    backupPath: recovered.backupPath,
    store: {
      path: store ? store.path : null,
      // Read from memory: the app is the file's only writer while it runs, and conf would re-read
      // and re-validate the whole file on every get.
      get() {
        return structuredClone(memory);
      },
      update(patch) {
        memory = { ...memory, ...patch };
        if (!store) return;
        try {
          store.set(memory);
        } catch (error) {
          warn(`settings: could not save ${Object.keys(patch).join(', ')}: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    },
  };
}
