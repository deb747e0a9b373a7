import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupPathFor, recoverSettingsFile } from './settings-file.js';
import { defaultSettings, loadSettings } from './settings-schema.js';
import type { AppSettings } from './settings-schema.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const good: AppSettings = {
  launchAtLogin: true, startMinimised: false, theme: 'dark', lastActiveProfile: 'home',
  exposures: [{ id: 'e-00000001', name: 'Web', localHost: 'localhost', localPort: 80, enabled: true }],
};

let folder: string;
let file: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-settings-'));
  file = join(folder, 'settings.json');
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

describe('recoverSettingsFile', () => {
  it('no file yet: defaults, quietly, and nothing written', () => {
    expect(recoverSettingsFile(file, NOW)).toEqual({ settings: defaultSettings(), warnings: [], backupPath: null });
    expect(readdirSync(folder)).toEqual([]);
  });

  it('a good file is read and left untouched', () => {
    const text = JSON.stringify(good);
    writeFileSync(file, text);
    expect(recoverSettingsFile(file, NOW)).toEqual({ settings: good, warnings: [], backupPath: null });
    expect([readFileSync(file, 'utf8'), readdirSync(folder)]).toEqual([text, ['settings.json']]);
  });

  it('a corrupt file: defaults, a warning, the original kept aside, a valid file for electron-store', () => {
    const corrupt = '{"launchAtLogin": true, "theme": "da';
    writeFileSync(file, corrupt);
    const recovered = recoverSettingsFile(file, NOW);
    const backup = join(folder, 'settings.json.invalid-2026-01-02T03-04-05Z');
    expect(recovered).toEqual({
      settings: defaultSettings(),
      warnings: [expect.stringMatching(/^settings file is not valid JSON/), `the original file is kept as ${backup}`],
      backupPath: backup,
    });
    expect(readFileSync(backup, 'utf8')).toBe(corrupt);
    expect(loadSettings(readFileSync(file, 'utf8'))).toEqual({ settings: defaultSettings(), warnings: [] });
  });

  it('a partly invalid file keeps every valid field and names what it dropped', () => {
    const mixed = { ...good, theme: 'neon', exposures: [...good.exposures, { id: 'bad', name: 'x', localHost: 'localhost', localPort: 0, enabled: true }] };
    writeFileSync(file, JSON.stringify(mixed));
    const recovered = recoverSettingsFile(file, NOW);
    expect(recovered.settings).toEqual({ ...good, theme: 'system' });
    expect(recovered.warnings).toEqual([
      expect.stringMatching(/^settings\.theme is "neon"/),
      expect.stringMatching(/^settings\.exposures\[1\] "bad" has localPort 0/),
      expect.stringMatching(/^the original file is kept as /),
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ ...good, theme: 'system' });
    expect(JSON.parse(readFileSync(recovered.backupPath ?? '', 'utf8'))).toEqual(mixed);
  });

  it('an unreadable file (a folder in its place) is left alone, with a warning', () => {
    const recovered = recoverSettingsFile(folder, NOW);
    expect(recovered.settings).toEqual(defaultSettings());
    expect(recovered.warnings).toEqual([expect.stringMatching(/cannot be read \(EISDIR\); using defaults for this run/)]);
  });
});

describe('backupPathFor', () => {
  it('uses a timestamp without characters Windows refuses', () => {
    expect(backupPathFor('/x/settings.json', NOW)).toBe('/x/settings.json.invalid-2026-01-02T03-04-05Z');
  });
});
