/**
 * The service's log: every engine's entries (across restarts) as `LogLine`s in a bounded ring, and
 * handed to listeners in batches: a busy engine produces at most one batch per `flushMs`, never one
 * event per line (style.md anti-pattern 5).
 */
import type { LogLevel, LogLine } from '../api/index.js';
import type { LogEntry } from '../../engine/features/log.js';
import { Ring } from './ring.js';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

/** Lines kept for `recentLogs`: the Logs page holds as many, finds in them and downloads them. */
export const LOG_HISTORY = 5000;
/** A batch never holds more than this; a flood keeps only its newest lines (the ring has the rest). */
export const LOG_BATCH_MAX = 500;

export function toLogLine(entry: LogEntry, seq: number): LogLine {
  if (entry.kind === 'access') {
    const reason = entry.reason ? ` ${entry.reason}` : '';
    return {
      seq, time: entry.time, kind: 'access', level: 'info', component: 'access',
      message: `from ${entry.from} ${entry.status} ${entry.to} [${entry.route}]${reason}`,
      connectionId: entry.connectionId ?? null,
    };
  }
  return { seq, time: entry.time, kind: 'error', level: entry.level, component: entry.component, message: entry.message, connectionId: entry.connectionId ?? null };
}

export class LogFeed {
  private readonly history = new Ring<LogLine>(LOG_HISTORY);
  private readonly listeners = new Set<(lines: LogLine[]) => void>();
  private pending: LogLine[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;

  constructor(private readonly flushMs = 250) {}

  /** Adds an engine entry. */
  add(entry: LogEntry): void {
    this.push(toLogLine(entry, ++this.seq));
  }

  /** Adds a line from the service itself (engine started, stopped, failed). */
  note(level: LogLevel, message: string): void {
    this.push({ seq: ++this.seq, time: Date.now(), kind: 'error', level, component: 'service', message, connectionId: null });
  }

  recent(level?: LogLevel, limit = 1000): LogLine[] {
    const lines = this.history.toArray();
    const kept = level === undefined ? lines : lines.filter((line) => LEVEL_RANK[line.level] >= LEVEL_RANK[level]);
    return kept.slice(Math.max(0, kept.length - limit));
  }

  onDidLog(listener: (lines: LogLine[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends what is pending now (tests; and on close). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const listener of this.listeners) listener(batch);
  }

  close(): void {
    this.flush();
    this.listeners.clear();
  }

  private push(line: LogLine): void {
    this.history.push(line);
    if (this.listeners.size === 0) return;
    this.pending.push(line);
    if (this.pending.length > LOG_BATCH_MAX) this.pending.splice(0, this.pending.length - LOG_BATCH_MAX);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref?.();
    }
  }
}
