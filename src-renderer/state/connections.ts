/** The Connections page: the live rows, sorting, filtering, closing. */
import type { ConnectionRow, ErrorEnvelope } from '../../src-core/host/api/index.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

export type ConnectionSortKey = 'target' | 'inboundTag' | 'outboundTag' | 'source' | 'startedAt' | 'duration' | 'bytesUp' | 'bytesDown' | 'rate';

export interface ConnectionSort {
  key: ConnectionSortKey;
  descending: boolean;
}

export interface ConnectionsSlice {
  rows: ConnectionRow[];
  sort: ConnectionSort;
  filter: string;
  showTunnels: boolean;
  /** Ids the user asked to close, until the engine reports them closed. */
  closing: Record<number, true>;
  connectionsError: ErrorEnvelope | null;
  applyConnectionRows(rows: ConnectionRow[]): void;
  setSort(key: ConnectionSortKey): void;
  setFilter(filter: string): void;
  setShowTunnels(show: boolean): void;
  closeConnection(id: number): Promise<void>;
  closeAllConnections(): Promise<void>;
}

export const createConnectionsSlice: SliceCreator<ConnectionsSlice> = (set, get) => ({
  rows: [],
  sort: { key: 'startedAt', descending: true },
  filter: '',
  showTunnels: true,
  closing: {},
  connectionsError: null,
  applyConnectionRows: (rows) => {
    const closing = get().closing;
    const ids = Object.keys(closing);
    if (ids.length === 0) {
      set({ rows });
      return;
    }
    const stillOpen = new Set(rows.filter((row) => row.closedAt === null).map((row) => row.id));
    const next: Record<number, true> = {};
    for (const id of ids) if (stillOpen.has(Number(id))) next[Number(id)] = true;
    set({ rows, closing: next });
  },
  setSort: (key) => set((state) => ({
    sort: state.sort.key === key ? { key, descending: !state.sort.descending } : { key, descending: key !== 'target' && key !== 'inboundTag' && key !== 'outboundTag' && key !== 'source' },
  })),
  setFilter: (filter) => set({ filter }),
  setShowTunnels: (showTunnels) => set({ showTunnels }),
  closeConnection: async (id) => {
    set((state) => ({ closing: { ...state.closing, [id]: true }, connectionsError: null }));
    try {
      await engineService().closeConnection(id);
    } catch (error) {
      set({ connectionsError: envelopeOf(error) });
    }
  },
  closeAllConnections: async () => {
    const open = get().rows.filter((row) => row.closedAt === null && row.kind === 'connection');
    set((state) => ({ closing: { ...state.closing, ...Object.fromEntries(open.map((row) => [row.id, true] as const)) }, connectionsError: null }));
    try {
      await engineService().closeAllConnections();
    } catch (error) {
      set({ connectionsError: envelopeOf(error) });
    }
  },
});

function sortValue(row: ConnectionRow, key: ConnectionSortKey, now: number): number | string {
  switch (key) {
    case 'duration': return (row.closedAt ?? now) - row.startedAt;
    case 'rate': return row.upRate + row.downRate;
    default: return row[key];
  }
}

/** The rows the table shows: filtered (any column, case-insensitive) and sorted. Pure, for `useMemo`. */
export function visibleConnections(rows: readonly ConnectionRow[], options: { sort: ConnectionSort; filter: string; showTunnels: boolean; now: number }): ConnectionRow[] {
  const needle = options.filter.trim().toLowerCase();
  const kept = rows.filter((row) => {
    if (!options.showTunnels && row.kind === 'tunnel') return false;
    if (!needle) return true;
    return `${row.target} ${row.inboundTag} ${row.outboundTag} ${row.source} #${row.id}`.toLowerCase().includes(needle);
  });
  const { key, descending } = options.sort;
  const direction = descending ? -1 : 1;
  return kept.sort((a, b) => {
    const left = sortValue(a, key, options.now);
    const right = sortValue(b, key, options.now);
    const order = typeof left === 'string' && typeof right === 'string' ? left.localeCompare(right) : Number(left) - Number(right);
    return order === 0 ? b.id - a.id : order * direction;
  });
}
