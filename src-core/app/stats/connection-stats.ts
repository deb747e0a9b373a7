/**
 * Per-connection counters for the UI, read as a snapshot. Closed connections stay listed for
 * `keepClosedMs` so the table can show them dimmed before they go.
 */
import type { ConnectionEntry, ConnectionSnapshot, ConnectionStats } from '../../features/stats.js';

interface Closed {
  snapshot: ConnectionSnapshot;
}

export class DefaultConnectionStats implements ConnectionStats {
  private readonly open = new Map<number, ConnectionEntry>();
  private readonly closed: Closed[] = [];

  constructor(private readonly keepClosedMs = 60_000, private readonly maxClosed = 2000) {}

  track(entry: ConnectionEntry): { done(): void } {
    this.open.set(entry.id, entry);
    return {
      done: () => {
        if (!this.open.delete(entry.id)) return;
        this.closed.push({ snapshot: { ...toSnapshot(entry), closedAt: Date.now() } });
        if (this.closed.length > this.maxClosed) this.closed.shift();
      },
    };
  }

  snapshot(now = Date.now()): ConnectionSnapshot[] {
    while (this.closed.length > 0 && now - (this.closed[0]?.snapshot.closedAt ?? now) > this.keepClosedMs) this.closed.shift();
    return [...[...this.open.values()].map(toSnapshot), ...this.closed.map((item) => item.snapshot)];
  }

  abort(id: number): boolean {
    const entry = this.open.get(id);
    if (!entry) return false;
    entry.abort();
    return true;
  }

  /** Number of connections still open (tests assert it returns to zero). */
  get openCount(): number {
    return this.open.size;
  }
}

function toSnapshot(entry: ConnectionEntry): ConnectionSnapshot {
  return {
    id: entry.id,
    inboundTag: entry.inboundTag,
    outboundTag: entry.outboundTag,
    source: entry.source,
    target: entry.target,
    startedAt: entry.startedAt,
    bytesUp: entry.counters.up,
    bytesDown: entry.counters.down,
  };
}
