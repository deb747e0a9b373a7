/**
 * The engine's log (V2Ray's `app/log`): error-log lines at or above `loglevel`, access lines for
 * every dispatched connection, written in V2Ray's text format to the configured sinks and offered
 * to subscribers (the engine service keeps the UI's recent lines itself). Nothing is kept here:
 * a ring of recent entries, read by nobody, had held an access entry per connection until a
 * thousand more had come, so under churn every one of them was promoted to V8's old generation.
 */
import type { AccessLogEntry, ErrorLogEntry, LogEntry, LogLevel, LogThreshold, Logger } from '../../features/log.js';
import { RepeatSummariser, formatRepeatSummary, type RepeatSummariserOptions } from './repeats.js';

const LEVEL_RANK: Record<LogThreshold, number> = { debug: 0, info: 1, warning: 2, error: 3, none: 4 };
const LEVEL_LABEL: Record<LogLevel, string> = { debug: 'Debug', info: 'Info', warning: 'Warning', error: 'Error' };

export interface LogSink {
  write(line: string): void;
}

export interface DefaultLoggerOptions {
  level: LogThreshold;
  /** Where error-log lines go; undefined drops them. */
  errorSink?: LogSink;
  /** Where access lines go; undefined drops them. */
  accessSink?: LogSink;
  /** How repeated lines are summarised (`logSummarised`); tests inject a clock. */
  repeats?: Omit<RepeatSummariserOptions<RepeatedLine>, 'onSummary'>;
}

interface RepeatedLine {
  level: LogLevel;
  component: string;
  message: string;
}

export class DefaultLogger implements Logger {
  private threshold: number;
  private readonly listeners = new Set<(entry: LogEntry) => void>();
  private readonly summarisedListeners = new Set<(level: LogLevel, component: string, key: string) => void>();
  private errorSink: LogSink | undefined;
  private accessSink: LogSink | undefined;
  private readonly repeats: RepeatSummariser<RepeatedLine>;

  constructor(options: DefaultLoggerOptions) {
    this.threshold = LEVEL_RANK[options.level];
    this.errorSink = options.errorSink;
    this.accessSink = options.accessSink;
    this.repeats = new RepeatSummariser<RepeatedLine>({
      ...options.repeats,
      onSummary: (summary) => this.log(summary.latest.level, summary.latest.component, formatRepeatSummary(summary, summary.latest.message)),
    });
  }

  /** Writes to new sinks from now on (a reload reopens log files, e.g. after logrotate moved them). */
  setSinks(sinks: { errorSink?: LogSink | undefined; accessSink?: LogSink | undefined }): void {
    this.errorSink = sinks.errorSink;
    this.accessSink = sinks.accessSink;
  }

  /** Changes `loglevel` (a config reload). */
  setLevel(level: LogThreshold): void {
    this.threshold = LEVEL_RANK[level];
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.threshold;
  }

  log(level: LogLevel, component: string, message: string, connectionId?: number): void {
    if (!this.enabled(level)) return;
    const entry: ErrorLogEntry = { kind: 'error', time: Date.now(), level, component, message, ...(connectionId === undefined ? {} : { connectionId }) };
    this.errorSink?.write(formatLogEntry(entry));
    this.notify(entry);
  }

  logSummarised(level: LogLevel, component: string, key: string, message: string, connectionId?: number): void {
    // Heard before the level check: `/metrics` counts rejected handshakes whatever the loglevel.
    for (const listener of this.summarisedListeners) listener(level, component, key);
    if (!this.enabled(level)) return;
    if (this.repeats.admit(`${level} ${component} ${key}`, { level, component, message })) this.log(level, component, message, connectionId);
  }

  /** Writes the pending summaries of repeated lines now (before the log files close); later lines are written in full. */
  close(): void {
    this.repeats.close();
  }

  access(fields: Omit<AccessLogEntry, 'kind' | 'time'>): void {
    // One per connection: with no access log and no subscriber there is nothing to build.
    if (!this.accessSink && this.listeners.size === 0) return;
    const entry: AccessLogEntry = { kind: 'access', time: Date.now(), ...fields };
    this.accessSink?.write(formatLogEntry(entry));
    this.notify(entry);
  }

  /** Calls `listener` for each new entry; returns the unsubscribe function. */
  onDidLog(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` with each `logSummarised` line's key, written or only counted; returns the unsubscribe function. */
  onSummarised(listener: (level: LogLevel, component: string, key: string) => void): () => void {
    this.summarisedListeners.add(listener);
    return () => this.summarisedListeners.delete(listener);
  }

  private notify(entry: LogEntry): void {
    for (const listener of this.listeners) listener(entry);
  }
}

function pad(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** `2026/11/25 03:04:05`, local time, as V2Ray prints it. */
export function formatLogTime(time: number): string {
  const date = new Date(time);
  return `${date.getFullYear()}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** One line in V2Ray's format. */
export function formatLogEntry(entry: LogEntry): string {
  const time = formatLogTime(entry.time);
  if (entry.kind === 'access') {
    const reason = entry.reason ? ` ${entry.reason}` : '';
    return `${time} from ${entry.from} ${entry.status} ${entry.to} [${entry.route}]${reason}`;
  }
  const connection = entry.connectionId === undefined ? '' : `[${entry.connectionId}] `;
  return `${time} [${LEVEL_LABEL[entry.level]}] ${connection}${entry.component}: ${entry.message}`;
}
