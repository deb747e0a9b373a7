/**
 * Who may talk to the dashboard: a request carrying the token (cookie, or `Authorization:
 * Bearer`) on an expected Host, and, for the API and the WebSocket, from our own Origin.
 * Pure functions over headers, so each rule has a unit test.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

/** 32 random bytes, base64url (43 characters). */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares in constant time (hashing first makes the lengths equal). */
export function tokensMatch(given: string | undefined, expected: string): boolean {
  if (given === undefined || given.length === 0) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Cookies are shared by every port of a host, so the name carries the port. */
export function cookieName(port: number): string {
  return `porthole_token_${port}`;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    const value = part.slice(index + 1).trim();
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** The cookie that remembers the token: script cannot read it, other sites never send it. */
export function tokenCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The token a request carries, if any (cookie first, then a bearer header). */
export function requestToken(headers: IncomingHttpHeaders, port: number): string | undefined {
  const fromCookie = parseCookies(headers.cookie).get(cookieName(port));
  if (fromCookie) return fromCookie;
  const authorization = headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  return undefined;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

export interface GateOptions {
  token: string;
  /** The port the dashboard listens on. */
  port: number;
  /** Hosts (without port) a browser may name in `Host`; empty means any (remote mode). */
  allowedHosts: ReadonlySet<string>;
}

/**
 * DNS rebinding defence: on loopback, `Host` must name a loopback address or `localhost` at our
 * port, so a page from another site that rebinds its name to 127.0.0.1 is refused.
 */
export function hostAllowed(headers: IncomingHttpHeaders, options: GateOptions): boolean {
  const host = headers.host;
  if (!host) return false;
  if (options.allowedHosts.size === 0) return true;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!match) return false;
  const [, name = '', port] = match;
  return options.allowedHosts.has(name.toLowerCase()) && Number(port ?? 80) === options.port;
}

/** `Origin` must be absent (non-browser clients, same-origin GET) or exactly our own origin. */
export function originAllowed(headers: IncomingHttpHeaders, { required }: { required: boolean }): boolean {
  const origin = headers.origin;
  if (origin === undefined) return !required;
  return origin === `http://${headers.host ?? ''}`;
}

export function authorized(headers: IncomingHttpHeaders, options: GateOptions): boolean {
  return tokensMatch(requestToken(headers, options.port), options.token);
}
