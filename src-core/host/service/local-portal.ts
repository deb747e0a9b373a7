/**
 * The built-in local portal: when no configured bridge can carry the exposures (no profile, or a
 * profile without `reverse.bridges`), the engine is bridge and portal at once, as V2Ray allows.
 * The bridge's links go to the portal inside the same process (a routing rule, no VMess hop) and
 * the portal opens public ports on this machine. Loopback by default: exposing to the network is
 * the user's choice (the `localPortalLan` setting, a real server, or `listen` in their own portal config).
 */
import { networkInterfaces } from 'node:os';
import type { LocalPortalInfo, Settings } from '../api/index.js';
import { loadConfig, type PortholeConfig } from '../../engine/config/index.js';

export const LOCAL_DOMAIN = 'local.porthole.invalid';
export const LOCAL_BRIDGE_TAG = 'porthole-local-bridge';
export const LOCAL_PORTAL_TAG = 'porthole-local-portal';
/** Public ports the local portal hands out (first free one first). */
export const LOCAL_PORT_RANGE = { from: 20000, to: 20999 };
export const LOCAL_LISTEN = '127.0.0.1';

/** Where the local portal listens and which host its public addresses name. */
export interface LocalPortalAddress {
  listen: string;
  publicHost: string;
  /** Why the LAN setting could not be followed, else null. */
  problem: string | null;
}

export const LOOPBACK_ONLY: LocalPortalAddress = { listen: LOCAL_LISTEN, publicHost: LOCAL_LISTEN, problem: null };

/** This machine's IPv4 addresses on its networks (not loopback, not link-local), in interface order. */
export function lanAddresses(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string[] {
  const found: string[] = [];
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4' || entry.internal || entry.address.startsWith('169.254.')) continue;
      if (!found.includes(entry.address)) found.push(entry.address);
    }
  }
  return found;
}

/**
 * Loopback unless the user turned `localPortalLan` on (issue 4/7): then all interfaces, naming the
 * first LAN address, or only the chosen address. A chosen address this machine no longer has
 * falls back to loopback (never wider than asked), with the reason.
 */
export function localPortalAddress(settings: Pick<Settings, 'localPortalLan' | 'localPortalLanAddress'>, lan: readonly string[] = lanAddresses()): LocalPortalAddress {
  if (settings.localPortalLan !== true) return LOOPBACK_ONLY;
  const chosen = settings.localPortalLanAddress ?? null;
  if (chosen !== null) {
    if (lan.includes(chosen)) return { listen: chosen, publicHost: chosen, problem: null };
    return { ...LOOPBACK_ONLY, problem: `this machine has no address ${chosen} now: the built-in portal listens on 127.0.0.1 only until it does (or choose another in Settings)` };
  }
  const first = lan[0];
  if (first === undefined) return { ...LOOPBACK_ONLY, problem: 'this machine has no network address now: the built-in portal listens on 127.0.0.1 only' };
  return { listen: '0.0.0.0', publicHost: first, problem: null };
}

/** What the snapshot says about the local portal. */
export function localPortalInfo(address: LocalPortalAddress, inUse: boolean, lan: readonly string[]): LocalPortalInfo {
  return { inUse, listen: address.listen, publicHost: address.publicHost, lan: address.listen !== LOCAL_LISTEN, lanAddresses: [...lan], problem: address.problem };
}

/** True when `config` carries the built-in local portal. */
export function hasLocalPortal(config: PortholeConfig): boolean {
  return config.reverse.portals.some((portal) => portal.tag === LOCAL_PORTAL_TAG);
}

/** The local portal alone, for when no profile is active. */
export function localPortalOnly(address: LocalPortalAddress = LOOPBACK_ONLY): PortholeConfig {
  return withLocalPortal(loadConfig([{ name: 'built-in local portal', text: '{"log": {"loglevel": "warning"}}' }]), address);
}

/** `config` plus the local bridge and portal; its routing rule goes first so no user rule can take the link. */
export function withLocalPortal(config: PortholeConfig, address: LocalPortalAddress = LOOPBACK_ONLY): PortholeConfig {
  if (hasLocalPortal(config)) return config;
  return {
    ...config,
    reverse: {
      bridges: [{ tag: LOCAL_BRIDGE_TAG, domain: LOCAL_DOMAIN }, ...config.reverse.bridges],
      portals: [...config.reverse.portals, {
        tag: LOCAL_PORTAL_TAG,
        domain: LOCAL_DOMAIN,
        // Its only user is this app: the whole range, not a remote portal's per-user share.
        exposures: { ports: [LOCAL_PORT_RANGE], listen: address.listen, publicHost: address.publicHost, maxPerUser: LOCAL_PORT_RANGE.to - LOCAL_PORT_RANGE.from + 1 },
      }],
    },
    routing: {
      ...config.routing,
      rules: [
        { outboundTag: LOCAL_PORTAL_TAG, inboundTag: [LOCAL_BRIDGE_TAG], domain: [{ kind: 'full', value: LOCAL_DOMAIN }] },
        ...config.routing.rules,
      ],
    },
  };
}

/**
 * What the engine runs: the profile's config, plus the built-in local portal when the profile has
 * no bridge of its own to carry the exposures (or alone, without a profile).
 */
export function configForExposures(profile: PortholeConfig | undefined, hasExposures: boolean, address: LocalPortalAddress = LOOPBACK_ONLY): PortholeConfig {
  if (!profile) return localPortalOnly(address);
  if (profile.reverse.bridges.length > 0 || !hasExposures) return profile;
  return withLocalPortal(profile, address);
}
