/**
 * What `transport/internet` hands a proxy: a byte stream that says who is at the other end,
 * whatever carries it (TCP, TLS, WebSocket). V2Ray's `internet.Connection` (a `net.Conn`).
 *
 * Ending follows `transport/abort.ts`: `end()` is a half-close where the carrier has one (TCP,
 * TLS); a stream cut short ends as an abort the peer can see (RST under TCP and TLS, an abnormal
 * close of a WebSocket), never as a clean end.
 */
import type { Duplex } from 'node:stream';

export interface Connection extends Duplex {
  /** The peer's address (for a WebSocket behind a proxy, the first `X-Forwarded-For` IP). */
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/** A bound listener of `listen()`. */
export interface Listener {
  /** The bound address (port 0 resolved). */
  address(): { host: string; port: number };
  /** Stops accepting; open connections stay (their owners close them). */
  close(): Promise<void>;
}
