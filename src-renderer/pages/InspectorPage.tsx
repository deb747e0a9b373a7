/**
 * Inspector (issue 6/7): one exposure's requests, live. `#/inspector/<exposure id>` opens it for
 * that exposure (the Exposures page's and the tray's "Inspect"). A toolbar filters by text,
 * method and status class, pauses, clears, downloads HAR and holds the capture settings; the
 * list and the opened request sit side by side, or one at a time in a narrow window.
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { InspectorReplayEdits } from '../../src-core/host/api/index.js';
import { EmptyState } from '../components/EmptyState.js';
import { InboxIcon, SearchIcon } from '../components/Icons.js';
import { ReplayDialog } from '../components/inspector/ReplayDialog.js';
import { RequestDetail } from '../components/inspector/RequestDetail.js';
import { RequestList } from '../components/inspector/RequestList.js';
import { formatBytes } from '../format.js';
import { methodsOf, useInspectorStore, visibleRows, watchInspector, type StatusClass } from '../state/inspector.js';
import { engineService } from '../state/service.js';
import { useAppStore } from '../state/store.js';

const STATUS_CLASSES: { id: StatusClass; label: string }[] = [
  { id: 'all', label: 'All' }, { id: '2xx', label: '2xx' }, { id: '3xx', label: '3xx' }, { id: '4xx', label: '4xx' }, { id: '5xx', label: '5xx' }, { id: 'other', label: 'Other' },
];

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The exposure id in `#/inspector/<id>`, if any. */
function useHashExposure(): string | null {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  const id = hash.replace(/^#\/?/, '').split('/')[1] ?? '';
  return id === '' ? null : decodeURIComponent(id);
}

function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Capture on/off, how many requests the list keeps and how much of each body. */
function CaptureSettings() {
  const { settings, setSettings } = useInspectorStore(useShallow((state) => ({ settings: state.settings, setSettings: state.setSettings })));
  const [ring, setRing] = useState('');
  const [cap, setCap] = useState('');
  // The form exists only while open: a closed <details> still lays out its content in Chromium.
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!settings) return;
    setRing(String(settings.ringSize));
    setCap(String(Math.round(settings.bodyCapBytes / 1024)));
  }, [settings]);
  if (!settings) return null;
  return (
    <details className="capture-settings" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary className="button small">Settings</summary>
      {open ? <form className="capture-form card" aria-label="Capture settings" onSubmit={(event) => {
        event.preventDefault();
        void setSettings({ ringSize: Number(ring), bodyCapBytes: Number(cap) * 1024 }).then((done) => { if (done) setOpen(false); });
      }}>
        <label className="check"><input type="checkbox" checked={settings.enabled} onChange={(event) => void setSettings({ enabled: event.target.checked })} data-testid="capture-enabled" />Capture requests</label>
        <label className="field-label">Requests kept (1–100000)<input className="input num" type="number" min={1} max={100000} step={1} value={ring} onChange={(event) => setRing(event.target.value)} /></label>
        <label className="field-label">Body cap, KiB (0–65536)<input className="input num" type="number" min={0} max={65536} step={1} value={cap} onChange={(event) => setCap(event.target.value)} /></label>
        <p className="faint">Kept in memory only: at most {settings.ringSize.toLocaleString()} requests with {formatBytes(settings.bodyCapBytes)} of each body.</p>
        <button type="submit" className="button small primary">Apply</button>
      </form> : null}
    </details>
  );
}

