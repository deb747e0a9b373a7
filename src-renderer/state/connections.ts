/** The Connections page: the live rows, sorting, filtering, closing. */
import type { ConnectionRow, ErrorEnvelope } from '../../src-core/host/api/index.js';
import { bridgeUserExposureOfTag, exposureIdOfTag } from '../../src-core/host/api/exposure-tag.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

export type ConnectionSortKey = 'target' | 'inboundTag' | 'outboundTag' | 'source' | 'startedAt' | 'duration' | 'bytesUp' | 'bytesDown' | 'rate';

export interface ConnectionSort {
  key: ConnectionSortKey;
  descending: boolean;
}

/** Which list the table shows: live connections, or the ones that closed in the last minute. */
export type ConnectionList = 'active' | 'closed';

/** One sample of the selected connection, for its detail view's graph. */
export interface ConnectionSample {
  time: number;
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
}

/** Samples kept for the selected connection (one a second: five minutes). */
export const SELECTED_SAMPLES_KEPT = 300;

export interface ConnectionsSlice {
  rows: ConnectionRow[];
  sort: ConnectionSort;
  filter: string;
  showTunnels: boolean;
  /** Also list the bridge's service side of connections this instance's own portal lists (ConnectionRow.serviceSide). */
  showServiceSides: boolean;
  list: ConnectionList;
  /** The connection whose detail view is open, and its samples since it was opened. */
  selectedConnection: number | null;
  selectedSamples: ConnectionSample[];
  /** The selected row as last seen (kept once it is gone from the rows). */
  selectedRow: ConnectionRow | null;
  /** Ids the user asked to close, until the engine reports them closed. */
  closing: Record<number, true>;
  connectionsError: ErrorEnvelope | null;
  applyConnectionRows(rows: ConnectionRow[]): void;
  setSort(key: ConnectionSortKey): void;
  setFilter(filter: string): void;
  setShowTunnels(show: boolean): void;
  setShowServiceSides(show: boolean): void;
  setConnectionList(list: ConnectionList): void;
  selectConnection(id: number | null): void;
  closeConnection(id: number): Promise<void>;
  closeAllConnections(): Promise<void>;
}

export const createConnectionsSlice: SliceCreator<ConnectionsSlice> = (set, get) => ({
  rows: [],
  sort: { key: 'startedAt', descending: true },
  filter: '',
  showTunnels: true,
  showServiceSides: false,
  list: 'active',
  selectedConnection: null,
  selectedSamples: [],
  selectedRow: null,
  closing: {},
  connectionsError: null,
  applyConnectionRows: (rows) => {
    const { closing, selectedConnection } = get();
    if (selectedConnection !== null) {
      const row = rows.find((item) => item.id === selectedConnection);
      if (row) {
        const samples = get().selectedSamples;
        const sample = { time: Date.now(), bytesUp: row.bytesUp, bytesDown: row.bytesDown, upRate: row.upRate, downRate: row.downRate };
        set({ selectedRow: row, selectedSamples: row.closedAt !== null && samples.at(-1)?.bytesDown === row.bytesDown && samples.at(-1)?.bytesUp === row.bytesUp ? samples : [...samples.slice(-(SELECTED_SAMPLES_KEPT - 1)), sample] });
      }
    }
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
  setShowServiceSides: (showServiceSides) => set({ showServiceSides }),
  setConnectionList: (list) => set({ list }),
  selectConnection: (id) => {
    const row = id === null ? null : get().rows.find((item) => item.id === id) ?? null;
    set({
      selectedConnection: id,
      selectedRow: row,
      selectedSamples: row ? [{ time: Date.now(), bytesUp: row.bytesUp, bytesDown: row.bytesDown, upRate: row.upRate, downRate: row.downRate }] : [],
    });
  },
  closeConnection: async (id) => {
    set((state) => ({ closing: { ...state.closing, [id]: true }, connectionsError: null }));
    try {
      await engineService().closeConnection(id);
    } catch (error) {
      set({ connectionsError: envelopeOf(error) });
    }
  },
  closeAllConnections: async () => {
    const open = get().rows.filter((row) => row.closedAt === null && row.kind === 'connection' && row.serviceSide !== true);
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

/**
 * How a tag reads in the table: an exposure's tag (`exposure:e-1bc3d4f3`, `exposure@<owner>:<id>`)
 * as `exposure “Blog”` when the row knows the exposure's name; any other tag as it is.
 */
export function tagLabel(tag: string, row: Pick<ConnectionRow, 'exposure'>): string {
  if (!tag) return '—';
  const id = exposureIdOfTag(tag) ?? bridgeUserExposureOfTag(tag)?.id ?? null;
  if (id === null) return tag;
  return `exposure “${row.exposure?.id === id ? row.exposure.name : id}”`;
}

/** Open user connections as the totals count them (the service sides are the same connections). */
export function isOpenUserConnection(row: ConnectionRow): boolean {
  return row.closedAt === null && row.kind === 'connection' && row.serviceSide !== true;
}

/** The rows the table shows: one list (active or recently closed), filtered (any column and the exposure's name, case-insensitive) and sorted. Pure, for `useMemo`. */
export function visibleConnections(
  rows: readonly ConnectionRow[],
  options: { sort: ConnectionSort; filter: string; showTunnels: boolean; showServiceSides?: boolean; list?: ConnectionList; now: number },
): ConnectionRow[] {
  const needle = options.filter.trim().toLowerCase();
  const kept = rows.filter((row) => {
    if (!options.showTunnels && row.kind === 'tunnel') return false;
    if (options.showServiceSides === false && row.serviceSide === true) return false;
    if (options.list === 'active' && row.closedAt !== null) return false;
    if (options.list === 'closed' && row.closedAt === null) return false;
    if (!needle) return true;
    const names = row.exposure ? ` ${row.exposure.name} ${tagLabel(row.inboundTag, row)} ${tagLabel(row.outboundTag, row)}` : '';
    return `${row.target} ${row.inboundTag} ${row.outboundTag} ${row.source} #${row.id}${names}`.toLowerCase().includes(needle);
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
