/**
 * The bridge profile a setup made on this machine, and what "Remove from server" does with it:
 * its portal is gone, so a profile left active would dial nothing forever. If it is the active
 * profile it is deactivated (the engine then runs as with no active profile: exposures on the
 * built-in local portal). Its file is deleted only when it is still the text the setup saved
 * (the digest recorded at setup): a profile the user edited since is theirs, and stays.
 */
import { createHash } from 'node:crypto';
import type { ServerRecord } from './known-servers.js';

/** What deactivating did to the engine; `not-active` when the profile was not the active one. */
export type DeactivateOutcome = 'not-active' | 'not-running' | 'stopped' | 'local-portal';

/** What this step needs from the service here. */
export interface BridgeProfileHost {
  /** The profile's text; rejects when there is no such profile. */
  getProfile(name: string): Promise<{ text: string }>;
  /** Makes `name` no longer the active profile (if it is), as if none had been activated. */
  deactivateProfile(name: string): Promise<DeactivateOutcome>;
  deleteProfile(name: string): Promise<void>;
}

/** The digest recorded for a profile's text (sha256, hex). */
export function profileDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const ENGINE_AFTER: Record<Exclude<DeactivateOutcome, 'not-active'>, string> = {
  'local-portal': 'exposures use the built-in local portal now',
  stopped: 'the engine stopped, as no other profile is active',
  'not-running': 'the engine was not running',
};

/**
 * Deactivates and, if unchanged, deletes the profile `record` names; resolves with what it did,
 * as a clause for the removal's last step (never rejects: the server side is removed already).
 */
export async function leaveBridgeProfile(host: BridgeProfileHost, record: Pick<ServerRecord, 'profile' | 'profileDigest'> | undefined): Promise<string> {
  if (!record) return 'no profile here was made for this server';
  const name = record.profile;
  let text: string;
  try {
    ({ text } = await host.getProfile(name));
  } catch {
    return `the bridge profile "${name}" is no longer here`;
  }
  const said: string[] = [];
  try {
    const outcome = await host.deactivateProfile(name);
    if (outcome !== 'not-active') said.push(`the bridge profile "${name}" was active: deactivated (${ENGINE_AFTER[outcome]})`);
  } catch (error) {
    return `the bridge profile "${name}" could not be deactivated: ${(error as Error).message}; deactivate it in Profiles`;
  }
  const subject = said.length > 0 ? 'its file' : `the bridge profile "${name}"`;
  if (record.profileDigest === undefined || profileDigest(text) !== record.profileDigest) {
    said.push(`${subject} was edited since the setup: kept`);
  } else {
    try {
      await host.deleteProfile(name);
      said.push(`${subject} was as the setup wrote it: deleted`);
    } catch (error) {
      said.push(`${subject} could not be deleted: ${(error as Error).message}`);
    }
  }
  return said.join('; ');
}
