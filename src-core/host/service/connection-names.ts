/**
 * Puts exposure names on connection rows, so the Connections page says "Blog" rather than
 * `exposure:e-1bc3d4f3`: this instance's own exposures by id (`exposure:<id>`, inbound on the
 * built-in local portal, outbound on the bridge), a bridge user's exposure on a portal by the
 * public ports the portal opened (`exposure@<owner>:<id>`, host/api/exposure-tag.ts).
 */
import { bridgeUserExposureOfTag, exposureIdOfTag, type ConnectionRow, type Exposure } from '../api/index.js';
import type { Instance } from '../../engine/instance.js';

export function nameExposures(rows: ConnectionRow[], own: readonly Pick<Exposure, 'id' | 'name'>[], instance: Pick<Instance, 'portals' | 'publicPortsOf'>): void {
  if (rows.length === 0) return;
  const ownNames = new Map(own.map((exposure) => [exposure.id, exposure.name]));
  let hosted: Map<string, string[]> | undefined;
  const hostedNames = (): Map<string, string[]> => {
    if (hosted) return hosted;
    hosted = new Map();
    for (const portal of instance.portals) {
      for (const open of instance.publicPortsOf(portal)) hosted.set(open.id, [...(hosted.get(open.id) ?? []), open.name]);
    }
    return hosted;
  };
  for (const row of rows) {
    const ownId = exposureIdOfTag(row.inboundTag) ?? exposureIdOfTag(row.outboundTag);
    if (ownId !== null) {
      row.exposure = { id: ownId, name: ownNames.get(ownId) ?? ownId };
      continue;
    }
    const remote = bridgeUserExposureOfTag(row.inboundTag);
    if (remote) {
      // Ids are each bridge's own: with two users' same id open, the names are listed together.
      const names = [...new Set(hostedNames().get(remote.id) ?? [])];
      row.exposure = { id: remote.id, name: names.length > 0 ? names.join(' / ') : remote.id };
    }
  }
}
