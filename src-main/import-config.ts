/**
 * "Import V2Ray config…" from the tray: a file becomes a stored profile. The wiring asks for the
 * file (Electron's open dialog) and reads it; this module picks the profile name and talks to the
 * service. No `electron` import.
 */
import { PROFILE_NAME_PATTERN, toErrorEnvelope } from '../src-core/host/api/index.js';
import type { EngineService, ErrorEnvelope, ProfileSummary } from '../src-core/host/api/index.js';

/** Config files are small; the contract refuses texts over 1 MiB, so refuse them before reading. */
export const MAX_CONFIG_BYTES = 1 << 20;

/**
 * `/home/me/My server.json` → `My server`; characters a profile name cannot hold become `-`, and
 * a name that is taken gets ` (2)`, ` (3)`… so an import never replaces an existing profile.
 */
export function profileNameForFile(filePath: string, taken: readonly string[]): string {
  const base = filePath.split(/[\\/]/).pop() ?? '';
  const stem = base.replace(/\.(jsonc?|json5|conf|txt)$/i, '');
  let name = stem.replace(/[^\p{L}\p{N} ._()+-]/gu, '-').replace(/^[^\p{L}\p{N}]+/u, '').slice(0, 72).trim();
  if (!PROFILE_NAME_PATTERN.test(name)) name = 'Imported config';
  const used = new Set(taken.map((existing) => existing.toLowerCase()));
  if (!used.has(name.toLowerCase())) return name;
  for (let index = 2; ; index += 1) {
    const candidate = `${name} (${index})`;
    if (!used.has(candidate.toLowerCase())) return candidate;
  }
}

export interface ImportOutcome {
  profile: ProfileSummary;
  /** True when it was made the active profile (nothing was active, and it loads). */
  activated: boolean;
  /** Why activating it failed (the engine could not start); the profile is saved all the same. */
  activationError: ErrorEnvelope | null;
}

/**
 * Saves `text` as a new profile named after `filePath`. A text that does not load is still kept
 * (the service keeps drafts; `profile.error` says why). When no profile is active yet and this
 * one loads, it becomes the active one, so a first import starts working at once.
 */
export async function importConfig(
  service: Pick<EngineService, 'listProfiles' | 'saveProfile' | 'activateProfile'>,
  filePath: string,
  text: string,
): Promise<ImportOutcome> {
  const existing = await service.listProfiles();
  const name = profileNameForFile(filePath, existing.map((profile) => profile.name));
  const profile = await service.saveProfile(name, text);
  const nothingActive = !existing.some((summary) => summary.active);
  if (profile.error !== null || !nothingActive) return { profile, activated: false, activationError: null };
  try {
    await service.activateProfile(name);
    return { profile: { ...profile, active: true }, activated: true, activationError: null };
  } catch (error) {
    return { profile, activated: false, activationError: toErrorEnvelope(error) };
  }
}
