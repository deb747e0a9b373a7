/**
 * Registries of short-lived members (open sockets, streams, connections) that do not hold on to
 * their members after removal, so that V8's young-generation GC can free a closed connection.
 *
 * Why not a plain Set or Map: a long-lived Set/Map lives in V8's old generation, and with members
 * coming and going it keeps rehashing into a fresh table. The table it leaves behind is dead but
 * still in the old generation, and still points at the members it held at that moment; a
 * scavenge cannot tell that the old table is dead, so it keeps those members (and everything they
 * reach: a connection's sockets, streams, buffers and closures) alive and promotes them. Measured
 * on the bench's 1 KiB requests, that promoted ~8 KiB per connection on each side (every
 * connection's objects), which then waited for a full mark-compact: scavenges of ~3.4 ms every
 * ~40 ms, and an 11 ms mark-compact every second.
 *
 * A `Roster` is a doubly linked list whose nodes are cleared on removal; a `RosterMap` keeps its
 * values in small slots that are emptied before the key is deleted. A stale table or node then
 * reaches nothing bigger than an empty slot.
 */

interface RosterNode<T> {
  linked: boolean;
  value: T | undefined;
  previous: RosterNode<T> | undefined;
  next: RosterNode<T> | undefined;
}

/** Handed out by {@link Roster.add}: takes the member off the roster (again: no-op). */
export interface RosterMembership {
  remove(): void;
}

/** An unordered collection of members, each added once and removed through its membership. */
export class Roster<T> {
  private head: RosterNode<T> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(value: T): RosterMembership {
    const node: RosterNode<T> = { linked: true, value, previous: undefined, next: this.head };
    if (this.head) this.head.previous = node;
    this.head = node;
    this.count += 1;
    return { remove: () => this.unlink(node) };
  }

  /** The members now, as an array: callers may remove members while they walk it. */
  toArray(): T[] {
    const values: T[] = [];
    for (let node = this.head; node; node = node.next) values.push(node.value as T);
    return values;
  }

  /** Drops every member. */
  clear(): void {
    let node = this.head;
    while (node) {
      const next = node.next;
      node.linked = false;
      node.value = undefined;
      node.previous = undefined;
      node.next = undefined;
      node = next;
    }
    this.head = undefined;
    this.count = 0;
  }

  private unlink(node: RosterNode<T>): void {
    if (!node.linked) return;
    node.linked = false;
    if (node.previous) node.previous.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.previous = node.previous;
    node.value = undefined;
    node.previous = undefined;
    node.next = undefined;
    this.count -= 1;
  }
}

interface Slot<T> {
  value: T | undefined;
}

/** A Map whose deleted values are unreachable from the tables it leaves behind (see above). */
export class RosterMap<K, T> {
  private readonly slots = new Map<K, Slot<T>>();

  get size(): number {
    return this.slots.size;
  }

  get(key: K): T | undefined {
    return this.slots.get(key)?.value;
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  set(key: K, value: T): void {
    const slot = this.slots.get(key);
    if (slot) slot.value = value;
    else this.slots.set(key, { value });
  }

  delete(key: K): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    slot.value = undefined;
    return this.slots.delete(key);
  }

  /** The values, as Map.values() walks them (copy them first to delete while walking). */
  *values(): IterableIterator<T> {
    for (const slot of this.slots.values()) yield slot.value as T;
  }

  clear(): void {
    for (const slot of this.slots.values()) slot.value = undefined;
    this.slots.clear();
  }
}
