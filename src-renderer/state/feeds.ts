/**
 * Wires the service's events into the store: snapshots feed engine, connections, exposures and traffic; log
 * batches feed the log slice. Returns the function that unhooks everything.
 */
import type { EngineService, Unsubscribe } from '../../src-core/host/api/index.js';
import type { Transport } from '../transport/index.js';
import { useAppStore } from './store.js';

export function startFeeds(service: EngineService, transport?: Pick<Transport, 'linkStatus' | 'onDidChangeLinkStatus'>): Unsubscribe {
  const store = useAppStore.getState();
  // A fetched snapshot may arrive after a newer pushed one: never go back in time.
  let lastSeq = 0;
  // Set on a drop: the first snapshot after it tells whether the service restarted (its numbers start again).
  let seqBeforeDrop: number | null = null;
  /** After a reconnect: a service that restarted numbers snapshots and log lines from 1 again. */
  const noticeRestart = (seq: number) => {
    if (seqBeforeDrop === null) return;
    const restarted = seq < seqBeforeDrop;
    seqBeforeDrop = null;
    if (!restarted) return;
    lastSeq = 0;
    useAppStore.setState({ lines: [], heldLines: [] });
    void useAppStore.getState().loadRecentLogs().catch(() => undefined);
  };
  const load = () => {
    void service.getSnapshot().then((snapshot) => {
      noticeRestart(snapshot.seq);
      if (snapshot.seq <= lastSeq) return;
      lastSeq = snapshot.seq;
      const state = useAppStore.getState();
      state.applyEngineSnapshot(snapshot);
      state.applyConnectionRows(snapshot.connections);
      state.applyExposureSnapshot(snapshot);
    }).catch(() => undefined);
    void store.loadTrafficHistory().catch(() => undefined);
    void store.loadRecentLogs().catch(() => undefined);
    void store.loadSettings();
    void store.loadProfiles();
  };
  const unsubscribers: Unsubscribe[] = [
    service.onDidChangeSnapshot((snapshot) => {
      noticeRestart(snapshot.seq);
      lastSeq = Math.max(lastSeq, snapshot.seq);
      const state = useAppStore.getState();
      state.applyEngineSnapshot(snapshot);
      state.applyConnectionRows(snapshot.connections);
      state.applyExposureSnapshot(snapshot);
      state.applyTrafficSnapshot(snapshot);
    }),
    service.onDidLog((lines) => useAppStore.getState().appendLogLines(lines)),
  ];
  if (transport) {
    store.setLinkStatus(transport.linkStatus());
    let dropped = false;
    unsubscribers.push(transport.onDidChangeLinkStatus((status) => {
      useAppStore.getState().setLinkStatus(status);
      // After a drop, fetch what was missed (log lines, history) once events flow again.
      if (status === 'offline' || status === 'unauthorized') {
        if (!dropped) seqBeforeDrop = lastSeq;
        dropped = true;
      }
      if (status === 'live' && dropped) {
        dropped = false;
        load();
      }
    }));
  } else {
    store.setLinkStatus('live');
  }
  load();
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
