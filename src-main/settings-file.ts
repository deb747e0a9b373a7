/**
 * Makes the settings file safe for electron-store before it opens it. electron-store (conf) throws
 * on a file that is not valid JSON or breaks the schema, and with `clearInvalidConfig` it would
 * silently start from nothing and overwrite the file. Neither is acceptable (issue 6: "corrupt
 * store file → defaults and a warning, nothing lost silently"), so the app reads the file first:
 * `loadSettings` keeps every valid field, the original is copied aside when anything had to be
 * dropped, and the cleaned settings are written back for electron-store to open.
 * Node only (no `electron` import), so it is tested on real files in a temporary folder.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultSettings, loadSettings } from './settings-schema.js';
import type { AppSettings } from './settings-schema.js';

export interface RecoveredSettings {
  settings: AppSettings;
  /** One line per dropped field or entry; empty when the file was fine or absent. */
  warnings: string[];
  /** Where the original file was kept, when it had to be rewritten. */
  backupPath: string | null;
}

/** `settings.json` → `settings.json.invalid-2026-01-02T03-04-05Z` (no characters Windows refuses). */
export function backupPathFor(path: string, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
  return `${path}.invalid-${stamp}`;
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, 'utf8');
  renameSync(temporary, path);
}

/**
 * Reads `path`, repairs it when needed and says what it did. Never throws for the file's content;
 * a file that cannot be read at all (permissions) gives the defaults and a warning and is left alone.
 */
export function recoverSettingsFile(path: string, now: Date = new Date()): RecoveredSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { settings: defaultSettings(), warnings: [], backupPath: null };
    return { settings: defaultSettings(), warnings: [`settings file ${path} cannot be read (${code ?? 'error'}); using defaults for this run`], backupPath: null };
  }
  const { settings, warnings } = loadSettings(text);
  if (warnings.length === 0) return { settings, warnings, backupPath: null };
  const backupPath = backupPathFor(path, now);
  try {
    copyFileSync(path, backupPath);
  } catch (error) {
    // Without a copy, rewriting would lose what the user had: keep the file as it is.
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { settings, warnings: [...warnings, `the original could not be copied aside (${code}), so ${path} was left unchanged`], backupPath: null };
  }
  writeAtomically(path, `${JSON.stringify(settings, null, '\t')}\n`);
  return { settings, warnings: [...warnings, `the original file is kept as ${backupPath}`], backupPath };
}
