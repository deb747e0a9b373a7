import { describe, expect, it } from 'vitest';
import { leaveBridgeProfile, profileDigest, type BridgeProfileHost, type DeactivateOutcome } from './bridge-profile-here.js';

const WRITTEN = '{"reverse": {"bridges": [{"tag": "bridge", "domain": "d"}]}}\n';

/** Profiles in memory; records what was done to them. */
function host(profiles: Record<string, string>, outcome: DeactivateOutcome): BridgeProfileHost & { done: string[] } {
  const done: string[] = [];
  return {
    done,
    getProfile: async (name) => {
      const text = profiles[name];
      if (text === undefined) throw new Error(`no profile "${name}"`);
      return { text };
    },
    deactivateProfile: async (name) => { done.push(`deactivate ${name}`); return outcome; },
    deleteProfile: async (name) => { done.push(`delete ${name}`); delete profiles[name]; },
  };
}

describe('leaveBridgeProfile (after "Remove from server")', () => {
  const record = { profile: 'server vps', profileDigest: profileDigest(WRITTEN) };
  it.each<[string, string, DeactivateOutcome, string[], string]>([
    ['active, unchanged, exposures', WRITTEN, 'local-portal', ['deactivate server vps', 'delete server vps'],
      'the bridge profile "server vps" was active: deactivated (exposures use the built-in local portal now); its file was as the setup wrote it: deleted'],
    ['active, edited, no exposures', `// mine\n${WRITTEN}`, 'stopped', ['deactivate server vps'],
      'the bridge profile "server vps" was active: deactivated (the engine stopped, as no other profile is active); its file was edited since the setup: kept'],
    ['active, engine not running', WRITTEN, 'not-running', ['deactivate server vps', 'delete server vps'],
      'the bridge profile "server vps" was active: deactivated (the engine was not running); its file was as the setup wrote it: deleted'],
    ['not active, unchanged', WRITTEN, 'not-active', ['deactivate server vps', 'delete server vps'],
      'the bridge profile "server vps" was as the setup wrote it: deleted'],
    ['not active, edited', `${WRITTEN} `, 'not-active', ['deactivate server vps'],
      'the bridge profile "server vps" was edited since the setup: kept'],
  ])('%s', async (_name, text, outcome, done, said) => {
    const here = host({ 'server vps': text }, outcome);
    expect({ said: await leaveBridgeProfile(here, record), done: here.done }).toEqual({ said, done });
  });

  it('keeps a profile when the setup recorded no digest (a setup from before digests)', async () => {
    const here = host({ 'server vps': WRITTEN }, 'not-active');
    expect(await leaveBridgeProfile(here, { profile: 'server vps' })).toBe('the bridge profile "server vps" was edited since the setup: kept');
    expect(here.done).toEqual(['deactivate server vps']);
  });

  it('says so when there is no record or no profile, and never rejects', async () => {
    expect(await leaveBridgeProfile(host({}, 'not-active'), undefined)).toBe('no profile here was made for this server');
    expect(await leaveBridgeProfile(host({}, 'not-active'), record)).toBe('the bridge profile "server vps" is no longer here');
    const failing = { ...host({ 'server vps': WRITTEN }, 'stopped'), deactivateProfile: () => Promise.reject(new Error('the engine would not stop')) };
    expect(await leaveBridgeProfile(failing, record)).toBe('the bridge profile "server vps" could not be deactivated: the engine would not stop; deactivate it in Profiles');
  });
});
