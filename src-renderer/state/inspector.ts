/**
 * The Inspector page's state (issue 6/7): one exposure's captured requests (live: the service's
 * batched `inspector` events are merged in), the filters, pause and clear, the request opened in
 * the detail view (masked unless revealed, with its curl command), replays and HAR export. Its
 * own small store: nothing else in the window needs it, and it listens only while the page is open.
 */
import { create } from 'zustand';
import type { EngineService, ErrorEnvelope, InspectorChange, InspectorEntry, InspectorReplayEdits, InspectorSettings, InspectorSummary } from '../../src-core/host/api/index.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';

export type StatusClass = 'all' | '2xx' | '3xx' | '4xx' | '5xx' | 'other';

export interface InspectorFilter {
  /** Matches path, method, status, visitor or content type (case-insensitive). */
  text: string;
  /** `all`, or one method such as `GET`. */
  method: string;
  status: StatusClass;
}

export const NO_FILTER: InspectorFilter = { text: '', method: 'all', status: 'all' };

/** Rows kept on this side: the service's ring is at most 100,000; a row is small. */
export const ROWS_KEPT = 100_000;

export interface InspectorState {
  exposureId: string | null;
  /** Oldest first (the list shows newest first). */
  entries: InspectorSummary[];
  paused: boolean;
  running: boolean;
  settings: InspectorSettings | null;
  loading: boolean;
  error: ErrorEnvelope | null;
  filter: InspectorFilter;
  selectedId: number | null;
  detail: InspectorEntry | null;
  /** Whether `detail` (and `curl`) came with secrets shown: it lags `reveal` until the reload lands. */
  detailRevealed: boolean;
  curl: string | null;
  detailError: ErrorEnvelope | null;
  /** Secret headers shown as sent (for the opened request, its curl, and the HAR download). */
  reveal: boolean;
  replaying: boolean;
  /** What the last action said (a replay done, an error), for the page's one polite live region. */
  notice: { tone: 'ok' | 'error'; text: string } | null;

  open(exposureId: string | null): Promise<void>;
  reload(): Promise<void>;
  applyChanges(changes: readonly InspectorChange[]): void;
  setFilter(patch: Partial<InspectorFilter>): void;
  select(id: number | null): Promise<void>;
  setReveal(reveal: boolean): Promise<void>;
  setPaused(paused: boolean): Promise<void>;
  clear(): Promise<void>;
  setSettings(patch: Partial<InspectorSettings>): Promise<boolean>;
  replay(id: number, edits?: InspectorReplayEdits): Promise<InspectorSummary | null>;
  /** The HAR document as text, or null (the error is in `notice`). */
  exportHar(): Promise<string | null>;
}

const initial = {
  exposureId: null, entries: [], paused: false, running: false, settings: null, loading: false, error: null, filter: NO_FILTER,
  selectedId: null, detail: null, detailRevealed: false, curl: null, detailError: null, reveal: false, replaying: false, notice: null,
} satisfies Partial<InspectorState>;

/** The list after one batch: rows added or replaced by id, ids gone removed, oldest first. */
export function mergeRows(entries: readonly InspectorSummary[], change: Pick<InspectorChange, 'upserted' | 'removed'>): InspectorSummary[] {
  const removed = new Set(change.removed);
  const incoming = new Map(change.upserted.map((row) => [row.id, row]));
  const next: InspectorSummary[] = [];
  for (const row of entries) {
    if (removed.has(row.id)) continue;
    const replaced = incoming.get(row.id);
    next.push(replaced ?? row);
    incoming.delete(row.id);
  }
  for (const row of incoming.values()) if (!removed.has(row.id)) next.push(row);
  // Ids only grow: new rows sort last; a replay answered later still sits where it began.
  next.sort((a, b) => a.id - b.id);
  return next.length > ROWS_KEPT ? next.slice(next.length - ROWS_KEPT) : next;
}

export function statusClassOf(status: number | null): Exclude<StatusClass, 'all'> {
  if (status === null || status < 200 || status >= 600) return 'other';
  return `${Math.floor(status / 100)}xx` as Exclude<StatusClass, 'all' | 'other'>;
}

/** The rows the list shows: newest first, through the filter. */
export function visibleRows(entries: readonly InspectorSummary[], filter: InspectorFilter): InspectorSummary[] {
  const text = filter.text.trim().toLowerCase();
  const rows: InspectorSummary[] = [];
  for (let index = entries.length - 1; index >= 0; index -= 1) {
    const row = entries[index];
    if (!row) continue;
    if (filter.method !== 'all' && row.method !== filter.method) continue;
    if (filter.status !== 'all' && statusClassOf(row.status) !== filter.status) continue;
    if (text && ![row.target, row.method, row.status === null ? '' : String(row.status), row.visitor, row.contentType, row.kind].some((field) => field?.toLowerCase().includes(text))) continue;
    rows.push(row);
  }
  return rows;
}

