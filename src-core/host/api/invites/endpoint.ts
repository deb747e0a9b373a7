/**
 * Where and how a bridge dials its portal: the part an invite link and a share link
 * (`vmess://`, `vless://`) have in common, checked once so the profile builder can trust it.
 */

export type LinkProtocol = 'vmess' | 'vless';
/** What Porthole's engine carries a link over (V2Ray's `network`): plain TCP or WebSocket. */
export type LinkNetwork = 'tcp' | 'ws';

export interface BridgeEndpoint {
  readonly protocol: LinkProtocol;
  /** The portal's host name or IP address (IPv6 without brackets). */
  readonly address: string;
  readonly port: number;
  /** The user's UUID on the portal's inbound. */
  readonly id: string;
  /** VMess only: legacy alterId (0 means AEAD headers; share links from old servers say 64). */
  readonly alterId?: number;
  readonly network: LinkNetwork;
  readonly tls: boolean;
  /** TLS server name, when it differs from `address`. */
  readonly sni?: string;
  readonly alpn?: readonly string[];
  /** WebSocket path (starts with `/`). */
  readonly path?: string;
  /** WebSocket `Host` header, when it differs from `address`. */
  readonly host?: string;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST_NAME = /^(?=.{1,253}$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9a-f:.]{2,45}$/i;
const WS_PATH = /^\/[\x21-\x7e]{0,1023}$/;

/**
 * A link that cannot be read: a user's mistake, coded as a config value error so that it crosses
 * the service boundary as any other (`{code, message}`). Here, not `ServiceError`, because this
 * folder imports only itself (the renderer runs it).
 */
export class LinkError extends Error {
  readonly code = 'PH_CONFIG_VALUE';
  constructor(message: string) {
    super(message);
    this.name = 'LinkError';
  }
}

/** A bad link: one line, naming the kind of link and the part that is wrong. */
export function badLink(kind: string, message: string): never {
  throw new LinkError(`${kind}: ${message}`);
}

export function checkedAddress(kind: string, value: string | undefined): string {
  const address = (value ?? '').replace(/^\[(.*)\]$/, '$1');
  if (!address) badLink(kind, 'the portal address is missing');
  if (!(HOST_NAME.test(address) || IPV4.test(address) || (address.includes(':') && IPV6.test(address)))) {
    badLink(kind, `"${address}" is not a host name or IP address`);
  }
  return address;
}

export function checkedPort(kind: string, value: string | number | undefined): number {
  const text = String(value ?? '').trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) badLink(kind, text ? `port "${text}" is not 1-65535` : 'the port is missing');
  return port;
}

export function checkedId(kind: string, value: string | undefined): string {
  if (!value) badLink(kind, 'the user id is missing');
  if (!UUID.test(value)) badLink(kind, `user id "${value}" is not a UUID`);
  return value.toLowerCase();
}

export function checkedPath(kind: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const path = value.startsWith('/') ? value : `/${value}`;
  if (!WS_PATH.test(path)) badLink(kind, `WebSocket path "${value}" has spaces or control characters`);
  return path;
}

export function checkedHostName(kind: string, what: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!HOST_NAME.test(value) && !IPV4.test(value)) badLink(kind, `${what} "${value}" is not a host name`);
  return value;
}
