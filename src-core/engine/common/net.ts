/**
 * Addresses and destinations as V2Ray's `common/net` models them: an address is an IPv4 or IPv6
 * literal or a domain; a destination adds the network and the port.
 */
import { isIP } from 'node:net';

export type Network = 'tcp' | 'udp';

export type Address =
  | { readonly kind: 'ipv4'; readonly value: string }
  | { readonly kind: 'ipv6'; readonly value: string }
  | { readonly kind: 'domain'; readonly value: string };

export interface Destination {
  readonly network: Network;
  readonly address: Address;
  readonly port: number;
}

/** Parses a host as V2Ray does: an IP literal (IPv6 with or without brackets) or else a domain. */
export function parseAddress(host: string): Address {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family === 4) return { kind: 'ipv4', value: bare };
  if (family === 6) return { kind: 'ipv6', value: bare.toLowerCase() };
  return { kind: 'domain', value: host };
}

export function destination(network: Network, host: string | Address, port: number): Destination {
  return { network, address: typeof host === 'string' ? parseAddress(host) : host, port };
}

/** `example.com`, `127.0.0.1` or `[::1]`, as a host part of a URL or log line. */
export function formatAddress(address: Address): string {
  return address.kind === 'ipv6' ? `[${address.value}]` : address.value;
}

/** `tcp:example.com:443`, the form V2Ray's access log uses. */
export function formatDestination(target: Destination): string {
  return `${target.network}:${formatAddress(target.address)}:${target.port}`;
}

/** The host string Node's `net.connect` wants. */
export function connectHost(address: Address): string {
  return address.value;
}
