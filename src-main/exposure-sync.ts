/**
 * Keeps the tray app's saved exposures (settings.exposures) in step with the service's. The
 * service is the source of truth while the app runs; the saved list is what brings the exposures
 * back after a restart when the service starts without any (it keeps none on disk itself, or its
 * file was lost). No `electron` import.
 */
import type { EngineService, ExposureStatus } from '../src-core/host/api/index.js';
import type { ExposureSetting } from './settings-schema.js';

/** The saved form of the service's exposures, in the same order. */
export function exposureSettingsOf(exposures: readonly ExposureStatus[]): ExposureSetting[] {
  return exposures.map((exposure) => {
    const saved: ExposureSetting = { id: exposure.id, name: exposure.name, localHost: exposure.localHost, localPort: exposure.localPort, enabled: exposure.enabled };
    if (exposure.publicPort !== null) saved.publicPort = exposure.publicPort;
    return saved;
  });
}

/** True when the two lists differ (so the store is written only on a real change, not once a second). */
export function exposureSettingsChanged(saved: readonly ExposureSetting[], next: readonly ExposureSetting[]): boolean {
  return JSON.stringify(saved) !== JSON.stringify(next);
}

/**
 * Adds the saved exposures to a service that has none, disabling those that were off. Each
 * failure is reported and the rest still go in: one bad entry does not cost the others.
 * Resolves with one warning per exposure that could not be restored.
 */
export async function restoreExposures(
  service: Pick<EngineService, 'listExposures' | 'addExposure' | 'updateExposure'>,
  saved: readonly ExposureSetting[],
): Promise<string[]> {
  if (saved.length === 0) return [];
  const current = await service.listExposures();
  if (current.length > 0) return [];
  const warnings: string[] = [];
  for (const exposure of saved) {
    try {
      const name = exposure.name.trim();
      const added = await service.addExposure({
        localHost: exposure.localHost,
        localPort: exposure.localPort,
        // The contract takes 1–60 characters; a longer saved name falls back to the service's default.
        ...(name.length >= 1 && name.length <= 60 ? { name } : {}),
        publicPort: exposure.publicPort ?? null,
      });
      if (!exposure.enabled && added.enabled) await service.updateExposure(added.id, { enabled: false });
    } catch (error) {
      const message = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
      warnings.push(`exposure ${exposure.localHost}:${exposure.localPort} could not be restored: ${message}`);
    }
  }
  return warnings;
}
