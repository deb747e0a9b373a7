/**
 * An exposure's name and access as the UI shows and edits them (pure): the URL split around its
 * label for inline editing, the label and allowlist checked as the service checks them, and a
 * short summary of who may visit.
 */
import type { ExposureAccess, ExposureAccessPatch, ExposureStatus } from '../../src-core/host/api/index.js';
import { cidrProblem, customDomainProblem, exposureLabelProblem } from '../../src-core/host/api/index.js';
import { asSentence } from '../format.js';

/** The address to give out first: the exposure's name at the portal, once it has one. */
export function primaryUrl(exposure: Pick<ExposureStatus, 'urls' | 'state'>): string | null {
  if (exposure.state === 'disabled' || exposure.state === 'refused') return null;
  return exposure.urls?.[0] ?? null;
}

/** `http://` + `shop` + `.localhost:21080`, or null when the URL does not start with the label (a name of the user's own). */
export function urlParts(url: string, label: string | undefined): { before: string; label: string; after: string } | null {
  if (!label) return null;
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/i.exec(url);
  if (!match?.[1] || !match[2]?.startsWith(`${label}.`)) return null;
  return { before: match[1], label, after: match[2].slice(label.length) };
}

/** What the user typed as a label, as the service takes it (trimmed, lower case), or the problem in a sentence. */
export function parseLabel(text: string): { ok: true; label: string } | { ok: false; message: string } {
  const label = text.trim().toLowerCase();
  const problem = exposureLabelProblem(label);
  return problem ? { ok: false, message: asSentence(problem) } : { ok: true, label };
}

/** A domain of the user's own as the service takes it (trimmed, lower case, no trailing dot); empty: none (null). */
export function parseCustomDomain(text: string): { ok: true; domain: string | null } | { ok: false; message: string } {
  const domain = text.trim().toLowerCase().replace(/\.$/, '');
  if (domain === '') return { ok: true, domain: null };
  const problem = customDomainProblem(domain);
  return problem ? { ok: false, message: asSentence(problem) } : { ok: true, domain };
}

/** An allowlist typed one range a line (commas and spaces also separate); the first bad entry is named. */
export function parseAllowList(text: string): { ok: true; allow: string[] } | { ok: false; message: string } {
  const entries = [...new Set(text.split(/[\s,]+/).filter((entry) => entry !== ''))];
  for (const entry of entries) {
    const problem = cidrProblem(entry);
    if (problem) return { ok: false, message: asSentence(problem) };
  }
  if (entries.length > 64) return { ok: false, message: 'An allowlist has at most 64 entries.' };
  return { ok: true, allow: entries };
}

/** `password · 2 ranges · PROXY v2`, or null when anyone may visit and nothing is added. */
export function accessSummary(access: ExposureAccess | undefined): string | null {
  if (!access) return null;
  const parts = [
    access.basicAuth ? 'password' : '',
    access.allow.length === 1 ? '1 range' : access.allow.length > 1 ? `${access.allow.length} ranges` : '',
    access.proxyProtocol ? `PROXY v${access.proxyProtocol}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : null;
}

/** The Access dialog's fields, as typed. */
export interface AccessFields {
  password: boolean;
  user: string;
  secret: string;
  allow: string;
  proxyProtocol: '' | '1' | '2';
}

/** The patch the fields ask for, or the first problem (and the field it is in). */
export function accessPatchOf(fields: AccessFields, hadPassword: boolean): { ok: true; patch: ExposureAccessPatch } | { ok: false; field: keyof AccessFields; message: string } {
  const allow = parseAllowList(fields.allow);
  if (!allow.ok) return { ok: false, field: 'allow', message: allow.message };
  const patch: ExposureAccessPatch = { allow: allow.allow, proxyProtocol: fields.proxyProtocol === '' ? null : (Number(fields.proxyProtocol) as 1 | 2) };
  if (!fields.password) {
    patch.basicAuth = null;
    return { ok: true, patch };
  }
  const user = fields.user.trim();
  if (!/^[^:\s]{1,64}$/.test(user)) return { ok: false, field: 'user', message: 'A user name is 1–64 characters, without ":" or spaces.' };
  if (fields.secret === '' && !hadPassword) return { ok: false, field: 'secret', message: 'Choose a password.' };
  if (fields.secret.length > 128 || /[\r\n]/.test(fields.secret)) return { ok: false, field: 'secret', message: 'A password is one line of at most 128 characters.' };
  patch.basicAuth = fields.secret === '' ? { user } : { user, password: fields.secret };
  return { ok: true, patch };
}
