/**
 * Idle timeouts (V2Ray's policy `connIdle`, `uplinkOnly`, `downlinkOnly`): one sweep a second over
 * all open connections instead of a timer per connection. A connection with no bytes either way for
 * `connectionIdleMs` is aborted; once one direction has ended, the other may idle only for
 * `downlinkOnlyMs` (after the uplink ended) or `uplinkOnlyMs` (after the downlink ended).
 */
import { disposableInterval, type Disposable } from '../../common/disposable.js';
import type { LevelPolicy } from '../../features/policy.js';
import type { LinkCounters } from '../../transport/link.js';
import { Roster, type RosterMembership } from '../../common/roster.js';

export interface WatchedConnection {
  counters: LinkCounters;
  policy: LevelPolicy;
  uplinkEnded(): boolean;
  downlinkEnded(): boolean;
  /**
   * `halfClosed`: the limit was uplinkOnly / downlinkOnly, the policy's way of finishing a
   * connection whose other direction has ended (V2Ray closes it as it would any other).
   */
  abort(reason: string, halfClosed: boolean): void;
}

interface Watch {
  connection: WatchedConnection;
  lastTotal: number;
  idleSince: number;
  membership: RosterMembership | undefined;
}

export const IDLE_SWEEP_MS = 1000;

export class IdleWatch implements Disposable {
  private readonly watches = new Roster<Watch>();
  private sweeper: Disposable | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Watches `connection` until the returned function is called. */
  add(connection: WatchedConnection): () => void {
    const watch: Watch = { connection, lastTotal: 0, idleSince: this.now(), membership: undefined };
    watch.membership = this.watches.add(watch);
    this.sweeper ??= disposableInterval(() => this.sweep(), IDLE_SWEEP_MS);
    return () => {
      watch.membership?.remove();
      if (this.watches.size === 0) {
        this.sweeper?.dispose();
        this.sweeper = undefined;
      }
    };
  }

  /** One pass; public so tests can drive time. */
  sweep(): void {
    const now = this.now();
    for (const watch of this.watches.toArray()) {
      const { connection } = watch;
      const total = connection.counters.up + connection.counters.down;
      if (total !== watch.lastTotal) {
        watch.lastTotal = total;
        watch.idleSince = now;
        continue;
      }
      const limit = idleLimit(connection);
      if (now - watch.idleSince >= limit.ms) {
        watch.membership?.remove();
        connection.abort(`${limit.reason}: no traffic for ${Math.round(limit.ms / 1000)} s`, limit.halfClosed);
      }
    }
  }

  dispose(): void {
    this.sweeper?.dispose();
    this.sweeper = undefined;
    this.watches.clear();
  }
}

function idleLimit(connection: WatchedConnection): { ms: number; reason: string; halfClosed: boolean } {
  const { policy } = connection;
  if (connection.uplinkEnded() && !connection.downlinkEnded()) return { ms: Math.min(policy.downlinkOnlyMs, policy.connectionIdleMs), reason: 'downlinkOnly timeout', halfClosed: true };
  if (connection.downlinkEnded() && !connection.uplinkEnded()) return { ms: Math.min(policy.uplinkOnlyMs, policy.connectionIdleMs), reason: 'uplinkOnly timeout', halfClosed: true };
  return { ms: policy.connectionIdleMs, reason: 'connIdle timeout', halfClosed: false };
}
