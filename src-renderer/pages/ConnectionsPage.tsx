/**
 * Connections: a live, virtualised table (only the visible rows are in the DOM, so 2,000 rows
 * scroll smoothly). Closed rows stay a minute, dimmed.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ConnectionRow } from '../../src-core/host/api/index.js';
import { useConfirm } from '../components/ConfirmDialog.js';
import { EmptyState } from '../components/EmptyState.js';
import { CloseIcon, InboxIcon, SearchIcon } from '../components/Icons.js';
import { formatBytes, formatClock, formatDuration, formatRate, formatTarget } from '../format.js';
import { visibleConnections, type ConnectionSortKey } from '../state/connections.js';
import { useAppStore } from '../state/store.js';

const ROW_HEIGHT = 32;

const COLUMNS: { key: ConnectionSortKey; label: string; right?: boolean }[] = [
  { key: 'target', label: 'Destination' },
  { key: 'inboundTag', label: 'Inbound' },
  { key: 'outboundTag', label: 'Outbound' },
  { key: 'source', label: 'Source' },
  { key: 'startedAt', label: 'Started', right: true },
  { key: 'duration', label: 'Duration', right: true },
  { key: 'bytesUp', label: 'Up', right: true },
  { key: 'bytesDown', label: 'Down', right: true },
  { key: 'rate', label: 'Rate', right: true },
];

function Row({ row, now, closing, top, onClose }: { row: ConnectionRow; now: number; closing: boolean; top: number; onClose(id: number): void }) {
  const closed = row.closedAt !== null || closing;
  return (
    <div
      className={`table-row${closed ? ' closed' : ''}`}
      role="row"
      style={{ transform: `translateY(${top}px)` }}
      data-testid="connection-row"
      data-connection-id={row.id}
      data-state={row.closedAt !== null ? 'closed' : closing ? 'closing' : 'open'}
      data-bytes-down={row.bytesDown}
    >
      <div role="cell" className="dest" title={row.target}>
        <span className="target">{formatTarget(row.target)}</span>
        {row.kind === 'tunnel' ? <span className="badge accent">tunnel</span> : null}
        {row.closedAt !== null ? <span className="badge">closed</span> : null}
      </div>
      <div role="cell" title={row.inboundTag}>{row.inboundTag || '—'}</div>
      <div role="cell" title={row.outboundTag}>{row.outboundTag || '—'}</div>
      <div role="cell" className="mono" title={row.source}>{row.source}</div>
      <div role="cell" className="num right">{formatClock(row.startedAt)}</div>
      <div role="cell" className="num right">{formatDuration((row.closedAt ?? now) - row.startedAt)}</div>
      <div role="cell" className="num right">{formatBytes(row.bytesUp)}</div>
      <div role="cell" className="num right" data-testid="bytes-down">{formatBytes(row.bytesDown)}</div>
      <div role="cell" className="right">
        {closed ? <span className="faint">—</span> : (
          <span className="rate-cell num"><span className="u">↑ {formatRate(row.upRate)}</span><span className="d">↓ {formatRate(row.downRate)}</span></span>
        )}
      </div>
      <div role="cell">
        <button type="button" className="icon-button" aria-label={`Close connection to ${formatTarget(row.target)}`} title="Close" disabled={closed} onClick={() => onClose(row.id)}>
          <CloseIcon />
        </button>
      </div>
    </div>
  );
}

export function ConnectionsPage() {
  const { rows, sort, filter, showTunnels, closing, now, error, running } = useAppStore(useShallow((state) => ({
    rows: state.rows, sort: state.sort, filter: state.filter, showTunnels: state.showTunnels, closing: state.closing,
    now: state.snapshotTime, error: state.connectionsError, running: state.status?.state === 'running',
  })));
  const { setSort, setFilter, setShowTunnels, closeConnection, closeAllConnections } = useAppStore(useShallow((state) => ({
    setSort: state.setSort, setFilter: state.setFilter, setShowTunnels: state.setShowTunnels,
    closeConnection: state.closeConnection, closeAllConnections: state.closeAllConnections,
  })));
  const visible = useMemo(() => visibleConnections(rows, { sort, filter, showTunnels, now }), [rows, sort, filter, showTunnels, now]);
  const open = rows.filter((row) => row.closedAt === null && row.kind === 'connection').length;
  const closedCount = rows.filter((row) => row.closedAt !== null).length;
  const tunnels = rows.filter((row) => row.closedAt === null && row.kind === 'tunnel').length;
  const scroller = useRef<HTMLDivElement>(null);
  const [ask, dialog] = useConfirm();
  // Closing cuts every client at once and cannot be undone: ask first, with Cancel focused (issue 4/7).
  const closeAll = async () => {
    const answer = await ask({
      kind: 'close-all',
      title: `Close ${open === 1 ? 'the open connection' : `all ${open} open connections`}?`,
      body: <p>Each client sees its connection cut, and this cannot be undone. Tunnel links to the portal stay up, and new connections still come in.</p>,
      choices: [{ id: 'close', label: open === 1 ? 'Close 1 connection' : `Close ${open} connections`, tone: 'danger' }, { id: 'cancel', label: 'Cancel', tone: 'primary' }],
      initial: 'cancel',
      cancel: 'cancel',
    });
    if (answer === 'close') await closeAllConnections();
  };
  const virtualizer = useVirtualizer({ count: visible.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });

  return (
    <>
      <div className="toolbar">
        <label className="search">
          <SearchIcon />
          <span className="sr-only">Filter connections</span>
          <input className="input" type="search" placeholder="Filter by destination, tag, source…" value={filter} onChange={(event) => setFilter(event.target.value)} />
        </label>
        <label className="check"><input type="checkbox" checked={showTunnels} onChange={(event) => setShowTunnels(event.target.checked)} />Show tunnel links</label>
        <span className="spacer" />
        <button type="button" className="button danger" onClick={() => void closeAll()} disabled={open === 0}>Close all…</button>
      </div>
      {dialog}
      {error ? <div className="notice error" role="alert" style={{ marginBottom: 12 }}>{error.message}</div> : null}
      <section className="card table connections" role="table" aria-label="Connections" aria-rowcount={visible.length}>
        <div className="table-head" role="row">
          {COLUMNS.map((column) => (
            <div role="columnheader" key={column.key} className={column.right ? 'right' : undefined} aria-sort={sort.key === column.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
              <button type="button" onClick={() => setSort(column.key)} title={`Sort by ${column.label.toLowerCase()}`}>
                <span className="label">{column.label}</span>
                {sort.key === column.key ? <span aria-hidden="true">{sort.descending ? '↓' : '↑'}</span> : null}
              </button>
            </div>
          ))}
          <div role="columnheader"><span className="sr-only">Actions</span></div>
        </div>
        {visible.length === 0 ? (
          <EmptyState icon={<InboxIcon />} title={rows.length === 0 ? 'No connections yet' : 'Nothing matches the filter'}>
            {rows.length === 0
              ? (running ? 'Connections through this engine show up here live, with their bytes and rates.' : 'The engine is stopped: start it from the top bar, then connections appear here live.')
              : 'Clear the filter, or tick “Show tunnel links”, to see the others.'}
          </EmptyState>
        ) : (
          <div className="table-scroll" ref={scroller} role="rowgroup">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((item) => {
                const row = visible[item.index];
                return row ? <Row key={row.id} row={row} now={now} closing={closing[row.id] === true} top={item.start} onClose={(id) => void closeConnection(id)} /> : null;
              })}
            </div>
          </div>
        )}
        <div className="table-footer num" data-testid="connections-summary">
          <span><b>{open}</b> open</span>
          <span><b>{tunnels}</b> tunnel {tunnels === 1 ? 'link' : 'links'}</span>
          <span><b>{closedCount}</b> closed in the last minute</span>
          <span className="spacer" />
          <span>{visible.length} shown</span>
        </div>
      </section>
    </>
  );
}
