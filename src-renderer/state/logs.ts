/** The Logs page: recent lines (bounded), level filter, search, pause. */
import type { LogLevel, LogLine } from '../../src-core/host/api/index.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

export const LOG_LINES_KEPT = 2000;
const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

export interface LogsSlice {
  lines: LogLine[];
  logLevel: LogLevel;
  logSearch: string;
  logsPaused: boolean;
  /** Lines that arrived while paused (shown after resuming). */
  heldLines: LogLine[];
  appendLogLines(lines: LogLine[]): void;
  loadRecentLogs(): Promise<void>;
  setLogLevel(level: LogLevel): void;
  setLogSearch(search: string): void;
  setLogsPaused(paused: boolean): void;
  clearLogView(): void;
}

function keepNewest(lines: LogLine[]): LogLine[] {
  return lines.length > LOG_LINES_KEPT ? lines.slice(lines.length - LOG_LINES_KEPT) : lines;
}

export const createLogsSlice: SliceCreator<LogsSlice> = (set, get) => ({
  lines: [],
  logLevel: 'debug',
  logSearch: '',
  logsPaused: false,
  heldLines: [],
  appendLogLines: (incoming) => {
    if (incoming.length === 0) return;
    const { logsPaused, heldLines, lines } = get();
    if (logsPaused) {
      set({ heldLines: keepNewest([...heldLines, ...incoming]) });
      return;
    }
    const last = lines[lines.length - 1]?.seq ?? 0;
    set({ lines: keepNewest([...lines, ...incoming.filter((line) => line.seq > last)]) });
  },
  loadRecentLogs: async () => {
    const recent = await engineService().recentLogs({ limit: LOG_LINES_KEPT });
    const { lines } = get();
    const first = lines[0]?.seq ?? Number.POSITIVE_INFINITY;
    const last = lines[lines.length - 1]?.seq ?? Number.POSITIVE_INFINITY;
    // Older lines before, and (after a reconnect) the ones missed while away after.
    set({ lines: keepNewest([...recent.filter((line) => line.seq < first), ...lines, ...recent.filter((line) => line.seq > last)]) });
  },
  setLogLevel: (logLevel) => set({ logLevel }),
  setLogSearch: (logSearch) => set({ logSearch }),
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
});

/** Lines at `level` or more severe whose text contains `search` (case-insensitive). Pure. */
export function visibleLogLines(lines: readonly LogLine[], level: LogLevel, search: string): LogLine[] {
  const needle = search.trim().toLowerCase();
  const rank = LEVEL_RANK[level];
  return lines.filter((line) => LEVEL_RANK[line.level] >= rank && (!needle || `${line.component} ${line.message}`.toLowerCase().includes(needle)));
}
