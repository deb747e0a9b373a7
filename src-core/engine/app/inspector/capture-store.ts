/**
 * The inspector's memory: per exposure, a ring of the last `ringSize` entries. Bodies are capped
 * as they are copied (BodyCollector), so an exposure holds at most ringSize × 2 × bodyCapBytes
 * of bodies plus heads. Nothing is written to disk. Changes are announced per entry (added,
 * updated, removed) for a live list; body bytes arriving announce nothing.
 */
import type { Disposable } from '../../common/disposable.js';
import type { CapturedEntry } from './captured-entry.js';

export interface CaptureChange {
  readonly exposureId: string;
  /** `cleared`: every entry of the exposure went (ids empty). */
  readonly kind: 'added' | 'updated' | 'removed' | 'cleared';
  readonly ids: readonly number[];
}

export type CaptureListener = (change: CaptureChange) => void;

/** A fixed-size circular buffer: adding to a full ring drops the oldest in O(1). */
class EntryRing {
  private slots: Array<CapturedEntry | undefined>;
  private start = 0;
  size = 0;

  constructor(private capacity: number) {
    this.slots = new Array<CapturedEntry | undefined>(capacity);
  }

  /** Adds `entry`; returns the entry it pushed out, if the ring was full. */
  push(entry: CapturedEntry): CapturedEntry | undefined {
    if (this.capacity === 0) return entry;
    if (this.size < this.capacity) {
      this.slots[(this.start + this.size) % this.capacity] = entry;
      this.size += 1;
      return undefined;
    }
    const dropped = this.slots[this.start];
    this.slots[this.start] = entry;
    this.start = (this.start + 1) % this.capacity;
    return dropped;
  }

  /** Oldest first. */
  toArray(): CapturedEntry[] {
    const entries: CapturedEntry[] = [];
    for (let index = 0; index < this.size; index += 1) {
      const entry = this.slots[(this.start + index) % this.capacity];
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** A new capacity, keeping the newest entries; returns those dropped. */
  resize(capacity: number): CapturedEntry[] {
    const entries = this.toArray();
    const dropped = entries.splice(0, Math.max(0, entries.length - capacity));
    this.capacity = capacity;
    this.slots = new Array<CapturedEntry | undefined>(capacity);
    this.start = 0;
    this.size = 0;
    for (const entry of entries) this.push(entry);
    return dropped;
  }

  get limit(): number {
    return this.capacity;
  }
}

export class CaptureStore {
  private readonly rings = new Map<string, EntryRing>();
  private readonly byId = new Map<number, CapturedEntry>();
  private readonly listeners = new Set<CaptureListener>();
  private lastId = 0;

  constructor(private readonly ringSizeOf: (exposureId: string) => number) {}

  /** Keeps a new entry (its id assigned here), dropping the oldest beyond the ring. */
  add(fields: Omit<CapturedEntry, 'id'>): CapturedEntry {
    this.lastId += 1;
    // The caller's fresh object becomes the entry (no copy: this runs per request).
    const entry = fields as CapturedEntry;
    (entry as { id: number }).id = this.lastId;
    let ring = this.rings.get(entry.exposureId);
    if (!ring) {
      ring = new EntryRing(Math.max(0, this.ringSizeOf(entry.exposureId)));
      this.rings.set(entry.exposureId, ring);
    }
    const dropped = ring.push(entry);
    if (dropped !== entry) this.byId.set(entry.id, entry);
    if (this.listeners.size > 0) this.emit({ exposureId: entry.exposureId, kind: 'added', ids: [entry.id] });
    if (dropped) this.removed(entry.exposureId, [dropped]);
    return entry;
  }

  /** Announces that `entry` changed (no-op once it left the ring). */
  changed(entry: CapturedEntry): void {
    if (this.listeners.size > 0 && this.byId.get(entry.id) === entry) this.emit({ exposureId: entry.exposureId, kind: 'updated', ids: [entry.id] });
  }

  /** Oldest first. */
  list(exposureId: string): readonly CapturedEntry[] {
    return this.rings.get(exposureId)?.toArray() ?? [];
  }

  get(id: number): CapturedEntry | undefined {
    return this.byId.get(id);
  }

  clear(exposureId: string): void {
    const ring = this.rings.get(exposureId);
    if (!ring) return;
    for (const entry of ring.toArray()) this.byId.delete(entry.id);
    this.rings.delete(exposureId);
    this.emit({ exposureId, kind: 'cleared', ids: [] });
  }

  /** Applies the exposure's ring size now (a smaller one drops the oldest entries). */
  trim(exposureId: string): void {
    const ring = this.rings.get(exposureId);
    const size = Math.max(0, this.ringSizeOf(exposureId));
    if (!ring || ring.limit === size) return;
    this.removed(exposureId, ring.resize(size));
  }

  onDidChange(listener: CaptureListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private removed(exposureId: string, entries: CapturedEntry[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) this.byId.delete(entry.id);
    if (this.listeners.size > 0) this.emit({ exposureId, kind: 'removed', ids: entries.map((entry) => entry.id) });
  }

  private emit(change: CaptureChange): void {
    for (const listener of this.listeners) {
      // A listener's failure is its own; the data path that caused the change must not see it.
      try {
        listener(change);
      } catch {
        // Ignored on purpose (see above).
      }
    }
  }
}
