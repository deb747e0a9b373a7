/**
 * What each engine connection is to the user, so every user connection and byte is counted once
 * (issue 4/7 "Honest figures"):
 *
 * - `'tunnel'`: a bridge↔portal link itself (its target is a reverse domain): not a user connection;
 * - `'public'`: a portal's public-side connection (a visitor) whose bridge runs in this same
 *   instance (bridge and portal in one process, as examples/local-demo.json and the built-in
 *   local portal are): it is the user connection; its download counts where it reaches the
 *   visitor, its upload where it reaches the service, on its service side;
 * - `'service'`: that bridge's service-side connection for the same visitor: not counted again,
 *   except its upload (the bytes written to the service's socket);
 * - `'user'`: anything else (a bridge whose portal is elsewhere, a portal whose bridges are
 *   elsewhere, a plain proxy connection): one user connection, both directions.
 *
 * A bridge and a portal of one config with the same `domain` pair with each other (V2Ray pairs
 * them by domain), so that is how the service side is told from a bridge of a remote portal.
 */
import type { PortholeConfig } from '../../engine/config/index.js';
import type { ConnectionSnapshot } from '../../engine/features/stats.js';

export type ConnectionRole = 'tunnel' | 'user' | 'public' | 'service';

/** `tcp:host:port` → host (IPv6 hosts keep their brackets). */
function hostOf(target: string): string {
  const first = target.indexOf(':');
  const last = target.lastIndexOf(':');
  return first >= 0 && last > first ? target.slice(first + 1, last) : target;
}

export function connectionRoles(config: PortholeConfig): (connection: ConnectionSnapshot) => ConnectionRole {
  const { bridges, portals } = config.reverse;
  const domains = new Set([...bridges.map((bridge) => bridge.domain), ...portals.map((portal) => portal.domain)]);
  const portalDomains = new Set(portals.map((portal) => portal.domain));
  const bridgeDomains = new Set(bridges.map((bridge) => bridge.domain));
  const pairedBridges = new Set(bridges.filter((bridge) => portalDomains.has(bridge.domain)).map((bridge) => bridge.tag));
  const pairedPortals = new Set(portals.filter((portal) => bridgeDomains.has(portal.domain)).map((portal) => portal.tag));
  return (connection) => {
    if (domains.size > 0 && domains.has(hostOf(connection.target))) return 'tunnel';
    if (pairedBridges.has(connection.inboundTag)) return 'service';
    if (pairedPortals.has(connection.outboundTag)) return 'public';
    return 'user';
  };
}
