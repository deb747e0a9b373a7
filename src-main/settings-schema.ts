/**
 * The tray app's persisted settings: their JSON Schema (for electron-store's `schema` option) and a
 * forgiving loader. A corrupt or partly invalid store never stops the app and never loses a valid
 * field silently: `loadSettings` keeps every field that validates, falls back to the default for
 * the rest, and says what it dropped in `warnings` (the wiring logs them and shows a notice).
 * No `electron` import.
 */
import { PROFILE_NAME_PATTERN } from '../src-core/host/api/index.js';

export type Theme = 'system' | 'light' | 'dark';

export interface ExposureSetting {
  id: string;
  name: string;
  localHost: string;
  localPort: number;
  /** The public port to ask the portal for; absent: the portal picks one. */
  publicPort?: number;
  enabled: boolean;
}

export interface AppSettings {
  launchAtLogin: boolean;
  startMinimised: boolean;
  theme: Theme;
  /** The profile to activate at start; null when none was chosen yet. */
  lastActiveProfile: string | null;
  exposures: ExposureSetting[];
}

export interface LoadedSettings {
  settings: AppSettings;
  warnings: string[];
}

export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export function defaultSettings(): AppSettings {
  return { launchAtLogin: false, startMinimised: false, theme: 'system', lastActiveProfile: null, exposures: [] };
}

const MAX_EXPOSURES = 256;
const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const HOST_PATTERN = '^[A-Za-z0-9.:\\[\\]_-]{1,255}$';

const exposureJsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    name: { type: 'string', maxLength: 200 },
    localHost: { type: 'string', pattern: HOST_PATTERN },
    localPort: { type: 'integer', minimum: 1, maximum: 65535 },
    publicPort: { type: 'integer', minimum: 1, maximum: 65535 },
    enabled: { type: 'boolean' },
  },
  required: ['id', 'name', 'localHost', 'localPort', 'enabled'],
  additionalProperties: false,
} as const;

/**
 * Per-key schemas, the shape electron-store's `schema` option takes (it wraps them in
 * `{type: 'object', properties: …}` itself). Plain JSON Schema, with defaults.
 */
export const SETTINGS_STORE_SCHEMA = {
  launchAtLogin: { type: 'boolean', default: false },
  startMinimised: { type: 'boolean', default: false },
  theme: { type: 'string', enum: [...THEMES], default: 'system' },
  lastActiveProfile: { type: ['string', 'null'], pattern: PROFILE_NAME_PATTERN.source, default: null },
  exposures: { type: 'array', items: exposureJsonSchema, maxItems: MAX_EXPOSURES, default: [] },
} as const;

/** The whole document as one JSON Schema (for tools and tests). */
export const SETTINGS_JSON_SCHEMA = {
  type: 'object',
  properties: SETTINGS_STORE_SCHEMA,
  additionalProperties: false,
} as const;

const SETTINGS_KEYS = Object.keys(SETTINGS_STORE_SCHEMA) as (keyof AppSettings)[];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** One exposure, or why it is not one. */
function readExposure(value: unknown): ExposureSetting | string {
  if (!isPlainObject(value)) return `is ${describe(value)}, not an object`;
  const { id, name, localHost, localPort, publicPort, enabled, ...unknown } = value;
  if (typeof id !== 'string' || !new RegExp(ID_PATTERN).test(id)) return 'has no valid id';
  if (typeof name !== 'string' || name.length > 200) return `"${id}" has no valid name`;
  if (typeof localHost !== 'string' || !new RegExp(HOST_PATTERN).test(localHost)) return `"${id}" has no valid localHost`;
  if (!isPort(localPort)) return `"${id}" has localPort ${describe(localPort)}, not a port 1–65535`;
  if (publicPort !== undefined && !isPort(publicPort)) return `"${id}" has publicPort ${describe(publicPort)}, not a port 1–65535`;
  if (typeof enabled !== 'boolean') return `"${id}" has enabled ${describe(enabled)}, not true or false`;
  const unknownKeys = Object.keys(unknown);
  if (unknownKeys.length > 0) return `"${id}" has unknown keys ${unknownKeys.join(', ')}`;
  return publicPort === undefined ? { id, name, localHost, localPort, enabled } : { id, name, localHost, localPort, publicPort, enabled };
}

/**
 * Reads what the store holds: the file's text or its parsed value. `undefined` (no store yet) gives
 * the defaults without a warning; anything else invalid gives the defaults for what is invalid and
 * one warning per dropped field or entry.
 */
export function loadSettings(raw: unknown): LoadedSettings {
  const settings = defaultSettings();
  const warnings: string[] = [];
  let value = raw;
  if (value === undefined) return { settings, warnings };
  if (typeof value === 'string') {
    if (value.trim() === '') return { settings, warnings };
    try {
      value = JSON.parse(value) as unknown;
    } catch (error) {
      warnings.push(`settings file is not valid JSON (${error instanceof Error ? error.message : 'parse error'}); using defaults`);
      return { settings, warnings };
    }
  }
  if (!isPlainObject(value)) {
    warnings.push(`settings are ${describe(value)}, not an object; using defaults`);
    return { settings, warnings };
  }

  for (const key of Object.keys(value)) {
    if (!(SETTINGS_KEYS as string[]).includes(key)) warnings.push(`settings: unknown key "${key.slice(0, 60)}" dropped`);
  }
  const { launchAtLogin, startMinimised, theme, lastActiveProfile, exposures } = value;

  if (launchAtLogin !== undefined) {
    if (typeof launchAtLogin === 'boolean') settings.launchAtLogin = launchAtLogin;
    else warnings.push(`settings.launchAtLogin is ${describe(launchAtLogin)}, not true or false; using false`);
  }
  if (startMinimised !== undefined) {
    if (typeof startMinimised === 'boolean') settings.startMinimised = startMinimised;
    else warnings.push(`settings.startMinimised is ${describe(startMinimised)}, not true or false; using false`);
  }
  if (theme !== undefined) {
    if (typeof theme === 'string' && (THEMES as string[]).includes(theme)) settings.theme = theme as Theme;
    else warnings.push(`settings.theme is ${describe(theme)}, not one of ${THEMES.join(', ')}; using system`);
  }
  if (lastActiveProfile !== undefined) {
    if (lastActiveProfile === null || (typeof lastActiveProfile === 'string' && PROFILE_NAME_PATTERN.test(lastActiveProfile))) {
      settings.lastActiveProfile = lastActiveProfile;
    } else {
      warnings.push(`settings.lastActiveProfile is ${describe(lastActiveProfile)}, not a profile name; using none`);
    }
  }
  if (exposures !== undefined) {
    if (!Array.isArray(exposures)) {
      warnings.push(`settings.exposures is ${describe(exposures)}, not a list; using none`);
    } else {
      const seen = new Set<string>();
      exposures.forEach((entry: unknown, index) => {
        if (index >= MAX_EXPOSURES) {
          if (index === MAX_EXPOSURES) warnings.push(`settings.exposures has more than ${MAX_EXPOSURES} entries; the rest are dropped`);
          return;
        }
        const read = readExposure(entry);
        if (typeof read === 'string') {
          warnings.push(`settings.exposures[${index}] ${read}; dropped`);
        } else if (seen.has(read.id)) {
          warnings.push(`settings.exposures[${index}] repeats id "${read.id}"; dropped`);
        } else {
          seen.add(read.id);
          settings.exposures.push(read);
        }
      });
    }
  }
  return { settings, warnings };
}
