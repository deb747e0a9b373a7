/**
 * What the public edge (HTTP/HTTPS listeners shared by every exposure, routed by Host or SNI)
 * needs from the exposures: a name resolves to a route, a route opens a byte stream to the
 * exposure's local service through a link of the bridge that holds it. The edge never learns how
 * the stream is carried, so it can be tested against plain loopback servers.
 */
import type { Duplex } from 'node:stream';

/** Who is on the other end of a public connection, as the edge saw it. */
export interface Visitor {
  readonly address: string;
  readonly port: number;
  /** The scheme the visitor used: what X-Forwarded-Proto says. */
  readonly protocol: 'http' | 'https';
}

/** Checked at the edge before anything reaches the bridge. */
export interface EdgeAccess {
  /** Visitors must send these credentials (HTTP Basic). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** CIDRs (IPv4 or IPv6) a visitor's address must be in; empty or absent: everyone. */
  readonly allow?: readonly string[];
}

export interface EdgeRoute {
  /** The full name visitors use (`app.tunnel.example.com`), lower case. */
  readonly hostname: string;
  /** The bridge user holding it: per-bridge limits count by this key. */
  readonly ownerKey: string;
  readonly access: EdgeAccess;
  /** A fresh byte stream to the local service (HTTP/1.1 is spoken on it). Errors arrive as 'error'. */
  open(visitor: Visitor): Duplex;
}

export interface EdgeRouteTable {
  /** The route for a Host header's or SNI's name (lower case, without port); undefined: unknown name. */
  resolve(hostname: string): EdgeRoute | undefined;
}
