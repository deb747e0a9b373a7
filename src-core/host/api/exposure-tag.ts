/**
 * How an exposure's traffic is named. `exposure:<id>` is one of this instance's own exposures:
 * the bridge's dial to the local service is outbound `exposure:<id>` (and on the built-in local
 * portal the public listener is inbound `exposure:<id>` too). A portal's public listener for
 * another bridge user's exposure is inbound `exposure@<owner>:<id>` (`<owner>` a hex digest of
 * that user), so two users' same id are two rows. The engine names its parts this way
 * (src-core/engine/app/exposures/tag.ts) and the UI reads per-exposure traffic from these tags.
 */
export const EXPOSURE_TAG_PREFIX = 'exposure:';
/** The start of a bridge user's exposure tag on a portal. */
export const BRIDGE_USER_EXPOSURE_TAG_PREFIX = 'exposure@';

export function exposureTag(id: string): string {
  return `${EXPOSURE_TAG_PREFIX}${id}`;
}

/**
 * The id in a tag of this instance's own exposure, such as `exposure:e-0123abcd`, or null for
 * any other tag (a bridge user's exposure on a portal included: it is not one of ours).
 */
export function exposureIdOfTag(tag: string): string | null {
  return tag.startsWith(EXPOSURE_TAG_PREFIX) ? tag.slice(EXPOSURE_TAG_PREFIX.length) : null;
}

/** The owner and id in a portal's tag for a bridge user's exposure (`exposure@<owner>:<id>`), or null for any other tag. */
export function bridgeUserExposureOfTag(tag: string): { owner: string; id: string } | null {
  if (!tag.startsWith(BRIDGE_USER_EXPOSURE_TAG_PREFIX)) return null;
  const rest = tag.slice(BRIDGE_USER_EXPOSURE_TAG_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return null;
  return { owner: rest.slice(0, colon), id: rest.slice(colon + 1) };
}
