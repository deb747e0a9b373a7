import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { defaultSettings, loadSettings, SETTINGS_JSON_SCHEMA, SETTINGS_STORE_SCHEMA } from './settings-schema.js';
import type { AppSettings } from './settings-schema.js';

const valid: AppSettings = {
  launchAtLogin: true,
  startMinimised: true,
  theme: 'dark',
  lastActiveProfile: 'home bridge',
  exposures: [
    { id: 'web', name: 'Web UI', localHost: 'localhost', localPort: 80, publicPort: 8080, enabled: true },
    { id: 'nas', name: 'NAS', localHost: '192.168.1.10', localPort: 5000, enabled: false },
  ],
};

describe('loadSettings', () => {
  it('round-trips valid settings, as an object and as file text, without warnings', () => {
    expect(loadSettings(valid)).toEqual({ settings: valid, warnings: [] });
    expect(loadSettings(JSON.stringify(valid, null, 2))).toEqual({ settings: valid, warnings: [] });
    expect(loadSettings(loadSettings(valid).settings).settings).toEqual(valid);
  });

  it.each([
    ['no store yet', undefined],
    ['an empty file', ''],
    ['an empty object', {}],
  ])('gives defaults quietly for %s', (_name, raw) => {
    expect(loadSettings(raw)).toEqual({ settings: defaultSettings(), warnings: [] });
  });

  it.each([
    ['corrupt JSON text', '{"launchAtLogin": tru', /not valid JSON/],
    ['truncated file', JSON.stringify(valid).slice(0, 40), /not valid JSON/],
    ['a JSON array', '[1,2]', /an array, not an object/],
    ['a JSON number', '3', /3, not an object/],
    ['null', null, /null, not an object/],
  ])('gives defaults and a warning for %s', (_name, raw, warning) => {
    const loaded = loadSettings(raw);
    expect(loaded.settings).toEqual(defaultSettings());
    expect(loaded.warnings).toEqual([expect.stringMatching(warning) as unknown as string]);
  });

  it('keeps every valid field when others have the wrong type', () => {
    const loaded = loadSettings({ launchAtLogin: 'yes', startMinimised: true, theme: 'blue', lastActiveProfile: '../x', exposures: valid.exposures });
    expect(loaded.settings).toEqual({ ...defaultSettings(), startMinimised: true, exposures: valid.exposures });
    expect(loaded.warnings).toEqual([
      expect.stringMatching(/^settings\.launchAtLogin is "yes"/),
      expect.stringMatching(/^settings\.theme is "blue", not one of system, light, dark/),
      expect.stringMatching(/^settings\.lastActiveProfile is "\.\.\/x"/),
    ]);
  });

  it('keeps the valid exposures and names the dropped ones', () => {
    const loaded = loadSettings({
      ...valid,
      exposures: [
        valid.exposures[0],
        { id: 'bad-port', name: 'x', localHost: 'localhost', localPort: 70000, enabled: true },
        { id: 'bad-public', name: 'x', localHost: 'localhost', localPort: 81, publicPort: 0, enabled: true },
        { id: 'no-enabled', name: 'x', localHost: 'localhost', localPort: 82 },
        { id: 'extra', name: 'x', localHost: 'localhost', localPort: 83, enabled: true, script: 'rm -rf' },
        'localhost:80',
        { ...valid.exposures[0], name: 'dup' },
        valid.exposures[1],
      ],
    });
    expect(loaded.settings).toEqual(valid);
    expect(loaded.warnings).toEqual([
      'settings.exposures[1] "bad-port" has localPort 70000, not a port 1–65535; dropped',
      'settings.exposures[2] "bad-public" has publicPort 0, not a port 1–65535; dropped',
      'settings.exposures[3] "no-enabled" has enabled missing, not true or false; dropped',
      'settings.exposures[4] "extra" has unknown keys script; dropped',
      'settings.exposures[5] is "localhost:80", not an object; dropped',
      'settings.exposures[6] repeats id "web"; dropped',
    ]);
  });

  it('drops unknown keys with a warning and keeps the rest', () => {
    const text = JSON.stringify({ ...valid, windowBounds: { x: 1 } }).replace(/^\{/, '{"__proto__":{"polluted":true},');
    const loaded = loadSettings(text);
    expect(loaded.settings).toEqual(valid);
    expect(Object.getPrototypeOf(loaded.settings)).toBe(Object.prototype);
    expect(loaded.warnings).toEqual(['settings: unknown key "__proto__" dropped', 'settings: unknown key "windowBounds" dropped']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('drops a non-list exposures value', () => {
    expect(loadSettings({ exposures: { web: {} } })).toEqual({ settings: defaultSettings(), warnings: ['settings.exposures is an object, not a list; using none'] });
  });
});

describe('SETTINGS_JSON_SCHEMA (as electron-store compiles it)', () => {
  // electron-store (conf) compiles `{type: 'object', properties: schema}` with Ajv 2020.
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true });
  const validateDocument = ajv.compile(SETTINGS_JSON_SCHEMA);
  const validateStore = ajv.compile({ type: 'object', properties: SETTINGS_STORE_SCHEMA });

  it('accepts the defaults and valid settings', () => {
    expect([validateDocument(defaultSettings()), validateDocument(valid), validateStore(valid)]).toEqual([true, true, true]);
  });

  it.each([
    ['a wrong theme', { theme: 'blue' }],
    ['a string for a boolean', { launchAtLogin: 'yes' }],
    ['a bad profile name', { lastActiveProfile: '../x' }],
    ['a port out of range', { exposures: [{ id: 'a', name: 'a', localHost: 'localhost', localPort: 0, enabled: true }] }],
    ['an exposure with an unknown key', { exposures: [{ id: 'a', name: 'a', localHost: 'localhost', localPort: 80, enabled: true, x: 1 }] }],
  ])('rejects %s, as loadSettings does', (_name, patch) => {
    const document = { ...defaultSettings(), ...patch };
    expect(validateDocument(document)).toBe(false);
    expect(loadSettings(document).warnings).toHaveLength(1);
  });

  it('fills defaults for missing keys the way loadSettings does', () => {
    const data: Record<string, unknown> = {};
    expect(validateStore(data)).toBe(true);
    expect(data).toEqual(defaultSettings());
  });
});
