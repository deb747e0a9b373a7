/**
 * The wait of new sessions for their first payload (so New and Data share a frame), for all the
 * sessions of one connection with one timer: a timer per session cost more than the rest of a
 * bound session's setup (docs/performance-log.md). Every session waits the same `waitMs`, so the
 * queue is in deadline order. A session that sent New meanwhile cancels its entry, so that the
 * queue does not keep it (and its socket) alive past its young-generation GCs.
 */
export interface DeferredNew {
  /** Sends New now (bare) if it has not gone out yet. */
  flushNew(): void;
}

/** One session's place in the queue. */
export interface Deferred {
  due: number;
  session: DeferredNew | undefined;
}

export class NewFrameDeferral {
  private readonly queue: Deferred[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly fire = (): void => this.flushDue();

  constructor(private readonly waitMs: number) {}

  /** Queues `session`; clear the entry's `session` once New went out. */
  add(session: DeferredNew): Deferred {
    const entry: Deferred = { due: Date.now() + this.waitMs, session };
    this.queue.push(entry);
    if (!this.timer) this.arm(this.waitMs);
    return entry;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }

  private flushDue(): void {
    this.timer = undefined;
    const now = Date.now();
    const queue = this.queue;
    while (this.head < queue.length && queue[this.head]!.due <= now) {
      queue[this.head]!.session?.flushNew();
      this.head += 1;
    }
    if (this.head === queue.length) {
      queue.length = 0;
      this.head = 0;
      return;
    }
    // A timer may fire a little before its due time by Date.now(): the rest waits for its own.
    if (this.head > 1024) {
      queue.splice(0, this.head);
      this.head = 0;
    }
    this.arm(queue[this.head]!.due - now);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.fire, ms);
    this.timer.unref();
  }
}
