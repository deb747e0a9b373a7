/**
 * Which names a certificate serves, as RFC 6125 section 6.4 says a client checks them: compare
 * DNS names case-insensitively, and let a wildcard stand for exactly one whole left-most label
 * (`*.example.com` covers `a.example.com`, not `example.com` nor `a.b.example.com`). Partial-label
 * wildcards (`a*.example.com`) are ignored, as browsers do.
 */

/** A DNS name as a certificate may be asked for: lower case, no trailing dot. */
export function normalizeHostname(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** A host name we may issue for and use as a folder name: letters, digits, hyphens, dots; no wildcard. */
export function isIssuableHostname(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
}

/** Whether one certificate name (`pattern`, maybe `*.x.y`) covers `hostname`. */
export function nameCovers(pattern: string, hostname: string): boolean {
  const want = normalizeHostname(hostname);
  const have = normalizeHostname(pattern);
  if (!have.startsWith('*.')) return have === want;
  const suffix = have.slice(1); // ".example.com"
  // The wildcard must stand above at least two labels, so `*.com` covers nothing.
  if (suffix.split('.').length < 3) return false;
  if (!want.endsWith(suffix)) return false;
  const label = want.slice(0, want.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** Whether any of a certificate's DNS names covers `hostname`. */
export function namesCover(names: readonly string[], hostname: string): boolean {
  return names.some((name) => nameCovers(name, hostname));
}

/**
 * The DNS names an X.509 certificate is for: its subjectAltName DNS entries, or, only when it has
 * none, its subject CN (RFC 6125 6.4.4).
 */
export function certificateNames(subjectAltName: string | undefined, subject: string): string[] {
  const fromSan = (subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => normalizeHostname(entry.slice(4)));
  if (fromSan.length > 0) return fromSan;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(subject)?.[1];
  return cn ? [normalizeHostname(cn)] : [];
}
