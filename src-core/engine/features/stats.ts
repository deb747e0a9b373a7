import type { LinkCounters } from '../transport/link.js';

/** One connection as the UI's connections table shows it. */
export interface ConnectionSnapshot {
  readonly id: number;
  readonly inboundTag: string;
  readonly outboundTag: string;
  readonly source: string;
  readonly target: string;
  readonly startedAt: number;
  readonly closedAt?: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

export interface ConnectionEntry {
  readonly id: number;
  readonly inboundTag: string;
  readonly outboundTag: string;
  readonly source: string;
  readonly target: string;
  readonly startedAt: number;
  readonly counters: LinkCounters;
  /** Aborts the connection (the UI's "close"). */
  readonly abort: () => void;
}

/** Live per-connection counters (V2Ray's `stats` feature, kept per connection for the UI). */
export interface ConnectionStats {
  track(entry: ConnectionEntry): { done(): void };
  /** Open connections, plus recently closed ones. A copy: callers may keep it. */
  snapshot(): ConnectionSnapshot[];
  abort(id: number): boolean;
}
