/**
 * A stand-in EngineService with 2,000 live connections whose counters move every second: enough
 * to show whether the Connections table stays smooth. Served by the real dashboard server.
 */
import type { ConnectionRow, EngineEvent, EngineService, EngineSnapshot, LogLine } from '../../src-core/host/api/index.js';

export interface BusyService extends EngineService {
  readonly closed: number[];
  dispose(): void;
}

export function createBusyService(rowCount = 2000): BusyService {
  const started = Date.now();
  const listeners = new Set<(snapshot: EngineSnapshot) => void>();
  const closed: number[] = [];
  let seq = 0;
  let last: EngineSnapshot | undefined;
  const rows = (time: number): ConnectionRow[] => Array.from({ length: rowCount }, (_, index): ConnectionRow => {
    const id = index + 1;
    const rate = ((id * 7919) % 500) * 1024;
    const age = (time - started) / 1000 + (id % 120);
    return {
      id, kind: id % 50 === 0 ? 'tunnel' : 'connection', inboundTag: id % 3 === 0 ? 'admin' : 'external', outboundTag: 'portal',
      source: `203.0.113.${id % 250}:${40000 + id}`, target: `tcp:service-${id % 40}.internal:${id % 2 ? 443 : 80}`,
      startedAt: started - (id % 120) * 1000, closedAt: closed.includes(id) ? time : null,
      bytesUp: Math.round(age * rate * 0.1), bytesDown: Math.round(age * rate), upRate: rate * 0.1, downRate: rate,
    };
  });
  const tick = () => {
    const time = Date.now();
    const connections = rows(time);
    last = {
      seq: ++seq, time,
      status: { state: 'running', profile: 'busy portal', since: started, error: null, listening: [{ tag: 'external', address: '0.0.0.0:443' }] },
      totals: { bytesUp: 0, bytesDown: 0, upRate: 50_000_000, downRate: 500_000_000, openConnections: rowCount },
      point: { time, upRate: 50_000_000, downRate: 500_000_000 },
      tags: [], bridges: [],
      portals: [{ tag: 'portal', domain: 'test.v2ray.com', links: 4, linkLoads: [480, 510, 495, 475], openStreams: 1960, drainedLinks: 2, linkState: 'up', publicPorts: [] }],
      connections, exposures: [], exposuresPaused: false,
    };
    for (const listener of listeners) listener(last);
  };
  tick();
  const timer = setInterval(tick, 1000);
  const none = async () => { throw Object.assign(new Error('not in this stand-in'), { code: 'PH_API_BAD_REQUEST' }); };
  const onDidChangeSnapshot: EngineEvent<EngineSnapshot> = (listener) => { listeners.add(listener); return () => { listeners.delete(listener); }; };
  const onDidLog: EngineEvent<LogLine[]> = () => () => {};
  return {
    closed,
    dispose: () => clearInterval(timer),
    listProfiles: async () => [], getProfile: none, saveProfile: none, deleteProfile: none, validateProfile: none, exportProfile: none, activateProfile: none,
    getStatus: async () => (last as EngineSnapshot).status, startEngine: none, stopEngine: none,
    getSnapshot: async () => last as EngineSnapshot,
    getTrafficHistory: async (window) => ({ window, stepMs: 1000, total: { tag: null, direction: null, points: [] }, tags: [] }),
    listConnections: async () => (last as EngineSnapshot).connections,
    closeConnection: async (id) => { closed.push(id); return true; },
    listExposures: async () => [], addExposure: none, updateExposure: none, removeExposure: none, setExposuresPaused: none, getServerSetup: none, checkServerSetup: none,
    closeAllConnections: none, recentLogs: async () => [], getSettings: async () => ({ theme: 'light' }), setSettings: none,
    listInspectorEntries: none, getInspectorEntry: none, clearInspector: none, setInspectorPaused: none, setInspectorSettings: none,
    replayInspectorEntry: none, exportInspectorHar: none, exportInspectorCurl: none,
    startRemoteSetup: none, acceptRemoteHostKey: none, retryRemoteSetup: none, cancelRemoteSetup: none, removeRemoteSetup: none,
    getRemoteSetup: none, listRemoteServers: none, listPortalInvites: none, createPortalInvite: none, revokePortalInvite: none,
    onDidChangeSnapshot, onDidLog, onDidChangeInspector: () => () => {}, onDidChangeRemoteSetup: () => () => {},
  };
}
