/** The service's small state file: user settings, which profile is active, and the exposures. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cidrProblem, customDomainProblem, defaultExposureLabel, EXPOSURE_ID_PATTERN, exposureLabelProblem, type Settings } from '../api/index.js';
import { MAX_BODY_CAP_BYTES, MAX_RING_SIZE } from '../../engine/app/inspector/inspector.js';
import type { StoredExposure } from './exposure-list.js';

export interface ServiceState {
  settings: Settings;
  activeProfile: string | null;
  exposures: StoredExposure[];
  exposuresPaused: boolean;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * A stored exposure, or undefined when the entry is damaged (it is dropped, the others kept).
 * A missing or bad label (a file from before names) gets the default; a damaged access field is
 * dropped on its own, except a damaged allowlist, which admits nobody rather than everyone.
 */
function readExposure(raw: unknown, taken: ReadonlySet<string>, takenDomains: ReadonlySet<string> = new Set()): StoredExposure | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const entry = raw as Record<string, unknown>;
  if (typeof entry.id !== 'string' || !EXPOSURE_ID_PATTERN.test(entry.id)) return undefined;
  if (typeof entry.localHost !== 'string' || entry.localHost === '' || !isPort(entry.localPort)) return undefined;
  const name = typeof entry.name === 'string' && entry.name.trim() !== '' ? entry.name.slice(0, 60) : `${entry.localHost}:${entry.localPort}`;
  const label = typeof entry.label === 'string' && exposureLabelProblem(entry.label) === null && !taken.has(entry.label)
    ? entry.label
    : defaultExposureLabel(name, entry.localPort, taken);
  const exposure: StoredExposure = {
    id: entry.id,
    name,
    localHost: entry.localHost,
    localPort: entry.localPort,
    publicPort: isPort(entry.publicPort) ? entry.publicPort : null,
    enabled: entry.enabled !== false,
    createdAt: typeof entry.createdAt === 'number' ? entry.createdAt : 0,
    label,
  };
  const auth = entry.basicAuth as { user?: unknown; password?: unknown } | undefined;
  if (typeof auth?.user === 'string' && auth.user !== '' && typeof auth.password === 'string' && auth.password !== '') {
    exposure.basicAuth = { user: auth.user, password: auth.password };
  }
  if (Array.isArray(entry.allow) && entry.allow.length > 0) {
    const allow = entry.allow.filter((cidr): cidr is string => typeof cidr === 'string' && cidrProblem(cidr) === null);
    // Fail closed: a list that lost entries keeps none of them open to everyone ("0.0.0.0/32" matches no visitor).
    exposure.allow = allow.length === entry.allow.length ? allow : ['0.0.0.0/32'];
  }
  if (entry.proxyProtocol === 1 || entry.proxyProtocol === 2) exposure.proxyProtocol = entry.proxyProtocol;
  // A damaged or repeated domain is dropped on its own: the exposure keeps its label.
  if (typeof entry.customDomain === 'string' && customDomainProblem(entry.customDomain) === null && !takenDomains.has(entry.customDomain)) exposure.customDomain = entry.customDomain;
  const inspector = readInspectorSettings(entry.inspector);
  if (inspector) exposure.inspector = inspector;
  return exposure;
}

/** The inspector's settings of one exposure, or undefined when missing or out of range (the defaults apply). */
function readInspectorSettings(raw: unknown): StoredExposure['inspector'] {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { enabled, ringSize, bodyCapBytes } = raw as Record<string, unknown>;
  if (typeof enabled !== 'boolean') return undefined;
  if (typeof ringSize !== 'number' || !Number.isInteger(ringSize) || ringSize < 1 || ringSize > MAX_RING_SIZE) return undefined;
  if (typeof bodyCapBytes !== 'number' || !Number.isInteger(bodyCapBytes) || bodyCapBytes < 0 || bodyCapBytes > MAX_BODY_CAP_BYTES) return undefined;
  return { enabled, ringSize, bodyCapBytes };
}

export const DEFAULT_SETTINGS: Settings = { theme: 'system' };

const THEMES = new Set<Settings['theme']>(['system', 'light', 'dark']);

export class SettingsStore {
  /** Damaged exposure entries skipped by the last `load` (the service says so in the log). */
  dropped = 0;

  constructor(readonly file: string | undefined) {}

  /** What the file says, with defaults for whatever is missing or unreadable. */
  async load(): Promise<ServiceState> {
    const state: ServiceState = { settings: { ...DEFAULT_SETTINGS }, activeProfile: null, exposures: [], exposuresPaused: false };
    if (!this.file) return state;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return state;
    }
    if (typeof parsed !== 'object' || parsed === null) return state;
    const raw = parsed as { theme?: unknown; activeProfile?: unknown; exposures?: unknown; exposuresPaused?: unknown; localPortalLan?: unknown; localPortalLanAddress?: unknown };
    if (typeof raw.theme === 'string' && THEMES.has(raw.theme as Settings['theme'])) state.settings.theme = raw.theme as Settings['theme'];
    if (typeof raw.activeProfile === 'string') state.activeProfile = raw.activeProfile;
    // Off unless the file says exactly true: the LAN is never opened by a damaged file.
    if (raw.localPortalLan === true) state.settings.localPortalLan = true;
    if (typeof raw.localPortalLanAddress === 'string' && /^\d{1,3}(?:\.\d{1,3}){3}$/.test(raw.localPortalLanAddress)) state.settings.localPortalLanAddress = raw.localPortalLanAddress;
    if (Array.isArray(raw.exposures)) {
      for (const entry of raw.exposures) {
        const exposure = readExposure(entry, new Set(state.exposures.map((kept) => kept.label)), new Set(state.exposures.flatMap((kept) => kept.customDomain ?? [])));
        if (exposure && !state.exposures.some((kept) => kept.id === exposure.id)) state.exposures.push(exposure);
        else this.dropped += 1;
      }
    }
    state.exposuresPaused = raw.exposuresPaused === true;
    return state;
  }

  async save(state: ServiceState): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    const content = { ...state.settings, activeProfile: state.activeProfile, exposures: state.exposures, exposuresPaused: state.exposuresPaused };
    // Owner only: it holds exposures' basic-auth passwords.
    await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`, { encoding: 'utf8', mode: 0o600 });
    await rename(temporary, this.file);
  }
}
