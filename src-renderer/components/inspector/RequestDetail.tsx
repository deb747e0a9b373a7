/**
 * One captured request in detail: the request line, status and timing at the top with the
 * actions (Replay, Edit and replay…, Copy as curl, reveal secrets), then tabs for the request
 * (headers, body), the response (status, headers, body) and, for an upgrade, its WebSocket
 * messages. Secret header values arrive masked unless revealed.
 */
import { useId, useState } from 'react';
import type { InspectorEntry, InspectorHeader, InspectorWebSocketDirection } from '../../../src-core/host/api/index.js';
import { formatBytes, formatClock, formatDuration } from '../../format.js';
import { statusClassOf } from '../../state/inspector.js';
import { formatRequestTime } from './body-format.js';
import { CopyButton } from '../CopyButton.js';
import { BodyView } from './BodyView.js';

const MASK = '••••••';

type Tab = 'request' | 'response' | 'websocket';

function HeaderTable({ headers, label }: { headers: readonly InspectorHeader[]; label: string }) {
  if (headers.length === 0) return <p className="faint">No headers.</p>;
  return (
    <table className="header-table" aria-label={label}>
      <tbody>
        {headers.map(([name, value], index) => (
          <tr key={`${index}-${name}`}>
            <th scope="row" className="mono">{name}</th>
            <td className="mono" data-masked={value.includes(MASK) || undefined}>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Direction({ title, side }: { title: string; side: InspectorWebSocketDirection }) {
  return (
    <section className="detail-section">
      <h3 className="detail-sub">{title}</h3>
      <p className="num">{side.messages} messages in {side.frames} frames · {formatBytes(side.bytes)}</p>
      {side.firstTexts.length > 0 ? (
        <ol className="ws-texts">{side.firstTexts.map((text, index) => <li key={index} className="mono">{text}</li>)}</ol>
      ) : null}
    </section>
  );
}

interface Props {
  entry: InspectorEntry;
  curl: string | null;
  reveal: boolean;
  /** The entry shown came with secrets shown (it lags `reveal` while the reload is under way). */
  revealed: boolean;
  replaying: boolean;
  onReveal(reveal: boolean): void;
  onReplay(): void;
  onEdit(): void;
  onBack(): void;
}

export function RequestDetail({ entry, curl, reveal, revealed, replaying, onReveal, onReplay, onEdit, onBack }: Props) {
  const [tab, setTab] = useState<Tab>('response');
  const baseId = useId();
  const tabs: { id: Tab; label: string }[] = [
    { id: 'request', label: 'Request' },
    { id: 'response', label: entry.response ? `Response ${entry.response.status}` : 'Response' },
    ...(entry.websocket ? [{ id: 'websocket' as const, label: 'WebSocket' }] : []),
  ];
  const current = tabs.some((candidate) => candidate.id === tab) ? tab : 'request';
  const replayable = entry.kind === 'http' && entry.request !== null;
  const why = !replayable ? 'Only plain HTTP requests can be replayed' : entry.request?.body.truncated ? 'The body was cut at the cap: use Edit and replay with a body' : undefined;
  const { request, response } = entry;
  return (
    <section className="card inspector-detail" aria-labelledby={`${baseId}-title`} data-testid="inspector-detail" data-entry-id={entry.id} data-revealed={revealed}>
      <header className="detail-head">
        <button type="button" className="button small detail-back" onClick={onBack} aria-label="Close the request" title="Back to the list">
          <span className="when-narrow">← List</span><span className="when-wide">Close</span>
        </button>
        <h2 id={`${baseId}-title`} className="mono" title={`${request?.method ?? entry.kind} ${request?.target ?? ''}`}>
          <span className="method">{request?.method ?? entry.kind}</span> <span className="target">{request?.target ?? 'not HTTP'}</span>
        </h2>
        {response ? <span className={`badge status s-${statusClassOf(response.status)}`} data-testid="detail-status">{response.status} {response.reason}</span>
          : <span className="badge">{entry.state === 'open' ? 'waiting' : entry.state}</span>}
        {entry.replayOf !== null ? <span className="badge accent">replay of #{entry.replayOf}</span> : null}
      </header>
      <dl className="detail-facts">
        <div><dt>Started</dt><dd className="num">{formatClock(entry.startedAt)}</dd></div>
        <div><dt>Took</dt><dd className="num" data-testid="detail-duration">{entry.durationMs === null ? 'still open' : formatRequestTime(entry.durationMs, formatDuration)}</dd></div>
        <div><dt>Sent</dt><dd className="num">{formatBytes(entry.requestSize)}</dd></div>
        <div><dt>Received</dt><dd className="num">{formatBytes(entry.responseSize)}</dd></div>
        <div><dt>Visitor</dt><dd className="mono">{entry.visitor}</dd></div>
        {entry.note ? <div className="wide"><dt>Note</dt><dd>{entry.note}</dd></div> : null}
      </dl>
      <div className="detail-actions">
        <button type="button" className="button small primary" onClick={onReplay} disabled={!replayable || replaying || request?.body.truncated === true} title={why ?? 'Send this request again to the local service'}>
          {replaying ? 'Replaying…' : 'Replay'}
        </button>
        <button type="button" className="button small" onClick={onEdit} disabled={!replayable || replaying} title={replayable ? 'Change the method, path, headers or body, then send' : why}>Edit and replay…</button>
        {curl ? <CopyButton text={curl} label="Copy as curl" what="command" /> : null}
        {entry.hasSecrets ? (
          <label className="check" title="Authorization and Cookie values are masked unless shown">
            <input type="checkbox" checked={reveal} onChange={(event) => onReveal(event.target.checked)} data-testid="reveal" />Show secrets
          </label>
        ) : null}
      </div>
      <div className="tabs" role="tablist" aria-label="Parts of the request">
        {tabs.map((candidate) => (
          <button
            type="button" role="tab" key={candidate.id} id={`${baseId}-tab-${candidate.id}`} aria-selected={current === candidate.id} aria-controls={`${baseId}-panel`}
            tabIndex={current === candidate.id ? 0 : -1} onClick={() => setTab(candidate.id)}
            onKeyDown={(event) => {
              if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
              const index = tabs.findIndex((item) => item.id === current);
              const next = tabs[(index + (event.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
              if (next) {
                setTab(next.id);
                document.getElementById(`${baseId}-tab-${next.id}`)?.focus();
              }
            }}
          >{candidate.label}</button>
        ))}
      </div>
      <div className="detail-panel" role="tabpanel" id={`${baseId}-panel`} aria-labelledby={`${baseId}-tab-${current}`} data-testid={`detail-${current}`}>
        {current === 'request' ? (request ? (
          <>
            <p className="mono request-line">{request.method} {request.target} HTTP/{request.httpVersion}</p>
            <h3 className="detail-sub">Headers</h3>
            <HeaderTable headers={request.headers} label="Request headers" />
            <h3 className="detail-sub">Body</h3>
            <BodyView key={`${entry.id}-request`} body={request.body} label="Request body" />
          </>
        ) : <p className="faint">This connection was not HTTP/1.x: {formatBytes(entry.rawBytes?.fromVisitor ?? 0)} sent, passed on untouched.</p>) : null}
        {current === 'response' ? (response ? (
          <>
            <p className="mono request-line">HTTP/{response.httpVersion} {response.status} {response.reason}{response.interim.length > 0 ? <span className="faint"> (after {response.interim.join(', ')})</span> : null}</p>
            <h3 className="detail-sub">Headers</h3>
            <HeaderTable headers={response.headers} label="Response headers" />
            <h3 className="detail-sub">Body</h3>
            <BodyView key={`${entry.id}-response`} body={response.body} label="Response body" />
          </>
        ) : <p className="faint">{entry.state === 'open' ? 'No answer yet.' : `No answer${entry.note ? `: ${entry.note}` : '.'}`}</p>) : null}
        {current === 'websocket' && entry.websocket ? (
          <>
            <Direction title="From the visitor" side={entry.websocket.fromVisitor} />
            <Direction title="From the service" side={entry.websocket.fromService} />
            {entry.websocket.closeCode !== null ? <p>Closed with code {entry.websocket.closeCode}.</p> : null}
          </>
        ) : null}
      </div>
    </section>
  );
}
