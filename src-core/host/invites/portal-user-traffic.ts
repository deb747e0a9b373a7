/**
 * A portal's figures per bridge user, read from the running engine: the links each user holds,
 * the exposures its bridges hold, and the visitor connections and bytes through those exposures.
 * The engine knows users by key (a digest of the UUID, `Session.userKey`), never by UUID; the
 * key is worked out here the way the inbound does, so a UUID from the config finds its figures.
 */
import type { PortalUserTraffic } from '../api/index.js';
import { bridgeUserExposureOfTag } from '../api/exposure-tag.js';
import type { Instance } from '../../engine/instance.js';
import { userKeyOf as vlessUserKeyOf, uuidBytes } from '../../engine/proxy/vless/account.js';
import { parseUuid } from '../../engine/proxy/vmess/account.js';
import { userKeyOf as vmessUserKeyOf } from '../../engine/proxy/vmess/inbound.js';

export const NO_TRAFFIC: PortalUserTraffic = { links: 0, exposures: 0, openConnections: 0, totalConnections: 0, bytesDown: 0, bytesUp: 0 };

/** The engine's key for a user of a VMess or VLESS inbound. */
export function userKeyFor(protocol: 'vmess' | 'vless', id: string): string {
  return protocol === 'vmess' ? vmessUserKeyOf(parseUuid(id)) : vlessUserKeyOf(uuidBytes(id));
}

/** Reads the figures of one portal once; `of(key)` then answers per user. */
export function portalTraffic(instance: Instance | undefined, portalTag: string): { of(userKey: string): PortalUserTraffic } {
  const portal = instance?.portals.find((candidate) => candidate.tag === portalTag);
  if (!instance || !portal) return { of: () => ({ ...NO_TRAFFIC }) };
  const links = portal.linkCountsByUser();
  const exposures = instance.exposureCountsOf(portal);
  // Public listeners for a user's exposures are inbounds tagged `exposure@<user key>:<id>`.
  const visitors = new Map<string, PortalUserTraffic>();
  for (const total of instance.stats.tagTotals()) {
    if (total.side !== 'inbound') continue;
    const owner = bridgeUserExposureOfTag(total.tag)?.owner;
    if (owner === undefined) continue;
    const sum = visitors.get(owner) ?? { ...NO_TRAFFIC };
    sum.openConnections += total.open;
    sum.totalConnections += total.connections;
    sum.bytesDown += total.bytesDown;
    sum.bytesUp += total.bytesUp;
    visitors.set(owner, sum);
  }
  return {
    of: (key) => ({ ...(visitors.get(key) ?? NO_TRAFFIC), links: links.get(key) ?? 0, exposures: exposures.get(key) ?? 0 }),
  };
}
