/**
 * IP literals as bytes and back, with Go's `net` rules (shared by the Mux.Cool and VMess address
 * codecs): dotted quads without leading zeros, IPv6 groups of 1–4 hex digits with at most one
 * `::` and an optional dotted-quad tail, no zone; RFC 5952 text out.
 */

/** Dotted quad without leading zeros (as Go ≥ 1.17 requires), or undefined. */
export function parseIPv4(text: string): Buffer | undefined {
  // A character loop rather than a regular expression and split: it runs for every Mux stream.
  const bytes = Buffer.allocUnsafe(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 46;
    if (code === 46) {
      if (digits === 0 || part === 4) return undefined;
      bytes[part++] = value;
      value = 0;
      digits = 0;
    } else if (code >= 48 && code <= 57) {
      if (digits === 1 && value === 0) return undefined;
      value = value * 10 + (code - 48);
      if (value > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  return part === 4 ? bytes : undefined;
}

/**
 * IPv6 text (groups of 1–4 hex digits, at most one `::`, an optional trailing dotted quad, no zone),
 * or undefined.
 */
export function parseIPv6(text: string): Buffer | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '', true) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(group, i * 2));
  return out;
}

/** Colon-separated groups; a dotted quad may end the last part. */
function parseGroups(part: string, mayEndWithIPv4: boolean): number[] | undefined {
  if (part === '') return [];
  const fields = part.split(':');
  const groups: number[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (i === fields.length - 1 && mayEndWithIPv4 && field.includes('.')) {
      const ip4 = parseIPv4(field);
      if (!ip4) return undefined;
      groups.push(ip4.readUInt16BE(0), ip4.readUInt16BE(2));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(field)) {
      groups.push(parseInt(field, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** RFC 5952 text of 16 bytes: lower-case, the longest run (≥ 2) of zero groups as `::`, as Go prints. */
export function formatIPv6(ip: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i] ?? 0) << 8) | (ip[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestLength < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
