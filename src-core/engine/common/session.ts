/**
 * What the engine knows about one connection as it travels from an inbound through routing to an
 * outbound (V2Ray's `common/session` + `features/routing` context).
 */
import type { Destination } from './net.js';

export interface SourceEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface Session {
  /** Unique within the process; shown in logs and the connections table. */
  readonly id: number;
  /** Tag of the inbound (or bridge) the connection came from; '' when it has none. */
  readonly inboundTag: string;
  readonly source?: SourceEndpoint;
  /** The authenticated user's email (VMess), when there is one. */
  readonly user?: string;
  /**
   * Who authenticated the connection, when an inbound did (VMess: a digest of the user's UUID,
   * never the UUID itself): equal keys mean the same credentials, with or without an email. The
   * portal uses it to tell bridges apart (an exposure's traffic goes to its own bridge only).
   */
  readonly userKey?: string;
  /** Policy level of the user or inbound. */
  readonly level: number;
  /**
   * Set by a part that knows where the connection must go (V2Ray's forced outbound tag): routing
   * rules are skipped. Exposures use it: their traffic never depends on the user's rules.
   */
  readonly outboundTag?: string;
  readonly startedAt: number;
  /**
   * Set once by an outbound that writes to the final destination itself (freedom: the local
   * service's socket): the counters then count the client's bytes where they reach it
   * (`bytesWritten - writableLength`), not where they were read ahead into buffers.
   */
  delivery?: DeliveryCounter;
}

/** A socket's own counts, as net.Socket keeps them (`bytesWritten` includes queued bytes). */
export interface DeliveryCounter {
  readonly bytesWritten: number;
  readonly writableLength: number;
}

let lastSessionId = 0;

/** Allocates an id and stamps the start time. */
export function newSession(fields: Omit<Session, 'id' | 'startedAt'>): Session {
  lastSessionId += 1;
  return { ...fields, id: lastSessionId, startedAt: Date.now() };
}

/** A connection as routing sees it: where it came from and where it wants to go. */
export interface RoutingContext {
  readonly session: Session;
  readonly target: Destination;
}
