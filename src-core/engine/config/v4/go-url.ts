/**
 * What Go's `net/url.Parse` refuses, for V2Ray 4.34's DNS servers: a server written as a domain
 * (not an IP) is parsed as a URL when the engine starts (`app/dns/nameserver.go` `NewServer`), so
 * `v2ray -test` rejects e.g. "1.1.1.1:53" ("first path segment in URL cannot contain colon").
 * Only the checks, in Go's order; the parsed URL is not needed.
 */

type Mode = 'host' | 'zone' | 'path' | 'user' | 'fragment';

function isAlphaNum(c: string): boolean {
  return /^[0-9A-Za-z]$/.test(c);
}

/** Go `shouldEscape` for the modes `unescape` checks characters in (host and zone). */
function hostNeedsEscape(c: string): boolean {
  if (isAlphaNum(c)) return false;
  return !`!$&'()*+,;=:[]<>"-_.~`.includes(c);
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/** Go `unescape`: undefined when `s` is valid in `mode`, else Go's error text. */
function unescapeError(s: string, mode: Mode): string | undefined {
  for (let i = 0; i < s.length;) {
    const c = s[i] as string;
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`;
      const escaped = s.slice(i, i + 3);
      // In a host, %-encoding is only for non-ASCII bytes (and %25 before an IPv6 zone).
      if (mode === 'host' && parseInt(s[i + 1] as string, 16) < 8 && escaped !== '%25') return `invalid URL escape ${JSON.stringify(escaped)}`;
      if (mode === 'zone') {
        const byte = String.fromCharCode(parseInt(escaped.slice(1), 16));
        if (escaped !== '%25' && byte !== ' ' && hostNeedsEscape(byte)) return `invalid URL escape ${JSON.stringify(escaped)}`;
      }
      i += 3;
      continue;
    }
    if ((mode === 'host' || mode === 'zone') && c.charCodeAt(0) < 0x80 && hostNeedsEscape(c)) return `invalid character ${JSON.stringify(c)} in host name`;
    i += 1;
  }
  return undefined;
}

/** Go `validOptionalPort`: "" or ":" followed by digits. */
function validOptionalPort(port: string): boolean {
  return port === '' || /^:\d*$/.test(port);
}

function parseHostError(host: string): string | undefined {
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']');
    if (end < 0) return 'missing \']\' in host';
    const colonPort = host.slice(end + 1);
    if (!validOptionalPort(colonPort)) return `invalid port ${JSON.stringify(colonPort)} after host`;
    const zone = host.slice(0, end).indexOf('%25');
    if (zone >= 0) {
      return unescapeError(host.slice(0, zone), 'host') ?? unescapeError(host.slice(zone, end), 'zone') ?? unescapeError(host.slice(end), 'host');
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) return `invalid port ${JSON.stringify(host.slice(colon))} after host`;
  }
  return unescapeError(host, 'host');
}

/** Go `validUserinfo`: RFC 3986 userinfo characters only. */
function validUserinfo(userinfo: string): boolean {
  return [...userinfo].every((c) => isAlphaNum(c) || `-._:~!$&'()*+,;=%@`.includes(c));
}

function parseAuthorityError(authority: string): string | undefined {
  const at = authority.lastIndexOf('@');
  const hostError = parseHostError(at < 0 ? authority : authority.slice(at + 1));
  if (hostError || at < 0) return hostError;
  const userinfo = authority.slice(0, at);
  if (!validUserinfo(userinfo)) return 'net/url: invalid userinfo';
  const colon = userinfo.indexOf(':');
  const parts = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  return parts.map((part) => unescapeError(part, 'user')).find(Boolean);
}

/** Go `getScheme`: the scheme, or "" when there is none; an error for a leading ":". */
function getScheme(raw: string): { scheme: string; rest: string } | string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (c === ':') return i === 0 ? 'missing protocol scheme' : { scheme: raw.slice(0, i).toLowerCase(), rest: raw.slice(i + 1) };
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

export interface GoUrl {
  readonly scheme: string;
  /** Host and port as written (`u.Host`), "" without an authority. */
  readonly host: string;
}

/** Go `url.Parse(raw)`: the scheme and host, or Go's error text. */
export function parseGoUrl(raw: string): GoUrl | string {
  const hash = raw.indexOf('#');
  const main = hash < 0 ? raw : raw.slice(0, hash);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(main)) return 'net/url: invalid control character in URL';
  if (main === '*') return { scheme: '', host: '' };
  const scheme = getScheme(main);
  if (typeof scheme === 'string') return scheme;
  let rest = scheme.rest;
  const query = rest.indexOf('?');
  if (query >= 0) rest = rest.slice(0, query);
  if (!rest.startsWith('/')) {
    if (scheme.scheme !== '') return { scheme: scheme.scheme, host: '' };
    if ((rest.split('/', 1)[0] ?? '').includes(':')) return 'first path segment in URL cannot contain colon';
  }
  let host = '';
  if ((scheme.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    const error = parseAuthorityError(authority);
    if (error) return error;
    host = authority.slice(authority.lastIndexOf('@') + 1);
  }
  const error = unescapeError(rest, 'path') ?? (hash < 0 ? undefined : unescapeError(raw.slice(hash + 1), 'fragment'));
  return error ?? { scheme: scheme.scheme, host };
}

/** Go `URL.Port()`: the digits after the host's last ":", or "" when there are none. */
export function goUrlPort(url: GoUrl): string {
  const colon = url.host.lastIndexOf(':');
  if (colon < 0) return '';
  const port = url.host.slice(colon);
  return validOptionalPort(port) ? port.slice(1) : '';
}
