/**
 * The Logs page: recent lines (bounded), level filter, find (over every held line, with next and
 * previous), whole lines (wrap, remembered), pause, and the count of new warnings and errors that
 * the page's screen-reader announcement summarises (never one announcement per line).
 */
import type { LogLevel, LogLine } from '../../src-core/host/api/index.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

/** As many as the service's history holds (`LOG_HISTORY` in log-feed.ts). */
export const LOG_LINES_KEPT = 5000;
/** Screen readers hear about new warnings and errors at most once per this many milliseconds. */
export const LOG_ANNOUNCE_GAP_MS = 5000;
const WRAP_KEY = 'porthole.logs.wrap';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

/** Warnings and errors that arrived since the last announcement (access lines never count). */
export interface LogAlertCounts {
  warnings: number;
  errors: number;
}

export interface LogsSlice {
  lines: LogLine[];
  logLevel: LogLevel;
  logSearch: string;
  /** Show only the lines that match the search (otherwise matches are found among all lines). */
  logMatchesOnly: boolean;
  /** Long lines wrap instead of being cut at the window's edge; remembered in this browser. */
  logWrap: boolean;
  logsPaused: boolean;
  /** Lines that arrived while paused (shown after resuming). */
  heldLines: LogLine[];
  logAlerts: LogAlertCounts;
  appendLogLines(lines: LogLine[]): void;
  loadRecentLogs(): Promise<void>;
  setLogLevel(level: LogLevel): void;
  setLogSearch(search: string): void;
  setLogMatchesOnly(matchesOnly: boolean): void;
  setLogWrap(wrap: boolean): void;
  setLogsPaused(paused: boolean): void;
  clearLogView(): void;
  /** Returns the counts not yet announced and starts counting again from zero. */
  takeLogAlerts(): LogAlertCounts;
}

const NO_ALERTS: LogAlertCounts = { warnings: 0, errors: 0 };

function keepNewest(lines: LogLine[]): LogLine[] {
  return lines.length > LOG_LINES_KEPT ? lines.slice(lines.length - LOG_LINES_KEPT) : lines;
}

/** Storage can be missing (tests) or refused (privacy settings): the preference is then not kept. */
function readWrapPreference(): boolean {
  try {
    return globalThis.localStorage?.getItem(WRAP_KEY) === 'true';
  } catch {
    return false;
  }
}

function writeWrapPreference(wrap: boolean): void {
  try {
    globalThis.localStorage?.setItem(WRAP_KEY, String(wrap));
  } catch {
    // Not kept; the toggle still works for this session.
  }
}

export const createLogsSlice: SliceCreator<LogsSlice> = (set, get) => ({
  lines: [],
  logLevel: 'debug',
  logSearch: '',
  logMatchesOnly: false,
  logWrap: readWrapPreference(),
  logsPaused: false,
  heldLines: [],
  logAlerts: NO_ALERTS,
  appendLogLines: (incoming) => {
    if (incoming.length === 0) return;
    const { logsPaused, heldLines, lines, logAlerts } = get();
    if (logsPaused) {
      set({ heldLines: keepNewest([...heldLines, ...incoming]) });
      return;
    }
    const last = lines[lines.length - 1]?.seq ?? 0;
    const fresh = incoming.filter((line) => line.seq > last);
    const alerts = countLogAlerts(fresh);
    set({
      lines: keepNewest([...lines, ...fresh]),
      ...(alerts.warnings + alerts.errors > 0 ? { logAlerts: { warnings: logAlerts.warnings + alerts.warnings, errors: logAlerts.errors + alerts.errors } } : {}),
    });
  },
  loadRecentLogs: async () => {
    const recent = await engineService().recentLogs({ limit: LOG_LINES_KEPT });
    const { lines } = get();
    const first = lines[0]?.seq ?? Number.POSITIVE_INFINITY;
    const last = lines[lines.length - 1]?.seq ?? Number.POSITIVE_INFINITY;
    // Older lines before, and (after a reconnect) the ones missed while away after. History is not
    // news: it never counts towards an announcement.
    set({ lines: keepNewest([...recent.filter((line) => line.seq < first), ...lines, ...recent.filter((line) => line.seq > last)]) });
  },
  setLogLevel: (logLevel) => set({ logLevel }),
  setLogSearch: (logSearch) => set({ logSearch }),
  setLogMatchesOnly: (logMatchesOnly) => set({ logMatchesOnly }),
  setLogWrap: (logWrap) => {
    writeWrapPreference(logWrap);
    set({ logWrap });
  },
  setLogsPaused: (paused) => {
    if (paused) {
      set({ logsPaused: true });
      return;
    }
    const { heldLines } = get();
    set({ logsPaused: false, heldLines: [] });
    get().appendLogLines(heldLines);
  },
  clearLogView: () => set({ lines: [], heldLines: [] }),
  takeLogAlerts: () => {
    const taken = get().logAlerts;
    if (taken.warnings + taken.errors > 0) set({ logAlerts: NO_ALERTS });
    return taken;
  },
});

