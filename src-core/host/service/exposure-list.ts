/**
 * The exposures the service keeps (in the settings file), and the edits the contract allows on
 * them: the one click, a patch, removal. Pure list operations: the service saves and applies.
 */
import { randomBytes } from 'node:crypto';
import type { Exposure, ExposureAccessPatch, ExposureInput, ExposurePatch, InspectorSettings } from '../api/index.js';
import { defaultExposureLabel, ServiceError } from '../api/index.js';
import type { ExposureSpec } from '../../engine/app/exposures/exposure-agent.js';
import type { ProbeTarget } from './exposure-probe.js';

/**
 * An exposure as the service keeps it (the settings file): the contract's fields, its label, and
 * its access with the password, which goes to the portal but never back to the UI.
 */
export interface StoredExposure extends Omit<Exposure, 'label' | 'access'> {
  label: string;
  basicAuth?: { user: string; password: string };
  allow?: string[];
  proxyProtocol?: 1 | 2;
  /** The request inspector's settings, when not the defaults (the engine keeps them in memory only). */
  inspector?: InspectorSettings;
}

/** What `addExposure` did: the exposure, and whether it is new (else an existing one switched on). */
export interface AddedExposure {
  exposure: StoredExposure;
  created: boolean;
}

/** The exposure as the UI sees it: the password left out, only whether credentials are set. */
export function publicExposure(exposure: StoredExposure): Exposure {
  const { id, name, localHost, localPort, publicPort, enabled, createdAt, label } = exposure;
  return {
    id, name, localHost, localPort, publicPort, enabled, createdAt, label,
    ...(exposure.customDomain ? { customDomain: exposure.customDomain } : {}),
    access: {
      basicAuth: exposure.basicAuth ? { user: exposure.basicAuth.user } : null,
      allow: [...exposure.allow ?? []],
      proxyProtocol: exposure.proxyProtocol ?? null,
    },
  };
}

/** Refuses a label another of this user's exposures has (the portal would refuse it too). */
function checkLabelFree(exposures: readonly StoredExposure[], label: string, self?: StoredExposure): void {
  const holder = exposures.find((candidate) => candidate !== self && candidate.label === label);
  if (holder) throw new ServiceError('PH_EXPOSURE_BAD_INPUT', `name "${label}" is already used by your exposure "${holder.name}" (nothing was changed)`);
}

/** Refuses a domain another of this user's exposures has (the portal would refuse it too). */
function checkCustomDomainFree(exposures: readonly StoredExposure[], domain: string, self?: StoredExposure): void {
  const holder = exposures.find((candidate) => candidate !== self && candidate.customDomain === domain);
  if (holder) throw new ServiceError('PH_EXPOSURE_BAD_INPUT', `domain "${domain}" is already used by your exposure "${holder.name}" (nothing was changed)`);
}

