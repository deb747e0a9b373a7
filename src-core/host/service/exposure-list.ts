/**
 * The exposures the service keeps (in the settings file), and the edits the contract allows on
 * them: the one click, a patch, removal. Pure list operations: the service saves and applies.
 */
import { randomBytes } from 'node:crypto';
import type { Exposure, ExposureInput, ExposurePatch } from '../api/index.js';
import { ServiceError } from '../api/index.js';
import type { ExposureSpec } from '../../engine/app/exposures/exposure-agent.js';
import type { ProbeTarget } from './exposure-probe.js';

/** What `addExposure` did: the exposure, and whether it is new (else an existing one switched on). */
export interface AddedExposure {
  exposure: Exposure;
  created: boolean;
}

/** `localhost:80` for the loopback host, else `host:port`. */
export function defaultExposureName(host: string, port: number): string {
  return `${host === '127.0.0.1' || host === '::1' || host === 'localhost' ? 'localhost' : host}:${port}`;
}

/**
 * The one click: a new exposure at the end of `exposures`, or, when one already serves that
 * local address, that one switched on. Asking the existing one for another name or public port
 * is refused (`PH_EXPOSURE_BAD_INPUT`) and changes nothing: its public address may already be
 * given out, and only an explicit `updateExposure` may move it (issue 4/7, "lost work").
 */
export function addExposure(exposures: Exposure[], input: ExposureInput): AddedExposure {
  const localHost = input.localHost ?? '127.0.0.1';
  const publicPort = input.publicPort ?? null;
  const existing = exposures.find((candidate) => candidate.localHost === localHost && candidate.localPort === input.localPort);
  if (existing) {
    const renames = input.name !== undefined && input.name.trim() !== '' && input.name.trim() !== existing.name;
    const moves = input.publicPort !== undefined && publicPort !== existing.publicPort;
    if (renames || moves) {
      const what = renames && moves ? 'name and public port' : renames ? 'name' : 'public port';
      throw new ServiceError('PH_EXPOSURE_BAD_INPUT', `${localHost}:${input.localPort} is already exposed as "${existing.name}"; edit it to change its ${what} (nothing was changed)`);
    }
    existing.enabled = true;
    return { exposure: existing, created: false };
  }
  const exposure: Exposure = {
    id: newExposureId(exposures),
    name: input.name?.trim() || defaultExposureName(localHost, input.localPort),
    localHost,
    localPort: input.localPort,
    publicPort,
    enabled: true,
    createdAt: Date.now(),
  };
  exposures.push(exposure);
  return { exposure, created: true };
}

/** Applies `patch`; true when it switched the exposure on. */
export function patchExposure(exposure: Exposure, patch: ExposurePatch): boolean {
  if (patch.name !== undefined) exposure.name = patch.name.trim();
  if (patch.publicPort !== undefined) exposure.publicPort = patch.publicPort;
  const switchedOn = patch.enabled === true && !exposure.enabled;
  if (patch.enabled !== undefined) exposure.enabled = patch.enabled;
  return switchedOn;
}

/** The exposure with that id; rejects with `PH_EXPOSURE_NOT_FOUND`. */
export function findExposure(exposures: readonly Exposure[], id: string): Exposure {
  const exposure = exposures.find((candidate) => candidate.id === id);
  if (!exposure) throw new ServiceError('PH_EXPOSURE_NOT_FOUND', `there is no exposure ${id}`);
  return exposure;
}

/** `e-` and 8 random hex digits, not yet taken. */
function newExposureId(exposures: readonly Exposure[]): string {
  for (;;) {
    const id = `e-${randomBytes(4).toString('hex')}`;
    if (!exposures.some((exposure) => exposure.id === id)) return id;
  }
}

/** The exposures as the engine runs them: "Pause all" switches every one off without forgetting `enabled`. */
export function exposureSpecs(exposures: readonly Exposure[], paused: boolean): ExposureSpec[] {
  return exposures.map((exposure) => ({ ...exposure, enabled: exposure.enabled && !paused }));
}

/** The exposures that are on now, whose local address the probe watches. */
export function probeTargets(exposures: readonly Exposure[], paused: boolean): ProbeTarget[] {
  return paused ? [] : exposures.filter((exposure) => exposure.enabled);
}
