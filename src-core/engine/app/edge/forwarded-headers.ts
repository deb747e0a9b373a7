/**
 * Headers on their way through the edge. Hop-by-hop headers (RFC 9110 §7.6.1) belong to one
 * connection and are dropped both ways. The edge is the first hop, so whatever a visitor says
 * about forwarding (`X-Forwarded-*`, `Forwarded`, `X-Real-IP`) is a lie to drop; the edge then
 * says it itself (RFC 7239 `Forwarded`, and the de-facto `X-Forwarded-*` and `X-Real-IP`).
 * Names are compared with `_` read as `-`: CGI, PHP and WSGI turn both into `HTTP_X_FORWARDED_FOR`,
 * so `X_Forwarded_For` would otherwise slip a spoofed address past (nginx drops such names too).
 */
import type { Visitor } from './routes.js';

/** Raw header pairs, names as the peer spelled them, duplicates kept. */
export type HeaderPairs = Array<[name: string, value: string]>;

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authorization', 'proxy-authenticate',
  // Answered (100 Continue) by the edge itself; the service must not be asked again.
  'expect',
  // HTTP/2 only: meaningless on the HTTP/1.1 hop to the service.
  'http2-settings',
]);

const VISITOR_CLAIMS = new Set(['forwarded', 'x-real-ip']);

function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes('_') ? lower.replace(/_/g, '-') : lower;
}

/** The names a `Connection` header lists: hop-by-hop too (RFC 9110 §7.6.1); undefined when there is none. */
function connectionListed(pairs: HeaderPairs): Set<string> | undefined {
  let listed: Set<string> | undefined;
  for (const [name, value] of pairs) {
    if (name.length !== 10 || canonical(name) !== 'connection') continue;
    listed ??= new Set();
    for (const token of value.split(',')) {
      const trimmed = canonical(token.trim());
      if (trimmed) listed.add(trimmed);
    }
  }
  return listed;
}

/** Pairs from a flat `[name, value, name, value…]` list (Node's `rawHeaders`). */
export function pairsFromRaw(raw: readonly string[]): HeaderPairs {
  const pairs: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] ?? '', raw[i + 1] ?? '']);
  return pairs;
}

function withoutHopByHop(pairs: HeaderPairs): HeaderPairs {
  const listed = connectionListed(pairs);
  return pairs.filter(([name]) => {
    const key = canonical(name);
    return !HOP_BY_HOP.has(key) && !listed?.has(key);
  });
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** An RFC 7239 value: a token as is, anything else quoted. */
function forwardedValue(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** RFC 7239 §6: an IPv6 node is bracketed (and so quoted); IPv4 as is. */
function forwardedNode(address: string): string {
  return address.includes(':') ? `"[${address}]"` : address;
}

export interface ForwardingFacts {
  readonly visitor: Visitor;
  /** The Host the visitor sent (with its port, if any). */
  readonly host: string;
  /** The edge checked the visitor's `Authorization` (the exposure's basic auth): it is the portal's secret, not the service's. */
  readonly edgeAuthorization?: boolean;
}

function forwardingHeaders({ visitor, host }: ForwardingFacts): HeaderPairs {
  return [
    ['X-Forwarded-For', visitor.address],
    ['X-Forwarded-Proto', visitor.protocol],
    ['X-Forwarded-Host', host],
    ['X-Real-IP', visitor.address],
    ['Forwarded', `for=${forwardedNode(visitor.address)};host=${forwardedValue(host)};proto=${visitor.protocol}`],
  ];
}

/**
 * The headers of a request as the service receives it: the visitor's, minus hop-by-hop and
 * forwarding claims, `Host` set to what the visitor asked for (HTTP/2's `:authority`), plus the
 * edge's forwarding headers. `upgrade`: keep `Upgrade` and say `Connection: Upgrade` (WebSocket).
 * One pass over the fields: this runs for every request the edge relays.
 */
export function requestHeadersForService(pairs: HeaderPairs, facts: ForwardingFacts, upgrade = false, options: { keepExpect?: boolean } = {}): HeaderPairs {
  const listed = connectionListed(pairs);
  const result: HeaderPairs = [['Host', facts.host]];
  for (const pair of pairs) {
    const name = pair[0];
    if (name.charCodeAt(0) === 0x3a) continue; // an HTTP/2 pseudo-header (`:path`)
    const key = canonical(name);
    if (key === 'host' || VISITOR_CLAIMS.has(key) || key.startsWith('x-forwarded-')) continue;
    if (key === 'authorization' && facts.edgeAuthorization) continue;
    if (HOP_BY_HOP.has(key) || listed?.has(key)) {
      const kept = (upgrade && key === 'upgrade') || (options.keepExpect === true && key === 'expect');
      if (!kept) continue;
    }
    result.push(pair);
  }
  if (upgrade) result.push(['Connection', 'Upgrade']);
  result.push(...forwardingHeaders(facts));
  return result;
}

/** Response headers from the service on their way to the visitor: hop-by-hop ones dropped. */
export function responseHeadersForVisitor(pairs: HeaderPairs): HeaderPairs {
  return withoutHopByHop(pairs);
}
