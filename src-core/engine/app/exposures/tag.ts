/**
 * How the engine names an exposure's parts, so the UI can read per-exposure traffic from the
 * stats (src-core/host/api/exposure-tag.ts parses these names; test/exposure-tag.test.ts holds
 * the two together):
 *
 * - `exposure:<id>`: one of this instance's own exposures. The bridge's dial to the local service
 *   is this outbound, and on the built-in local portal the public listener is this inbound too.
 * - `exposure@<owner>:<id>`: the public listener a portal opened for exposure `<id>` of another
 *   bridge user (`<owner>`: a hex digest of that user, ExposureOwner.tagName). Ids are the
 *   bridges' own, so two users may both have `<id>`: the owner keeps their traffic apart.
 */
export function exposureTag(id: string): string {
  return `exposure:${id}`;
}

/** The tag of the public listener for exposure `id` of the bridge user named `owner` (hex, no `:`). */
export function bridgeUserExposureTag(owner: string, id: string): string {
  return `exposure@${owner}:${id}`;
}
