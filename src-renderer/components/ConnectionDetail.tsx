/**
 * One connection in detail (issue 4/7): its endpoints, tags and exposure, timing, bytes and rates
 * over the time the view has been open, and a Close button. A modal `<dialog>`: Escape or Done
 * dismisses it and focus goes back to the row.
 */
import { useEffect, useId, useRef } from 'react';
import type { ConnectionRow } from '../../src-core/host/api/index.js';
import { formatBytes, formatClock, formatDuration, formatRate, formatTarget } from '../format.js';
import type { ConnectionSample } from '../state/connections.js';
import { tagLabel } from '../state/connections.js';
import { TrafficChart } from './TrafficChart.js';

interface Props {
  row: ConnectionRow;
  samples: readonly ConnectionSample[];
  now: number;
  closing: boolean;
  onCloseConnection(id: number): void;
  onDismiss(): void;
}

export function ConnectionDetail({ row, samples, now, closing, onCloseConnection, onDismiss }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  const closed = row.closedAt !== null;
  const state = closed ? 'closed' : closing ? 'closing' : 'open';
  const title = row.exposure ? `Exposure “${row.exposure.name}”` : formatTarget(row.target);
  const points = samples.map((sample) => ({ time: sample.time, upRate: sample.upRate, downRate: sample.downRate }));
  const windowMs = Math.max(30_000, (samples.at(-1)?.time ?? 0) - (samples[0]?.time ?? 0));
  const theme = document.documentElement.dataset.theme ?? 'light';
  const role = row.kind === 'tunnel' ? 'Tunnel link between bridge and portal' : row.serviceSide ? 'Bridge side (the service’s end) of a connection the portal side also lists' : 'Connection';
  return (
    <dialog ref={dialog} className="confirm-dialog connection-detail" aria-labelledby={titleId} data-testid="connection-detail" data-connection-id={row.id} data-state={state} onClose={onDismiss}>
      <h2 id={titleId}>{title} <span className={`badge${closed ? '' : ' accent'}`}>{state}</span></h2>
      <dl className="detail-list">
        <dt>What</dt><dd>{role} #{row.id}</dd>
        <dt>From</dt><dd className="mono">{row.source}</dd>
        <dt>Came in on</dt><dd title={row.inboundTag}>{tagLabel(row.inboundTag, row)}{tagLabel(row.inboundTag, row) !== row.inboundTag ? <span className="faint mono"> {row.inboundTag}</span> : null}</dd>
        <dt>Went out by</dt><dd title={row.outboundTag}>{tagLabel(row.outboundTag, row)}{tagLabel(row.outboundTag, row) !== row.outboundTag ? <span className="faint mono"> {row.outboundTag}</span> : null}</dd>
        <dt>To</dt><dd className="mono">{row.target}</dd>
        {row.exposure ? <><dt>Exposure</dt><dd data-testid="detail-exposure">{row.exposure.name} <span className="faint mono">{row.exposure.id}</span></dd></> : null}
        <dt>Started</dt><dd className="num">{formatClock(row.startedAt)}</dd>
        {closed ? <><dt>Closed</dt><dd className="num">{formatClock(row.closedAt ?? now)}</dd></> : null}
        <dt>Duration</dt><dd className="num">{formatDuration((row.closedAt ?? now) - row.startedAt)}</dd>
        <dt>Bytes</dt><dd className="num" data-testid="detail-bytes">↑ {formatBytes(row.bytesUp)} · ↓ {formatBytes(row.bytesDown)}</dd>
        {closed ? null : <><dt>Rate now</dt><dd className="num">↑ {formatRate(row.upRate)} · ↓ {formatRate(row.downRate)}</dd></>}
      </dl>
      <h3 className="detail-sub">Rate since this view opened</h3>
      {points.length > 1
        ? <TrafficChart points={points} windowMs={windowMs} height={120} theme={theme} label={`Upload and download rate of connection ${row.id} since this view opened`} compact />
        : <p className="faint">The graph fills in once a second.</p>}
      <div className="confirm-actions">
        <button type="button" className="button danger" disabled={closed || closing} onClick={() => onCloseConnection(row.id)}>{closed ? 'Closed' : closing ? 'Closing…' : 'Close connection'}</button>
        <button type="button" className="button primary" autoFocus onClick={() => dialog.current?.close()}>Done</button>
      </div>
    </dialog>
  );
}
