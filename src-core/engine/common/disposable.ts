/**
 * Lifetimes (style.md point 13): whatever listens, owns a socket or runs a timer is disposable,
 * so a feature's `close()` can release all its children and tests can prove nothing leaks.
 */

export interface Disposable {
  dispose(): void;
}

export function toDisposable(dispose: () => void): Disposable {
  let disposed = false;
  return {
    dispose() {
      if (disposed) return;
      disposed = true;
      dispose();
    },
  };
}

/** A set of disposables released together, in reverse order of addition. */
export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>();
  private disposed = false;

  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
      return item;
    }
    this.items.add(item);
    return item;
  }

  delete(item: Disposable): void {
    this.items.delete(item);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const item of [...this.items].reverse()) {
      try {
        item.dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    this.items.clear();
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }
}

/** A timer that is a Disposable. `unref` so a forgotten one never keeps the process alive. */
export function disposableInterval(callback: () => void, milliseconds: number): Disposable {
  const handle = setInterval(callback, milliseconds);
  handle.unref();
  return toDisposable(() => clearInterval(handle));
}

export function disposableTimeout(callback: () => void, milliseconds: number): Disposable {
  const handle = setTimeout(callback, milliseconds);
  handle.unref();
  return toDisposable(() => clearTimeout(handle));
}

/** Something with a lifecycle, as V2Ray's `common.Runnable`. */
export interface Runnable {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Closes every runnable, waits for all, and throws one combined error if any failed. */
export async function closeAll(runnables: Iterable<{ close(): Promise<void> }>): Promise<void> {
  const results = await Promise.allSettled([...runnables].map((item) => item.close()));
  const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several parts failed to close');
}