/** The labels in use, but `self`'s. */
export function takenLabels(exposures: readonly StoredExposure[], self?: StoredExposure): Set<string> {
  return new Set(exposures.filter((candidate) => candidate !== self).map((candidate) => candidate.label));
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
export function addExposure(exposures: StoredExposure[], input: ExposureInput): AddedExposure {
  const localHost = input.localHost ?? '127.0.0.1';
  const publicPort = input.publicPort ?? null;
  const existing = exposures.find((candidate) => candidate.localHost === localHost && candidate.localPort === input.localPort);
  if (existing) {
    const renames = input.name !== undefined && input.name.trim() !== '' && input.name.trim() !== existing.name;
    const moves = input.publicPort !== undefined && publicPort !== existing.publicPort;
    const relabels = (input.label !== undefined && input.label !== existing.label)
      || (input.customDomain !== undefined && input.customDomain !== existing.customDomain);
    if (renames || moves || relabels) {
      const what = [renames ? 'name' : '', relabels ? 'address name' : '', moves ? 'public port' : ''].filter(Boolean).join(' and ');
      throw new ServiceError('PH_EXPOSURE_BAD_INPUT', `${localHost}:${input.localPort} is already exposed as "${existing.name}"; edit it to change its ${what} (nothing was changed)`);
    }
    existing.enabled = true;
    return { exposure: existing, created: false };
  }
  const name = input.name?.trim() || defaultExposureName(localHost, input.localPort);
  if (input.label !== undefined) checkLabelFree(exposures, input.label);
  if (input.customDomain !== undefined) checkCustomDomainFree(exposures, input.customDomain);
  const exposure: StoredExposure = {
    id: newExposureId(exposures),
    name,
    localHost,
    localPort: input.localPort,
    publicPort,
    enabled: true,
    createdAt: Date.now(),
    label: input.label ?? defaultExposureLabel(name, input.localPort, takenLabels(exposures)),
    ...(input.customDomain ? { customDomain: input.customDomain } : {}),
  };
  exposures.push(exposure);
  return { exposure, created: true };
}

/**
 * Applies `patch` (checked first: a refused patch changes nothing); true when it switched the
 * exposure on. `exposures` is the whole list, for the label's uniqueness.
 */
export function patchExposure(exposure: StoredExposure, patch: ExposurePatch, exposures: readonly StoredExposure[] = [exposure]): boolean {
  if (patch.label !== undefined) checkLabelFree(exposures, patch.label, exposure);
  if (patch.customDomain) checkCustomDomainFree(exposures, patch.customDomain, exposure);
  const basicAuth = patch.access?.basicAuth === undefined ? undefined : nextBasicAuth(exposure, patch.access.basicAuth);
  if (patch.name !== undefined) exposure.name = patch.name.trim();
  if (patch.publicPort !== undefined) exposure.publicPort = patch.publicPort;
  if (patch.label !== undefined) exposure.label = patch.label;
  if (patch.customDomain === null) delete exposure.customDomain;
  else if (patch.customDomain !== undefined) exposure.customDomain = patch.customDomain;
  if (patch.access) applyAccess(exposure, patch.access, basicAuth);
  const switchedOn = patch.enabled === true && !exposure.enabled;
  if (patch.enabled !== undefined) exposure.enabled = patch.enabled;
  return switchedOn;
}

/** The credentials after a patch: a password left out keeps the one set, if any. */
function nextBasicAuth(exposure: StoredExposure, wanted: NonNullable<ExposureAccessPatch['basicAuth']> | null): StoredExposure['basicAuth'] | null {
  if (wanted === null) return null;
  const password = wanted.password ?? exposure.basicAuth?.password;
  if (password === undefined) throw new ServiceError('PH_EXPOSURE_BAD_INPUT', `basic auth for "${exposure.name}" needs a password (nothing was changed)`);
  return { user: wanted.user, password };
}

function applyAccess(exposure: StoredExposure, access: ExposureAccessPatch, basicAuth: StoredExposure['basicAuth'] | null | undefined): void {
  if (basicAuth === null) delete exposure.basicAuth;
  else if (basicAuth !== undefined) exposure.basicAuth = basicAuth;
  if (access.allow !== undefined) {
    const allow = [...new Set(access.allow.map((cidr) => cidr.trim()).filter((cidr) => cidr !== ''))];
    if (allow.length > 0) exposure.allow = allow;
    else delete exposure.allow;
  }
  if (access.proxyProtocol === null) delete exposure.proxyProtocol;
  else if (access.proxyProtocol !== undefined) exposure.proxyProtocol = access.proxyProtocol;
}

/** The exposure with that id; rejects with `PH_EXPOSURE_NOT_FOUND`. */
export function findExposure<T extends Exposure>(exposures: readonly T[], id: string): T {
  const exposure = exposures.find((candidate) => candidate.id === id);
  if (!exposure) throw new ServiceError('PH_EXPOSURE_NOT_FOUND', `there is no exposure ${id}`);
  return exposure;
}

/** `e-` and 8 random hex digits, not yet taken. */
function newExposureId(exposures: readonly StoredExposure[]): string {
  for (;;) {
    const id = `e-${randomBytes(4).toString('hex')}`;
    if (!exposures.some((exposure) => exposure.id === id)) return id;
  }
}

/**
 * The exposures as the engine runs them: "Pause all" switches every one off without forgetting
 * `enabled`. `names` false: the portal gives no names, so no label is asked for (it would refuse
 * the whole exposure); the label is kept for when it does. `withoutCustomDomain`: the exposures
 * whose own domain the portal does not serve, asked for without it (it is kept too).
 */
export function exposureSpecs(
  exposures: readonly (Omit<StoredExposure, 'label'> & { label?: string })[],
  paused: boolean,
  names = true,
  withoutCustomDomain: ReadonlySet<string> = new Set(),
): ExposureSpec[] {
  return exposures.map((exposure): ExposureSpec => ({
    id: exposure.id,
    name: exposure.name,
    localHost: exposure.localHost,
    localPort: exposure.localPort,
    publicPort: exposure.publicPort,
    enabled: exposure.enabled && !paused,
    ...(names && exposure.label ? { label: exposure.label } : {}),
    ...(exposure.customDomain && !withoutCustomDomain.has(exposure.id) ? { customDomain: exposure.customDomain } : {}),
    ...(exposure.basicAuth ? { basicAuth: { ...exposure.basicAuth } } : {}),
    ...(exposure.allow?.length ? { allow: [...exposure.allow] } : {}),
    ...(exposure.proxyProtocol ? { proxyProtocol: exposure.proxyProtocol } : {}),
  }));
}

/** The exposures that are on now, whose local address the probe watches. */
export function probeTargets(exposures: readonly StoredExposure[], paused: boolean): ProbeTarget[] {
  return paused ? [] : exposures.filter((exposure) => exposure.enabled);
}
