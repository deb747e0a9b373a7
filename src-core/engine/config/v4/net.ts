/**
 * Address, port and UUID parsing with the exact rules V2Ray 4.34 (built with Go 1.19) uses:
 * `common/net/address.go` `ParseAddress`, Go's `net.ParseIP` and `net.SplitHostPort`,
 * `common/net/port.go`, `infra/conf/common.go` port ranges and `common/uuid/uuid.go`.
 */

/** An IP address as 4 or 16 bytes. */
export interface IpBytes {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    // Go 1.17+ rejects leading zeros ("01"), which older versions read as decimal.
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(16);
  let rest = text;
  let ellipsis = -1;
  let i = 0;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return bytes;
  }
  while (i < 16) {
    const hex = /^[0-9A-Fa-f]{1,4}/.exec(rest);
    if (!hex) return undefined;
    // An embedded IPv4 address in the last 32 bits.
    if (rest.length > hex[0].length && rest[hex[0].length] === '.') {
      if (ellipsis < 0 && i !== 12) return undefined;
      if (i + 4 > 16) return undefined;
      const v4 = parseIpv4(rest);
      if (!v4) return undefined;
      bytes.set(v4, i);
      i += 4;
      rest = '';
      break;
    }
    const value = parseInt(hex[0], 16);
    bytes[i] = value >> 8;
    bytes[i + 1] = value & 0xff;
    i += 2;
    rest = rest.slice(hex[0].length);
    if (rest === '') break;
    if (rest[0] !== ':' || rest.length === 1) return undefined;
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const tail = bytes.slice(ellipsis, i);
    bytes.fill(0, ellipsis);
    bytes.set(tail, 16 - tail.length);
  } else if (ellipsis >= 0) {
    return undefined;
  }
  return bytes;
}

/**
 * Go `net.ParseIP` followed by V2Ray's `IPAddress`: an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`) becomes IPv4.
 */
export function parseIp(text: string): IpBytes | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    if (!bytes) return undefined;
    if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
      return { family: 4, bytes: bytes.slice(12) };
    }
    return { family: 6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes ? { family: 4, bytes } : undefined;
}

/** Canonical text: dotted IPv4, or RFC 5952 IPv6 (lowercase, longest zero run as "::"). */
export function formatIp(ip: IpBytes): string {
  const b = ip.bytes;
  if (ip.family === 4) return Array.from(b).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export type ParsedAddress =
  | { readonly kind: 'ip'; readonly ip: IpBytes; readonly text: string }
  | { readonly kind: 'domain'; readonly text: string };

function isAlphaNum(ch: string | undefined): boolean {
  return ch !== undefined && /^[0-9A-Za-z]$/.test(ch);
}

/**
 * V2Ray `net.ParseAddress`: strips one pair of brackets, trims spaces when the text starts or
 * ends with a non-alphanumeric character, then an IP (canonical text) or else a domain (as is).
 */
export function parseAddress(raw: string): ParsedAddress {
  let text = raw;
  if (text.length > 0 && text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.length > 0 && (!isAlphaNum(text[0]) || !isAlphaNum(text[text.length - 1]))) text = text.trim();
  const ip = parseIp(text);
  if (ip) return { kind: 'ip', ip, text: formatIp(ip) };
  return { kind: 'domain', text };
}

/** Go `strconv.ParseUint(s, 10, 32)` then `PortFromInt`: digits only, at most 65535. */
export function portFromString(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value <= 65535 ? value : undefined;
}

/** Go `net.SplitHostPort`: `host:port`, `[v6]:port`, `:port`. Returns an error text on failure. */
export function splitHostPort(hostport: string): { host: string; port: string } | string {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return 'missing port in address';
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) return "missing ']' in address";
    if (end + 1 === hostport.length) return 'missing port in address';
    if (end + 1 !== i) return hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address';
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return 'too many colons in address';
  }
  if (hostport.slice(j).includes('[')) return "unexpected '[' in address";
  if (hostport.slice(k).includes(']')) return "unexpected ']' in address";
  return { host, port: hostport.slice(i + 1) };
}

/**
 * V2Ray `parseStringPort`: `"env:NAME"` reads the environment first, then `"80"` or `"1000-2000"`
 * (split at the first "-", no spaces allowed). Returns an error text on failure.
 */
export function parseStringPort(raw: string, env: Readonly<Record<string, string | undefined>>): { from: number; to: number } | string {
  let text = raw;
  if (text.startsWith('env:')) text = env[text.slice(4)] ?? '';
  const dash = text.indexOf('-');
  if (dash < 0) {
    const port = portFromString(text);
    return port === undefined ? `invalid port ${JSON.stringify(text)}` : { from: port, to: port };
  }
  const from = portFromString(text.slice(0, dash));
  const to = portFromString(text.slice(dash + 1));
  if (from === undefined || to === undefined) return `invalid port range ${JSON.stringify(text)}`;
  return { from, to };
}

const UUID_GROUPS = [8, 4, 4, 4, 12] as const;

/**
 * V2Ray `uuid.ParseString`: at least 32 characters; five hex groups of 8-4-4-4-12 digits, each
 * optionally preceded by one "-"; any case; characters after the last group are ignored.
 * Returns the canonical lowercase dashed form, or undefined.
 */
export function parseUuid(text: string): string | undefined {
  if (text.length < 32) return undefined;
  let position = 0;
  const groups: string[] = [];
  for (const size of UUID_GROUPS) {
    if (text[position] === '-') position++;
    const group = text.slice(position, position + size);
    if (!new RegExp(`^[0-9A-Fa-f]{${size}}$`).test(group)) return undefined;
    groups.push(group.toLowerCase());
    position += size;
  }
  return groups.join('-');
}
