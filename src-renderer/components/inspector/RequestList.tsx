/**
 * The live list of one exposure's requests, newest first, virtualised (only the visible rows are
 * in the DOM): time, method, path, status, duration, sizes each way and the visitor's address.
 * A row opens the request in the detail view; replays and WebSocket upgrades are marked.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { InspectorSummary } from '../../../src-core/host/api/index.js';
import { formatBytes, formatClock, formatDuration } from '../../format.js';
import { statusClassOf } from '../../state/inspector.js';
import { formatRequestTime } from './body-format.js';

const ROW_HEIGHT = 32;

function statusText(row: InspectorSummary): string {
  if (row.kind === 'not-http') return 'raw';
  if (row.kind === 'tunnel') return 'tunnel';
  if (row.status !== null) return String(row.status);
  return row.state === 'aborted' ? 'failed' : '…';
}

function Row({ row, top, selected, onOpen }: { row: InspectorSummary; top: number; selected: boolean; onOpen(id: number): void }) {
  const path = row.target ?? (row.kind === 'not-http' ? 'not HTTP' : '');
  const name = `${row.method ?? row.kind} ${path}, ${statusText(row)}${row.replayOf !== null ? ', replay' : ''}`;
  return (
    <div
      className={`table-row clickable${selected ? ' selected' : ''}`}
      role="row"
      aria-selected={selected}
      style={{ transform: `translateY(${top}px)` }}
      data-testid="inspector-row"
      data-entry-id={row.id}
      data-method={row.method ?? ''}
      data-path={row.target ?? ''}
      data-status={row.status ?? ''}
      data-replay={row.replayOf !== null ? 'true' : undefined}
      onClick={(event) => {
        if ((event.target as HTMLElement).closest('button')) return;
        onOpen(row.id);
      }}
    >
      <div role="cell" className="num faint">{formatClock(row.startedAt)}</div>
      <div role="cell" className="method mono">{row.method ?? '—'}</div>
      <div role="cell" className="path">
        <button type="button" className="row-open mono" onClick={() => onOpen(row.id)} aria-label={`Open ${name}`} title={path}>
          <span className="target">{path}</span>
        </button>
        {row.replayOf !== null ? <span className="badge accent" title={`Replay of request #${row.replayOf}`}>replay</span> : null}
        {row.kind === 'websocket' ? <span className="badge ok" title="WebSocket: one entry, its messages summarised">ws {row.messages ? `${row.messages.fromVisitor}↑ ${row.messages.fromService}↓` : ''}</span> : null}
      </div>
      <div role="cell" className={`status num s-${statusClassOf(row.status)}`} data-testid="row-status">{statusText(row)}</div>
      <div role="cell" className="num right">{row.durationMs === null ? '…' : formatRequestTime(row.durationMs, formatDuration)}</div>
      <div role="cell" className="num right" title="Request size">{formatBytes(row.requestSize)}</div>
      <div role="cell" className="num right" title="Response size">{formatBytes(row.responseSize)}</div>
      <div role="cell" className="mono visitor" title={row.visitor}>{row.visitor}</div>
    </div>
  );
}

export function RequestList({ rows, selectedId, onOpen, label }: { rows: readonly InspectorSummary[]; selectedId: number | null; onOpen(id: number): void; label: string }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12, getItemKey: (index) => rows[index]?.id ?? index });
  return (
    <div className="inspector-table" role="table" aria-label={label} aria-rowcount={rows.length}>
      <div className="table-head" role="row">
        <div role="columnheader">Time</div>
        <div role="columnheader">Method</div>
        <div role="columnheader">Path</div>
        <div role="columnheader">Status</div>
        <div role="columnheader" className="right">Duration</div>
        <div role="columnheader" className="right" title="Request size">Sent</div>
        <div role="columnheader" className="right" title="Response size">Received</div>
        <div role="columnheader">Visitor</div>
      </div>
      <div className="table-scroll" ref={scroller} role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            return row ? <Row key={row.id} row={row} top={item.start} selected={row.id === selectedId} onOpen={onOpen} /> : null;
          })}
        </div>
      </div>
    </div>
  );
}
