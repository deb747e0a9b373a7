/** Severity as V2Ray's `log.loglevel` names it; 'none' silences the error log. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type LogThreshold = LogLevel | 'none';

/** One line of the error log (V2Ray's "error log": all diagnostics, not only errors). */
export interface ErrorLogEntry {
  readonly kind: 'error';
  readonly time: number;
  readonly level: LogLevel;
  /** The part of the engine that speaks, e.g. `proxy/vmess/inbound`. */
  readonly component: string;
  readonly message: string;
  readonly connectionId?: number;
}

/** One line of the access log: `from SRC accepted tcp:DEST [in -> out]`. */
export interface AccessLogEntry {
  readonly kind: 'access';
  readonly time: number;
  readonly from: string;
  readonly status: 'accepted' | 'rejected';
  readonly to: string;
  readonly route: string;
  readonly reason?: string;
  readonly connectionId?: number;
}

export type LogEntry = ErrorLogEntry | AccessLogEntry;

/** Where the engine's parts write their log lines (V2Ray's `app/log`). */
export interface Logger {
  log(level: LogLevel, component: string, message: string, connectionId?: number): void;
  /**
   * `log` for a line that a remote peer or a failing dependency can repeat at a high rate (bad
   * connections, failed dials): lines with the same `key` (the kind of problem and the peer or
   * target, never a connection id or source port) are written in full the first few times, then
   * counted, and one summary per interval says how many more there were.
   */
  logSummarised(level: LogLevel, component: string, key: string, message: string, connectionId?: number): void;
  access(entry: Omit<AccessLogEntry, 'kind' | 'time'>): void;
  /** Whether a line at `level` would be kept: lets hot paths skip building messages. */
  enabled(level: LogLevel): boolean;
}

/** A logger bound to one component, which is what handlers are given. */
export interface ComponentLogger {
  debug(message: string, connectionId?: number): void;
  info(message: string, connectionId?: number): void;
  warning(message: string, connectionId?: number): void;
  error(message: string, connectionId?: number): void;
  /** A line that may repeat at a high rate, summarised per `key` (see `Logger.logSummarised`). */
  summarised(level: LogLevel, key: string, message: string, connectionId?: number): void;
  enabled(level: LogLevel): boolean;
  access(entry: Omit<AccessLogEntry, 'kind' | 'time'>): void;
}

export function forComponent(logger: Logger, component: string): ComponentLogger {
  return {
    debug: (message, id) => logger.log('debug', component, message, id),
    info: (message, id) => logger.log('info', component, message, id),
    warning: (message, id) => logger.log('warning', component, message, id),
    error: (message, id) => logger.log('error', component, message, id),
    summarised: (level, key, message, id) => logger.logSummarised(level, component, key, message, id),
    enabled: (level) => logger.enabled(level),
    access: (entry) => logger.access(entry),
  };
}

/** What failed, for a `summarised` key: the error's code (`PH_…`, `ECONNREFUSED`), else its name. */
export function errorKindOf(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : typeof error;
}