export function InspectorPage() {
  const exposures = useAppStore((state) => state.exposures);
  const wanted = useHashExposure();
  const exposureId = wanted ?? exposures[0]?.id ?? null;
  const state = useInspectorStore(useShallow((store) => ({
    entries: store.entries, filter: store.filter, paused: store.paused, running: store.running, settings: store.settings, error: store.error,
    selectedId: store.selectedId, detail: store.detail, curl: store.curl, detailError: store.detailError, reveal: store.reveal, detailRevealed: store.detailRevealed, replaying: store.replaying, notice: store.notice,
  })));
  const actions = useInspectorStore(useShallow((store) => ({
    open: store.open, setFilter: store.setFilter, select: store.select, setReveal: store.setReveal, setPaused: store.setPaused, clear: store.clear, replay: store.replay, exportHar: store.exportHar,
  })));
  const [editing, setEditing] = useState(false);
  // Back from a dropped dashboard link: changes may have been missed while it was down.
  const linkStatus = useAppStore((store) => store.linkStatus);
  const wasLive = useRef(linkStatus === 'live');
  useEffect(() => {
    if (linkStatus === 'live' && !wasLive.current) void useInspectorStore.getState().reload();
    wasLive.current = linkStatus === 'live';
  }, [linkStatus]);

  useEffect(() => watchInspector(engineService()), []);
  useEffect(() => {
    void actions.open(exposureId);
  }, [exposureId, actions]);

  const rows = useMemo(() => visibleRows(state.entries, state.filter), [state.entries, state.filter]);
  const methods = useMemo(() => methodsOf(state.entries), [state.entries]);
  const exposure = exposures.find((candidate) => candidate.id === exposureId);
  const chooseExposure = (id: string) => {
    window.location.hash = `#/inspector/${encodeURIComponent(id)}`;
  };
  const downloadHar = async () => {
    const text = await actions.exportHar();
    const name = (exposure?.name ?? exposureId ?? 'exposure').replace(/[^A-Za-z0-9._-]+/g, '-');
    if (text !== null) download(`porthole-${name}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.har`, text);
  };
  const replay = async (edits?: InspectorReplayEdits) => {
    if (state.detail === null) return;
    const row = await actions.replay(state.detail.id, edits);
    if (row) setEditing(false);
  };

  if (exposures.length === 0) {
    return (
      <EmptyState icon={<InboxIcon />} title="No exposures to inspect" actions={<a className="button primary" href="#/exposures/new">Expose a port…</a>}>
        The inspector shows the HTTP requests that reach an exposed local service, and their answers. Expose a port first.
      </EmptyState>
    );
  }

  const open = state.selectedId !== null;
  return (
    <div className={`inspector${open ? ' has-detail' : ''}`} data-testid="inspector">
      <div className="toolbar inspector-toolbar">
        <label className="row">
          <span className="sr-only">Exposure</span>
          <select className="select" value={exposureId ?? ''} onChange={(event) => chooseExposure(event.target.value)} data-testid="inspector-exposure">
            {exposures.map((candidate) => <option key={candidate.id} value={candidate.id}>{candidate.name}</option>)}
            {exposure || exposureId === null ? null : <option value={exposureId}>{exposureId} (removed)</option>}
          </select>
        </label>
        <label className="search">
          <SearchIcon />
          <span className="sr-only">Filter requests</span>
          <input className="input" type="search" placeholder="Filter by path, status, visitor…" value={state.filter.text} onChange={(event) => actions.setFilter({ text: event.target.value })} data-testid="inspector-filter" />
        </label>
        <label className="row">
          <span className="sr-only">Method</span>
          <select className="select" value={state.filter.method} onChange={(event) => actions.setFilter({ method: event.target.value })} data-testid="inspector-method">
            <option value="all">All methods</option>
            {methods.map((method) => <option key={method} value={method}>{method}</option>)}
          </select>
        </label>
        <label className="row">
          <span className="sr-only">Status</span>
          <select className="select" value={state.filter.status} onChange={(event) => actions.setFilter({ status: event.target.value as StatusClass })} data-testid="inspector-status">
            {STATUS_CLASSES.map((option) => <option key={option.id} value={option.id}>{option.id === 'all' ? 'All statuses' : option.label}</option>)}
          </select>
        </label>
        <div className="toolbar-actions">
          <button type="button" className="button small" aria-pressed={state.paused} onClick={() => void actions.setPaused(!state.paused)} data-testid="inspector-pause">{state.paused ? 'Resume' : 'Pause'}</button>
          <button type="button" className="button small" onClick={() => void actions.clear()} disabled={state.entries.length === 0}>Clear</button>
          <button type="button" className="button small" onClick={() => void downloadHar()} disabled={state.entries.length === 0} title="HAR 1.2: opens in browsers' developer tools" data-testid="inspector-har">Download HAR</button>
          <CaptureSettings />
        </div>
      </div>
      <div className="sr-only" role="status" aria-live="polite">{state.notice?.text ?? ''}</div>
      {state.notice?.tone === 'error' ? <div className="notice error" role="alert" data-testid="inspector-notice">{state.notice.text}</div> : null}
      {state.error ? <div className="notice error" role="alert">{state.error.message}</div> : null}
      {state.paused ? <div className="notice info" data-testid="inspector-paused">Paused: new requests are not captured. The list stays as it is.</div> : null}
      {state.settings && !state.settings.enabled ? <div className="notice info">Capture is off for this exposure (Settings).</div> : null}
      <div className="inspector-panes">
        <section className="card inspector-list" aria-label="Requests">
          {rows.length === 0 ? (
            <EmptyState icon={<InboxIcon />} title={state.entries.length === 0 ? 'No requests yet' : 'Nothing matches the filter'}>
              {state.entries.length > 0 ? 'Clear the filter to see every request.'
                : !state.running ? 'The engine is stopped: start it, then requests to this exposure show up here.'
                  : exposure?.publicAddress ? <>Requests to <span className="mono">{exposure.urls?.[0] ?? exposure.publicAddress}</span> show up here as they arrive.</> : 'Requests to this exposure show up here as they arrive.'}
            </EmptyState>
          ) : (
            <RequestList rows={rows} selectedId={state.selectedId} onOpen={(id) => void actions.select(id)} label={`Requests to ${exposure?.name ?? 'the exposure'}, newest first`} />
          )}
          <div className="table-footer num" data-testid="inspector-summary">
            <span><b>{state.entries.length}</b> captured</span>
            {rows.length !== state.entries.length ? <span>{rows.length} shown</span> : null}
            {state.settings ? <span className="faint">keeps {state.settings.ringSize.toLocaleString()}</span> : null}
          </div>
        </section>
        {open ? (
          state.detail ? (
            <RequestDetail
              key={state.detail.id}
              entry={state.detail}
              curl={state.curl}
              reveal={state.reveal}
              revealed={state.detailRevealed}
              replaying={state.replaying}
              onReveal={(reveal) => void actions.setReveal(reveal)}
              onReplay={() => void replay()}
              onEdit={() => setEditing(true)}
              onBack={() => void actions.select(null)}
            />
          ) : (
            <section className="card inspector-detail" data-testid="inspector-detail-loading">
              <header className="detail-head"><button type="button" className="button small detail-back" onClick={() => void actions.select(null)} aria-label="Close the request">← List</button></header>
              <p className={state.detailError ? 'notice error' : 'faint'} role={state.detailError ? 'alert' : undefined}>{state.detailError?.message ?? 'Loading…'}</p>
            </section>
          )
        ) : null}
      </div>
      {editing && state.detail ? <ReplayDialog entry={state.detail} busy={state.replaying} onSend={(edits) => void replay(edits)} onDismiss={() => setEditing(false)} /> : null}
    </div>
  );
}
