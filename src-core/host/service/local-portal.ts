/**
 * The built-in local portal: when no configured bridge can carry the exposures (no profile, or a
 * profile without `reverse.bridges`), the engine is bridge and portal at once, as V2Ray allows.
 * The bridge's links go to the portal inside the same process (a routing rule, no VMess hop) and
 * the portal opens public ports on this machine. Loopback by default: exposing to the network is
 * the user's choice (a real server, or `listen` in their own portal config).
 */
import { loadConfig, type PortholeConfig } from '../../engine/config/index.js';

export const LOCAL_DOMAIN = 'local.porthole.invalid';
export const LOCAL_BRIDGE_TAG = 'porthole-local-bridge';
export const LOCAL_PORTAL_TAG = 'porthole-local-portal';
/** Public ports the local portal hands out (first free one first). */
export const LOCAL_PORT_RANGE = { from: 20000, to: 20999 };
export const LOCAL_LISTEN = '127.0.0.1';

/** The local portal alone, for when no profile is active. */
export function localPortalOnly(): PortholeConfig {
  return withLocalPortal(loadConfig([{ name: 'built-in local portal', text: '{"log": {"loglevel": "warning"}}' }]));
}

/** `config` plus the local bridge and portal; its routing rule goes first so no user rule can take the link. */
export function withLocalPortal(config: PortholeConfig): PortholeConfig {
  if (config.reverse.portals.some((portal) => portal.tag === LOCAL_PORTAL_TAG)) return config;
  return {
    ...config,
    reverse: {
      bridges: [{ tag: LOCAL_BRIDGE_TAG, domain: LOCAL_DOMAIN }, ...config.reverse.bridges],
      portals: [...config.reverse.portals, {
        tag: LOCAL_PORTAL_TAG,
        domain: LOCAL_DOMAIN,
        // Its only user is this app: the whole range, not a remote portal's per-user share.
        exposures: { ports: [LOCAL_PORT_RANGE], listen: LOCAL_LISTEN, publicHost: LOCAL_LISTEN, maxPerUser: LOCAL_PORT_RANGE.to - LOCAL_PORT_RANGE.from + 1 },
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
export function configForExposures(profile: PortholeConfig | undefined, hasExposures: boolean): PortholeConfig {
  if (!profile) return localPortalOnly();
  if (profile.reverse.bridges.length > 0 || !hasExposures) return profile;
  return withLocalPortal(profile);
}