/** The methods seen, for the filter's choices (common ones first). */
export function methodsOf(entries: readonly InspectorSummary[]): string[] {
  const order = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
  const seen = new Set(entries.map((row) => row.method).filter((method): method is string => method !== null));
  return [...seen].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

/** Request headers typed as `Name: value` lines → pairs; the first line that is not one is named. */
export function parseHeaderLines(text: string): { headers: [string, string][] } | { problem: string } {
  const headers: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return { problem: `line ${index + 1}: write each header as "Name: value"` };
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  return { headers };
}

export const useInspectorStore = create<InspectorState>()((set, get) => {
  /** Loads the opened request (again): its row changed, or reveal was switched. */
  const loadDetail = async (id: number) => {
    const { reveal } = get();
    try {
      const [detail, curl] = await Promise.all([
        engineService().getInspectorEntry(id, { reveal }),
        engineService().exportInspectorCurl(id, { reveal }).catch(() => null),
      ]);
      if (get().selectedId === id && get().reveal === reveal) set({ detail, detailRevealed: reveal, curl, detailError: null });
    } catch (error) {
      if (get().selectedId === id) set({ detail: null, curl: null, detailError: envelopeOf(error) });
    }
  };
  const fail = (error: unknown) => set({ notice: { tone: 'error', text: envelopeOf(error).message } });

  return {
    ...initial,
    open: async (exposureId) => {
      if (exposureId === get().exposureId) return get().reload();
      set({ ...initial, exposureId, filter: get().filter, reveal: false });
      return get().reload();
    },
    reload: async () => {
      const { exposureId } = get();
      if (!exposureId) return;
      set({ loading: true });
      try {
        const list = await engineService().listInspectorEntries(exposureId);
        if (get().exposureId !== exposureId) return;
        set({ entries: list.entries, paused: list.paused, running: list.running, settings: list.settings, loading: false, error: null });
        const { selectedId } = get();
        if (selectedId !== null && !list.entries.some((row) => row.id === selectedId)) set({ selectedId: null, detail: null, curl: null });
      } catch (error) {
        if (get().exposureId === exposureId) set({ loading: false, error: envelopeOf(error), entries: [] });
      }
    },
    applyChanges: (changes) => {
      const { exposureId } = get();
      for (const change of changes) {
        if (change.exposureId !== exposureId) continue;
        if (change.reset) {
          void get().reload();
          continue;
        }
        set({ entries: mergeRows(get().entries, change) });
        const { selectedId } = get();
        if (selectedId !== null && change.upserted.some((row) => row.id === selectedId)) void loadDetail(selectedId);
        if (selectedId !== null && change.removed.includes(selectedId)) set({ detailError: { code: 'PH_INSPECTOR', message: 'This request left the list (the list keeps only the newest ones).' } });
      }
    },
    setFilter: (patch) => set({ filter: { ...get().filter, ...patch } }),
    select: async (id) => {
      set({ selectedId: id, detail: null, curl: null, detailError: null });
      if (id !== null) await loadDetail(id);
    },
    setReveal: async (reveal) => {
      set({ reveal });
      const { selectedId } = get();
      if (selectedId !== null) await loadDetail(selectedId);
    },
    setPaused: async (paused) => {
      const { exposureId } = get();
      if (!exposureId) return;
      try {
        await engineService().setInspectorPaused(exposureId, paused);
        set({ paused, notice: null });
      } catch (error) {
        fail(error);
      }
    },
    clear: async () => {
      const { exposureId } = get();
      if (!exposureId) return;
      try {
        await engineService().clearInspector(exposureId);
        set({ entries: [], selectedId: null, detail: null, curl: null, notice: null });
      } catch (error) {
        fail(error);
      }
    },
    setSettings: async (patch) => {
      const { exposureId } = get();
      if (!exposureId) return false;
      try {
        const settings = await engineService().setInspectorSettings(exposureId, patch);
        set({ settings, notice: null });
        return true;
      } catch (error) {
        fail(error);
        return false;
      }
    },
    replay: async (id, edits) => {
      set({ replaying: true, notice: null });
      try {
        // Left out, not `undefined`: JSON would carry it as null.
        const row = await (edits ? engineService().replayInspectorEntry(id, edits) : engineService().replayInspectorEntry(id));
        set({ entries: mergeRows(get().entries, { upserted: [row], removed: [] }), replaying: false, notice: { tone: 'ok', text: `Replayed: ${row.method ?? ''} ${row.target ?? ''} answered ${row.status ?? 'nothing'}` } });
        await get().select(row.id);
        return row;
      } catch (error) {
        set({ replaying: false });
        fail(error);
        return null;
      }
    },
    exportHar: async () => {
      const { exposureId, reveal } = get();
      if (!exposureId) return null;
      try {
        return await engineService().exportInspectorHar(exposureId, { reveal });
      } catch (error) {
        fail(error);
        return null;
      }
    },
  };
});

/** Listens to the service's inspector events while the page is open; returns the unsubscribe. */
export function watchInspector(service: EngineService): () => void {
  return service.onDidChangeInspector((changes) => useInspectorStore.getState().applyChanges(changes));
}

/** Back to the state at start-up (tests). */
export function resetInspectorStore(): void {
  useInspectorStore.setState({ ...initial });
}
