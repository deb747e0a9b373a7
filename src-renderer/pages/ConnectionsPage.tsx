/**
 * Connections: a live, virtualised table (only the visible rows are in the DOM, so 2,000 rows
 * scroll smoothly). Active connections and the ones closed in the last minute are two lists, so
 * closed rows never bury live ones; a row opens its detail view. Exposures show by name.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ConnectionRow } from '../../src-core/host/api/index.js';
import { useConfirm } from '../components/ConfirmDialog.js';
import { EmptyState } from '../components/EmptyState.js';
import { CloseIcon, InboxIcon, SearchIcon } from '../components/Icons.js';
import { ConnectionDetail } from '../components/ConnectionDetail.js';
import { formatBytes, formatClock, formatDuration, formatRate, formatTarget } from '../format.js';
import { isOpenUserConnection, tagLabel, visibleConnections, type ConnectionSortKey } from '../state/connections.js';
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

function Row({ row, now, closing, top, onClose, onOpen }: { row: ConnectionRow; now: number; closing: boolean; top: number; onClose(id: number): void; onOpen(id: number): void }) {
  const closed = row.closedAt !== null || closing;
  const inbound = tagLabel(row.inboundTag, row);
  const outbound = tagLabel(row.outboundTag, row);
  return (
    <div
      className={`table-row clickable${closed ? ' closed' : ''}`}
      role="row"
      style={{ transform: `translateY(${top}px)` }}
      data-testid="connection-row"
      data-connection-id={row.id}
      data-state={row.closedAt !== null ? 'closed' : closing ? 'closing' : 'open'}
      data-bytes-down={row.bytesDown}
      onClick={(event) => {
        if ((event.target as HTMLElement).closest('button')) return;
        onOpen(row.id);
      }}
    >
      <div role="cell" className="dest" title={row.target}>
        <button type="button" className="row-open" onClick={() => onOpen(row.id)} aria-label={`Details of connection ${row.exposure ? `to exposure ${row.exposure.name}` : `to ${formatTarget(row.target)}`}`}>
          {row.exposure ? <span className="exposure-name">{row.exposure.name}</span> : null}
          <span className="target">{formatTarget(row.target)}</span>
        </button>
        {row.kind === 'tunnel' ? <span className="badge accent">tunnel</span> : null}
        {row.serviceSide ? <span className="badge" title="The bridge's end of a connection the portal side also lists: counted once">bridge side</span> : null}
      </div>
      <div role="cell" title={row.inboundTag}>{inbound}</div>
      <div role="cell" title={row.outboundTag}>{outbound}</div>
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
  const { rows, sort, filter, showTunnels, showServiceSides, list, closing, now, error, running, selectedRow, selectedSamples } = useAppStore(useShallow((state) => ({
    rows: state.rows, sort: state.sort, filter: state.filter, showTunnels: state.showTunnels, showServiceSides: state.showServiceSides, list: state.list,
    closing: state.closing, now: state.snapshotTime, error: state.connectionsError, running: state.status?.state === 'running',
    selectedRow: state.selectedRow, selectedSamples: state.selectedSamples,
  })));
  const { setSort, setFilter, setShowTunnels, setShowServiceSides, setConnectionList, selectConnection, closeConnection, closeAllConnections } = useAppStore(useShallow((state) => ({
    setSort: state.setSort, setFilter: state.setFilter, setShowTunnels: state.setShowTunnels, setShowServiceSides: state.setShowServiceSides,
    setConnectionList: state.setConnectionList, selectConnection: state.selectConnection,
    closeConnection: state.closeConnection, closeAllConnections: state.closeAllConnections,
  })));
  const visible = useMemo(() => visibleConnections(rows, { sort, filter, showTunnels, showServiceSides, list, now }), [rows, sort, filter, showTunnels, showServiceSides, list, now]);
  const open = rows.filter(isOpenUserConnection).length;
  const closedCount = rows.filter((row) => row.closedAt !== null && row.kind === 'connection' && row.serviceSide !== true).length;
  const tunnels = rows.filter((row) => row.closedAt === null && row.kind === 'tunnel').length;
  const serviceSides = rows.filter((row) => row.closedAt === null && row.serviceSide === true).length;
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
        <div className="segmented" role="group" aria-label="Which connections">
          <button type="button" aria-pressed={list === 'active'} onClick={() => setConnectionList('active')} data-testid="list-active">Active <span className="num">{open}</span></button>
          <button type="button" aria-pressed={list === 'closed'} onClick={() => setConnectionList('closed')} data-testid="list-closed">Recently closed <span className="num">{closedCount}</span></button>
        </div>
        <label className="check"><input type="checkbox" checked={showTunnels} onChange={(event) => setShowTunnels(event.target.checked)} />Show tunnel links</label>
        {serviceSides > 0 || showServiceSides ? (
          <label className="check" title="Bridge and portal run here: each connection is listed on its public side; its bridge side is the same connection"><input type="checkbox" checked={showServiceSides} onChange={(event) => setShowServiceSides(event.target.checked)} />Show bridge sides</label>
        ) : null}
        <span className="spacer" />
        <button type="button" className="button danger" onClick={() => void closeAll()} disabled={open === 0}>Close all…</button>
      </div>
      {dialog}
      {selectedRow ? (
        <ConnectionDetail
          key={selectedRow.id}
          row={selectedRow}
          samples={selectedSamples}
          now={now}
          closing={closing[selectedRow.id] === true}
          onCloseConnection={(id) => void closeConnection(id)}
          onDismiss={() => selectConnection(null)}
        />
      ) : null}
      {error ? <div className="notice error" role="alert" style={{ marginBottom: 12 }}>{error.message}</div> : null}
      <section className="card table connections" role="table" aria-label={list === 'active' ? 'Active connections' : 'Recently closed connections'} aria-rowcount={visible.length} data-list={list}>
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
          <EmptyState icon={<InboxIcon />} title={rows.length === 0 ? 'No connections yet' : filter.trim() ? 'Nothing matches the filter' : list === 'active' ? 'No active connections' : 'Nothing closed in the last minute'}>
            {rows.length === 0
              ? (running ? 'Connections through this engine show up here live, with their bytes and rates.' : 'The engine is stopped: start it from the top bar, then connections appear here live.')
              : filter.trim() ? 'Clear the filter, or tick “Show tunnel links”, to see the others.'
                : list === 'active' ? 'Connections that ended in the last minute are under “Recently closed”.' : 'Closed connections stay listed here for a minute.'}
          </EmptyState>
        ) : (
          <div className="table-scroll" ref={scroller} role="rowgroup">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((item) => {
                const row = visible[item.index];
                return row ? <Row key={row.id} row={row} now={now} closing={closing[row.id] === true} top={item.start} onClose={(id) => void closeConnection(id)} onOpen={selectConnection} /> : null;
              })}
            </div>
          </div>
        )}
        <div className="table-footer num" data-testid="connections-summary">
          <span><b>{open}</b> open</span>
          <span><b>{tunnels}</b> tunnel {tunnels === 1 ? 'link' : 'links'}</span>
          <span><b>{closedCount}</b> closed in the last minute</span>
          {serviceSides > 0 ? <span title="Bridge and portal run here: each connection's bridge side is the same connection, counted once"><b>{serviceSides}</b> bridge {serviceSides === 1 ? 'side' : 'sides'}</span> : null}
          <span className="spacer" />
          <span>{visible.length} shown</span>
        </div>
      </section>
    </>
  );
}
