/**
 * How the engine names an exposure's parts: the portal's public listener is inbound
 * `exposure:<id>`, the bridge's dial to the local service is outbound `exposure:<id>`. The UI
 * reads per-exposure traffic by these tags (src-core/host/api/exposure-tag.ts parses them; a test
 * holds the two together).
 */
export function exposureTag(id: string): string {
  return `exposure:${id}`;
}
