/**
 * How an exposure's traffic is named: the portal's public listener is inbound `exposure:<id>`,
 * the bridge's dial to the local service is outbound `exposure:<id>`. The engine names its parts
 * this way and the UI reads per-exposure traffic from these tags, so the name lives here, once.
 */
export const EXPOSURE_TAG_PREFIX = 'exposure:';

export function exposureTag(id: string): string {
  return `${EXPOSURE_TAG_PREFIX}${id}`;
}

/** The exposure id in a tag such as `exposure:e-0123abcd`, or null for any other tag. */
export function exposureIdOfTag(tag: string): string | null {
  return tag.startsWith(EXPOSURE_TAG_PREFIX) ? tag.slice(EXPOSURE_TAG_PREFIX.length) : null;
}
