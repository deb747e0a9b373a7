/**
 * The name a visitor asked for, as route tables key it: a `Host` header's, `:authority`'s or
 * SNI's name in lower case, without port, IPv6 brackets or a trailing root dot.
 */

const NAME = /^[a-z0-9_.:-]+$/;

/** The name in a `Host`/`:authority` value, or undefined when it is not a usable host. */
export function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  let name = host.trim().toLowerCase();
  let port = '';
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    if (end < 0) return undefined;
    port = name.slice(end + 1);
    name = name.slice(1, end);
    if (port !== '' && !port.startsWith(':')) return undefined;
    port = port.slice(1);
  } else {
    const colon = name.indexOf(':');
    if (colon >= 0) {
      port = name.slice(colon + 1);
      name = name.slice(0, colon);
    }
  }
  if (!/^\d{0,5}$/.test(port)) return undefined;
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name && NAME.test(name) ? name : undefined;
}

/** An SNI name as a route key (TLS already restricts its characters). */
export function serverNameOf(servername: string | false | null | undefined): string | undefined {
  if (!servername) return undefined;
  const name = servername.toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
