/**
 * Where each exposure stands, as the UI shows it: the engine's answer (live, refused…) made honest
 * by what the probe found at the local address (and whether it speaks HTTP), the link's problem while offline, and the exposure's traffic
 * read from the per-tag rows.
 */
import type { ExposureStatus, PortalKind, TagTraffic } from '../api/index.js';
import { exposureTag } from '../api/index.js';
import type { Instance } from '../../engine/instance.js';
import { publicExposure, type StoredExposure } from './exposure-list.js';
import { hostOfAddress, isNoNamesRefusal, namesHintFor } from './portal-names.js';

/** What the rows are made from. */
export interface ExposureStatusInput {
  exposures: readonly StoredExposure[];
  paused: boolean;
  /** The portal is a Porthole server that said it gives no names. */
  noNames?: boolean;
  /** Why the portal does not serve an exposure's own domain, or null. */
  customDomainProblem?: (exposure: StoredExposure) => string | null;
  /** The running engine, if any. */
  instance: Instance | undefined;
  /** The latest per-tag traffic (the snapshot's `tags`). */
  tags: readonly TagTraffic[];
  /** The probe's last answer for an exposure's local address; null before the first. */
  localReachable: (id: string) => boolean | null;
  /** Whether the local address answered HTTP; null before that check. */
  localHttp?: (id: string) => boolean | null;
}

/**
 * "Live" only when it works end to end (issue 4/7): the engine's `live` (a link is up and the
 * portal's public port listens) counts only once the local address answered its last check. Not
 * answering: `local-down`; not checked yet (a moment after the click): still `requesting`.
 */
export function endToEndState(engineState: ExposureStatus['state'], localReachable: boolean | null): ExposureStatus['state'] {
  if (engineState !== 'live') return engineState;
  if (localReachable === false) return 'local-down';
  if (localReachable === null) return 'requesting';
  return 'live';
}

/** The traffic of one exposure: the bridge's dial to the local service is outbound `exposure:<id>`. */
export function exposureTraffic(tags: readonly TagTraffic[], id: string): TagTraffic | undefined {
  return tags.find((tag) => tag.direction === 'outbound' && tag.tag === exposureTag(id));
}

/** Which portal the exposure bridge links to: the built-in one, or what answered on the links. */
export function portalKindOf(instance: Instance): PortalKind | null {
  const uplink = instance.exposureUplink;
  if (!uplink) return null;
  if (uplink.kind === 'portal') return 'local';
  return instance.exposures.portalKind;
}

/** One row per exposure, in the order they were added. */
export function exposureStatuses(input: ExposureStatusInput): ExposureStatus[] {
  const { instance, paused } = input;
  const portalKind = instance ? portalKindOf(instance) : null;
  const rows = input.exposures.map((exposure): ExposureStatus => {
    const traffic = exposureTraffic(input.tags, exposure.id);
    const off = !exposure.enabled || paused;
    const localReachable = off ? null : input.localReachable(exposure.id);
    const answer = instance?.exposures.status(exposure.id);
    // "This portal gives no names" is not the user's problem: the service asks again without the label at once.
    const engine = answer && isNoNamesRefusal(answer) ? { ...answer, state: 'requesting' as const, problem: null } : answer;
    const state = off ? 'disabled' : endToEndState(engine?.state ?? 'offline', localReachable);
    const linkProblem = engine?.state === 'offline' ? instance?.bridges[0]?.lastProblem ?? null : null;
    const localProblem = localReachable === false
      ? { code: 'PH_DIAL_REFUSED', message: `nothing is listening on ${exposure.localHost}:${exposure.localPort}: the exposure stays on and works once something does` }
      : null;
    return {
      ...publicExposure(exposure),
      state,
      publicAddress: off ? null : engine?.publicAddress ?? null,
      urls: off ? [] : [...engine?.urls ?? []],
      namesHint: null,
      ...(exposure.customDomain ? { customDomainProblem: input.customDomainProblem?.(exposure) ?? null } : {}),
      portalKind,
      problem: off ? null : engine?.problem ?? linkProblem ?? localProblem,
      localReachable,
      localHttp: off || localReachable !== true ? null : input.localHttp?.(exposure.id) ?? null,
      bytesUp: traffic?.bytesUp ?? 0,
      bytesDown: traffic?.bytesDown ?? 0,
      upRate: traffic?.upRate ?? 0,
      downRate: traffic?.downRate ?? 0,
      openConnections: traffic?.openConnections ?? 0,
    };
  });
  if (input.noNames && portalKind === 'porthole') {
    // The server's address, as its live exposures give it, fills in the owner's line.
    const address = rows.find((row) => row.publicAddress !== null)?.publicAddress ?? null;
    const hint = namesHintFor(address === null ? null : hostOfAddress(address));
    for (const row of rows) row.namesHint = hint;
  }
  return rows;
}