/** The text find looks in: what the row shows after the time and level. */
export function logLineText(line: LogLine): string {
  const component = line.kind === 'access' ? '' : `${line.component} `;
  return `${component}${line.connectionId !== null ? `[${line.connectionId}] ` : ''}${line.message}`;
}

/** Whether `line` holds `needle` (already trimmed and lower-cased; empty matches nothing). */
export function logLineMatches(line: LogLine, needle: string): boolean {
  return needle !== '' && logLineText(line).toLowerCase().includes(needle);
}

/** Lines at `level` or more severe; with `matchesOnly`, only those containing `search` (case-insensitive). Pure. */
export function visibleLogLines(lines: readonly LogLine[], level: LogLevel, search: string, matchesOnly = true): LogLine[] {
  const needle = normaliseSearch(search);
  const rank = LEVEL_RANK[level];
  return lines.filter((line) => LEVEL_RANK[line.level] >= rank && (!matchesOnly || !needle || logLineMatches(line, needle)));
}

/** The search as find compares it. */
export function normaliseSearch(search: string): string {
  return search.trim().toLowerCase();
}

/** Indexes (into `lines`) of the lines that hold `search`, oldest first. Pure. */
export function logMatchIndexes(lines: readonly LogLine[], search: string): number[] {
  const needle = normaliseSearch(search);
  if (!needle) return [];
  const indexes: number[] = [];
  lines.forEach((line, index) => {
    if (logLineMatches(line, needle)) indexes.push(index);
  });
  return indexes;
}

/**
 * The match to show after a step of `step` (+1 newer, -1 older) from the line `currentSeq`,
 * wrapping around at either end; with no current line, the newest match. Returns a position in
 * `matchIndexes`, or -1 when nothing matches.
 */
export function stepLogMatch(lines: readonly LogLine[], matchIndexes: readonly number[], currentSeq: number | null, step: -1 | 0 | 1): number {
  if (matchIndexes.length === 0) return -1;
  const count = matchIndexes.length;
  if (currentSeq === null) return count - 1;
  // The first match at or after the current line (lines are in seq order), even if that line is gone.
  let at = matchIndexes.findIndex((index) => (lines[index]?.seq ?? 0) >= currentSeq);
  const exact = at >= 0 && lines[matchIndexes[at] as number]?.seq === currentSeq;
  if (at < 0) at = count;
  if (step === 0) return exact ? at : Math.min(at, count - 1);
  if (step === 1) return exact ? (at + 1) % count : at % count;
  return (at - 1 + count) % count;
}

/** The line as a log file writes it: ISO time, level (or `access`), component, connection id, message. */
export function formatLogFileLine(line: LogLine): string {
  const head = `${new Date(line.time).toISOString()} [${line.kind === 'access' ? 'access' : line.level}]`;
  const component = line.kind === 'access' ? '' : ` ${line.component}:`;
  return `${head}${component} ${line.connectionId !== null ? `[${line.connectionId}] ` : ''}${line.message}`;
}

/** The whole text of a `.log` download: one line each, newline-terminated. */
export function logFileText(lines: readonly LogLine[]): string {
  return lines.map((line) => `${formatLogFileLine(line)}\n`).join('');
}

/** Warnings and errors among `lines`; access lines (one per connection) never count. */
export function countLogAlerts(lines: readonly LogLine[]): LogAlertCounts {
  let warnings = 0;
  let errors = 0;
  for (const line of lines) {
    if (line.kind === 'access') continue;
    if (line.level === 'warning') warnings += 1;
    else if (line.level === 'error') errors += 1;
  }
  return { warnings, errors };
}

/** What a screen reader hears for `counts`, e.g. "2 new errors and 3 new warnings in the log"; null for none. */
export function logAlertAnnouncement(counts: LogAlertCounts): string | null {
  const parts: string[] = [];
  if (counts.errors > 0) parts.push(`${counts.errors} new ${counts.errors === 1 ? 'error' : 'errors'}`);
  if (counts.warnings > 0) parts.push(`${counts.warnings} new ${counts.warnings === 1 ? 'warning' : 'warnings'}`);
  return parts.length === 0 ? null : `${parts.join(' and ')} in the log`;
}

/** Milliseconds to wait before the next announcement may be made (0: now). */
export function logAnnouncementDelay(lastAnnouncedAt: number, now: number, gapMs = LOG_ANNOUNCE_GAP_MS): number {
  return Math.max(0, lastAnnouncedAt + gapMs - now);
}
