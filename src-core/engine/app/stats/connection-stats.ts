/**
 * Per-connection counters for the UI, read as a snapshot. Closed connections stay listed for
 * `keepClosedMs` (at most `maxClosed` of them) so the table can show them dimmed before they go;
 * with `maxClosed` 0 none are kept (a headless engine, see InstanceOptions).
 */
import type { ConnectionEntry, ConnectionSnapshot, ConnectionStats } from '../../features/stats.js';
import { RosterMap } from '../../common/roster.js';

interface Closed {
  snapshot: ConnectionSnapshot;
}

/** Everything one tag has carried since the engine started (for `/metrics`: cumulative, unlike `snapshot`). */
export interface TagTotals {
  readonly side: 'inbound' | 'outbound';
  readonly tag: string;
  bytesUp: number;
  bytesDown: number;
  /** Connections seen, open or closed. */
  connections: number;
  open: number;
}

export class DefaultConnectionStats implements ConnectionStats {
  private readonly open = new RosterMap<number, ConnectionEntry>();
  private readonly closed: Closed[] = [];
  /** Closed connections' bytes and count per side and tag: added once per connection, at its end. */
  private readonly closedTotals = new Map<string, TagTotals>();

  constructor(private readonly keepClosedMs = 60_000, private readonly maxClosed = 2000) {}

  track(entry: ConnectionEntry): { done(): void } {
    this.open.set(entry.id, entry);
    // An object of a class, not a closure per connection: every connection's done() is then the
    // same function, which TurboFan can inline where the connection ends.
    return new TrackedConnection(this, entry);
  }

  /** The connection ended (TrackedConnection.done). */
  untrack(entry: ConnectionEntry): void {
    if (!this.open.delete(entry.id)) return;
    addTo(this.closedTotals, 'inbound', entry.inboundTag, entry, 0);
    addTo(this.closedTotals, 'outbound', entry.outboundTag, entry, 0);
    if (this.maxClosed === 0) return;
    this.closed.push({ snapshot: { ...toSnapshot(entry), closedAt: Date.now() } });
    // Trim in batches: shifting one entry per close is O(n) per connection.
    if (this.closed.length > this.maxClosed * 1.5) this.closed.splice(0, this.closed.length - this.maxClosed);
  }

  snapshot(now = Date.now()): ConnectionSnapshot[] {
    const firstKept = this.closed.findIndex((item) => now - (item.snapshot.closedAt ?? now) <= this.keepClosedMs);
    this.closed.splice(0, firstKept === -1 ? this.closed.length : firstKept);
    const recent = this.closed.length > this.maxClosed ? this.closed.slice(-this.maxClosed) : this.closed;
    return [...[...this.open.values()].map(toSnapshot), ...recent.map((item) => item.snapshot)];
  }

  /** Per side and tag: bytes and connections since start, closed ones included (read on a scrape, not per packet). */
  tagTotals(): TagTotals[] {
    const totals = new Map<string, TagTotals>();
    for (const [key, value] of this.closedTotals) totals.set(key, { ...value });
    for (const entry of this.open.values()) {
      addTo(totals, 'inbound', entry.inboundTag, entry, 1);
      addTo(totals, 'outbound', entry.outboundTag, entry, 1);
    }
    return [...totals.values()];
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

class TrackedConnection {
  constructor(private readonly stats: DefaultConnectionStats, private readonly entry: ConnectionEntry) {}

  done(): void {
    this.stats.untrack(this.entry);
  }
}

function addTo(totals: Map<string, TagTotals>, side: TagTotals['side'], tag: string, entry: ConnectionEntry, open: number): void {
  const key = `${side}\u0000${tag}`;
  let total = totals.get(key);
  if (!total) {
    total = { side, tag, bytesUp: 0, bytesDown: 0, connections: 0, open: 0 };
    totals.set(key, total);
  }
  total.bytesUp += entry.counters.up;
  total.bytesDown += entry.counters.down;
  total.connections += 1;
  total.open += open;
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
