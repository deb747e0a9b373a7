/**
 * An exposure's name and access, as the service checks them and the UI checks them first (pure):
 * its label (the `<label>` of `<label>.<portal's domain>`), a domain of the user's own, CIDRs of an allowlist, and the
 * wildcard-DNS domain a server owner without a domain of their own can give the portal.
 * The portal checks labels the same way (engine/common/hostname.ts).
 */

/** One DNS label: a-z, 0-9 and "-", 1–63 characters, no "-" at either end. */
export const EXPOSURE_LABEL_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why `label` cannot be an exposure's label (one sentence), or null when it can. */
export function exposureLabelProblem(label: string): string | null {
  if (label.length === 0) return 'a name is 1–63 characters';
  if (label.length > 63) return `a name is at most 63 characters (this one has ${label.length})`;
  if (!EXPOSURE_LABEL_PATTERN.test(label)) return 'a name uses only a-z, 0-9 and "-", not at the start or end';
  return null;
}

/**
 * Why `name` cannot be an exposure's own domain (`shop.example.com`; lower case, no trailing dot),
 * or null when it can. The same rules as the portal's (engine/common/hostname.ts `hostnameProblem`).
 */
export function customDomainProblem(name: string): string | null {
  if (name.length > 253) return `a domain is at most 253 characters (this one has ${name.length})`;
  const labels = name.split('.');
  if (labels.length < 2) return 'a domain needs at least two parts, like shop.example.com';
  for (const label of labels) {
    if (label.length === 0) return `"${name}" has an empty part (two dots, or a dot at an end)`;
    if (label.length > 63) return `a part of a domain is at most 63 characters ("${label.slice(0, 20)}…" has ${label.length})`;
    if (!EXPOSURE_LABEL_PATTERN.test(label)) return `"${label}" in "${name}": a domain uses only a-z, 0-9, "." and "-" (no "-" next to a dot)`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return `"${name}" is an IP address, not a domain`;
  return null;
}

/** `My Web App!` → `my-web-app`; empty when nothing usable is left. */
export function slugLabel(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, 63).replace(/-+$/, '');
}

/**
 * The label an exposure gets when the user gives none: a slug of its name (`web`), or, for the
 * default name `localhost:3000`, `app-3000`; made unique among `taken` with `-2`, `-3`…
 */
export function defaultExposureLabel(name: string, localPort: number, taken: ReadonlySet<string> = new Set()): string {
  const fromName = /:\d+$/.test(name.trim()) ? '' : slugLabel(name);
  const base = fromName || `app-${localPort}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

function isIPv4(address: string): boolean {
  const parts = address.split('.');
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

function isIPv6(address: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(address) || address.split('::').length > 2) return false;
  let groups = address.split(':');
  const last = groups[groups.length - 1] ?? '';
  let width = 8;
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups = groups.slice(0, -1);
    width = 6;
  }
  const compressed = address.includes('::');
  const filled = groups.filter((group) => group !== '');
  if (filled.some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return false;
  // Empty groups are only the "::" (and its ends): "1:::2" or ":1:2" are not addresses.
  const empties = groups.length - filled.length;
  if (!compressed && empties > 0) return false;
  if (compressed && empties > (address === '::' ? 3 : address.startsWith('::') || address.endsWith('::') ? 2 : 1)) return false;
  return compressed ? filled.length <= width - 1 : filled.length === width;
}

/**
 * Why `cidr` is not an IPv4 or IPv6 address or `address/prefix` (one sentence naming it), or
 * null when it is; the portal reads the same forms (edge/edge-access.ts).
 */
export function cidrProblem(cidr: string): string | null {
  const [address = '', prefixText, extra] = cidr.split('/');
  const v4 = isIPv4(address);
  const v6 = !v4 && isIPv6(address);
  const bits = v4 ? 32 : 128;
  const prefixOk = prefixText === undefined || (/^\d{1,3}$/.test(prefixText) && Number(prefixText) <= bits);
  if ((!v4 && !v6) || extra !== undefined || !prefixOk) return `"${cidr}" is not an IP address or range such as 203.0.113.0/24 or 2001:db8::/32`;
  return null;
}

/**
 * The wildcard-DNS domain for a server at `host` (sslip.io answers `<anything>.203-0-113-5.sslip.io`
 * with 203.0.113.5), or null when `host` is not an IPv4 address.
 */
export function sslipDomain(host: string): string | null {
  return !isIPv4(host) ? null : `${host.replace(/\./g, '-')}.sslip.io`;
}
