/**
 * The built-in local portal: when no configured bridge can carry the exposures (no profile, or a
 * profile without `reverse.bridges`), the engine is bridge and portal at once, as V2Ray allows.
 * The bridge's links go to the portal inside the same process (a routing rule, no VMess hop) and
 * the portal opens public ports on this machine. Loopback by default: exposing to the network is
 * the user's choice (the `localPortalLan` setting, a real server, or `listen` in their own portal config).
 */
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { LocalPortalInfo, Settings } from '../api/index.js';
import { loadConfig, type PortalNamesConfig, type PortholeConfig } from '../../engine/config/index.js';

export const LOCAL_DOMAIN = 'local.porthole.invalid';
export const LOCAL_BRIDGE_TAG = 'porthole-local-bridge';
export const LOCAL_PORTAL_TAG = 'porthole-local-portal';
/** Public ports the local portal hands out (first free one first). */
export const LOCAL_PORT_RANGE = { from: 20000, to: 20999 };
export const LOCAL_LISTEN = '127.0.0.1';
/**
 * Where the built-in portal serves names, `http://<label>.localhost:21080` (browsers resolve
 * `*.localhost` to this machine, RFC 6761): outside the public-port range, with a few fallbacks
 * when another program holds it.
 */
export const LOCAL_NAMES_PORTS = [21080, 21081, 21082, 21083, 21084, 21085, 21086, 21087, 21088, 21089] as const;
export const LOCAL_NAMES_DOMAIN = 'localhost';

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

/** The built-in portal's names on HTTP `port` (no certificates: `*.localhost` is this machine only). */
export function localNames(port: number): PortalNamesConfig {
  return { domain: LOCAL_NAMES_DOMAIN, httpPort: port, certificates: [], customDomains: false };
}

/**
 * The first of `ports` free to listen on at `host`, or null (names are then left out and the
 * exposures keep their host:port addresses). Another program may still take it before the engine
 * listens: the service then starts without names (local-engine-service.ts).
 */
export async function freeNamesPort(host: string, ports: readonly number[] = LOCAL_NAMES_PORTS): Promise<number | null> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host: host === '0.0.0.0' ? '::' : host, port, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return null;
}

/**
 * Whether names can work with the portal listening at `listen`: `*.localhost` resolves to
 * loopback, so a portal bound to one LAN address only cannot be reached by them.
 */
export function namesReachLoopback(listen: string): boolean {
  return listen === LOCAL_LISTEN || listen === '0.0.0.0';
}

/** True when `config` carries the built-in local portal. */
export function hasLocalPortal(config: PortholeConfig): boolean {
  return config.reverse.portals.some((portal) => portal.tag === LOCAL_PORTAL_TAG);
}

/** The local portal alone, for when no profile is active. */
export function localPortalOnly(address: LocalPortalAddress = LOOPBACK_ONLY, namesPort: number | null = null): PortholeConfig {
  return withLocalPortal(loadConfig([{ name: 'built-in local portal', text: '{"log": {"loglevel": "warning"}}' }]), address, namesPort);
}

/**
 * `config` plus the local bridge and portal; its routing rule goes first so no user rule can take
 * the link. `namesPort`: the HTTP port for `<label>.localhost` names (null: none).
 */
export function withLocalPortal(config: PortholeConfig, address: LocalPortalAddress = LOOPBACK_ONLY, namesPort: number | null = null): PortholeConfig {
  if (hasLocalPortal(config)) return config;
  return {
    ...config,
    reverse: {
      bridges: [{ tag: LOCAL_BRIDGE_TAG, domain: LOCAL_DOMAIN }, ...config.reverse.bridges],
      portals: [...config.reverse.portals, {
        tag: LOCAL_PORTAL_TAG,
        domain: LOCAL_DOMAIN,
        // Its only user is this app: the whole range, not a remote portal's per-user share.
        exposures: {
          ports: [LOCAL_PORT_RANGE], listen: address.listen, publicHost: address.publicHost, maxPerUser: LOCAL_PORT_RANGE.to - LOCAL_PORT_RANGE.from + 1,
          ...(namesPort !== null && namesReachLoopback(address.listen) ? { names: localNames(namesPort) } : {}),
        },
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
export function configForExposures(profile: PortholeConfig | undefined, hasExposures: boolean, address: LocalPortalAddress = LOOPBACK_ONLY, namesPort: number | null = null): PortholeConfig {
  if (!profile) return localPortalOnly(address, namesPort);
  if (profile.reverse.bridges.length > 0 || !hasExposures) return profile;
  return withLocalPortal(profile, address, namesPort);
}

/** The same config with the built-in portal's names left out (their port could not be had). */
export function withoutLocalNames(config: PortholeConfig): PortholeConfig {
  return {
    ...config,
    reverse: {
      ...config.reverse,
      portals: config.reverse.portals.map((portal) => {
        if (portal.tag !== LOCAL_PORTAL_TAG || !portal.exposures?.names) return portal;
        const { names: _names, ...exposures } = portal.exposures;
        return { ...portal, exposures };
      }),
    },
  };
}

/** The HTTP port of the built-in portal's names in `config`, or null when it has none. */
export function localNamesPort(config: PortholeConfig): number | null {
  return config.reverse.portals.find((portal) => portal.tag === LOCAL_PORTAL_TAG)?.exposures?.names?.httpPort ?? null;
}
