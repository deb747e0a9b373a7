/**
 * DNS host names as the public edge accepts them (RFC 1123 labels, lower case, no trailing dot;
 * edge/host-name.ts turns Host and SNI values into such names):
 * the portal's domain, a bridge's label and a custom domain all pass through here.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why `label` cannot be one label of a host name, or undefined when it can. */
export function labelProblem(label: string): string | undefined {
  if (label.length === 0) return 'it is empty';
  if (label.length > 63) return `it has ${label.length} characters (at most 63)`;
  if (!LABEL.test(label)) return 'use only a-z, 0-9 and "-", not at the start or end';
  return undefined;
}

/** Why `name` cannot be a host name, or undefined when it can (`name` must already be lower case). */
export function hostnameProblem(name: string): string | undefined {
  if (name.length > 253) return `it has ${name.length} characters (at most 253)`;
  const labels = name.split('.');
  if (labels.length < 2 && name !== 'localhost') return 'it needs at least two labels, like example.com';
  for (const label of labels) {
    const problem = labelProblem(label);
    if (problem) return `label "${label}": ${problem}`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return 'it is an IP address, not a name';
  return undefined;
}
