/** The store's slices against a stand-in EngineService; the store is reset between tests. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionRow, EngineSnapshot, LogLine, TagTraffic } from '../../src-core/host/api/index.js';
import { visibleConnections } from './connections.js';
import { startFeeds } from './feeds.js';
import { visibleLogLines } from './logs.js';
import { problemsOf, profileNameFromFile } from './profiles.js';
import { fakeService } from './fake-service.test-support.js';
import { setEngineService } from './service.js';
import { resetAppStore, useAppStore } from './store.js';
import { SECOND_POINTS } from './traffic.js';

function row(id: number, fields: Partial<ConnectionRow> = {}): ConnectionRow {
  return {
    id, kind: 'connection', inboundTag: 'external', outboundTag: 'portal', source: '1.2.3.4:5', target: `tcp:host${id}:80`, startedAt: 1000 + id,
    closedAt: null, bytesUp: id * 10, bytesDown: id * 100, upRate: 0, downRate: id, ...fields,
  };
}

function snapshot(seq: number, fields: Partial<EngineSnapshot> = {}): EngineSnapshot {
  return {
    seq, time: seq * 1000,
    status: { state: 'running', profile: 'p', since: 0, error: null, listening: [] },
    totals: { bytesUp: 0, bytesDown: 0, upRate: seq, downRate: seq * 2, openConnections: 0 },
    point: { time: seq * 1000, upRate: seq, downRate: seq * 2 },
    tags: [], bridges: [], portals: [], connections: [], exposures: [], exposuresPaused: false,
    ...fields,
  };
}


beforeEach(() => {
  resetAppStore();
  setEngineService(undefined);
});

describe('engine slice', () => {
  it('applies snapshots and reports a failed start as an envelope', async () => {
    const { service } = fakeService({ startEngine: Object.assign(new Error('port in use'), { code: 'PH_ENGINE_START_FAILED' }) });
    setEngineService(service);
    useAppStore.getState().applyEngineSnapshot(snapshot(3, { bridges: [{ tag: 'b', domain: 'd', activeLinks: 1, workers: 1, openStreams: 0, linkState: 'up', problem: null }] }));
    await useAppStore.getState().startEngine();
    const state = useAppStore.getState();
    expect({ state: state.status?.state, bridges: state.bridges.length, time: state.snapshotTime, error: state.engineError, busy: state.engineBusy })
      .toEqual({ state: 'running', bridges: 1, time: 3000, error: { code: 'PH_ENGINE_START_FAILED', message: 'port in use' }, busy: false });
  });
});

describe('connections slice', () => {
  it('sorts, filters and hides tunnels', () => {
    const rows = [row(1), row(2, { kind: 'tunnel', target: 'tcp:test.v2ray.com:0' }), row(3, { inboundTag: 'admin' })];
    const base = { sort: { key: 'bytesDown' as const, descending: true }, filter: '', showTunnels: true, now: 5000 };
    expect({
      byBytes: visibleConnections(rows, base).map((item) => item.id),
      ascending: visibleConnections(rows, { ...base, sort: { key: 'target', descending: false } }).map((item) => item.id),
      filtered: visibleConnections(rows, { ...base, filter: 'ADMIN' }).map((item) => item.id),
      noTunnels: visibleConnections(rows, { ...base, showTunnels: false }).map((item) => item.id),
    }).toEqual({ byBytes: [3, 2, 1], ascending: [1, 3, 2], filtered: [3], noTunnels: [3, 1] });
  });

  it('sorts 2,000 rows quickly enough for a 1 s refresh', () => {
    const rows = Array.from({ length: 2000 }, (_, index) => row(index, { downRate: (index * 7919) % 2000 }));
    const started = performance.now();
    for (let round = 0; round < 10; round += 1) visibleConnections(rows, { sort: { key: 'rate', descending: true }, filter: 'host1', showTunnels: true, now: 0 });
    expect((performance.now() - started) / 10).toBeLessThan(50);
  });

  it('toggles the sort direction on the same key', () => {
    const { setSort } = useAppStore.getState();
    setSort('bytesUp');
    const first = useAppStore.getState().sort;
    setSort('bytesUp');
    expect([first, useAppStore.getState().sort]).toEqual([{ key: 'bytesUp', descending: true }, { key: 'bytesUp', descending: false }]);
  });

  it('closes through the service and shows the row as closing until the engine says closed', async () => {
    const { service, calls } = fakeService({ closeConnection: true, closeAllConnections: 1 });
    setEngineService(service);
    useAppStore.getState().applyConnectionRows([row(1), row(2), row(3, { kind: 'tunnel' })]);
    await useAppStore.getState().closeConnection(1);
    expect(useAppStore.getState().closing).toEqual({ 1: true });
    useAppStore.getState().applyConnectionRows([row(1, { closedAt: 9 }), row(2), row(3, { kind: 'tunnel' })]);
    expect(useAppStore.getState().closing).toEqual({});
    await useAppStore.getState().closeAllConnections();
    expect({ closing: useAppStore.getState().closing, calls }).toEqual({ closing: { 2: true }, calls: [['closeConnection', [1]], ['closeAllConnections', []]] });
  });
});

describe('traffic slice', () => {
  it('appends one point per snapshot, keeps 300, and per-tag series', () => {
    const tag: TagTraffic = { tag: 'out', direction: 'outbound', bytesUp: 0, bytesDown: 0, upRate: 5, downRate: 6, openConnections: 0 };
    for (let seq = 1; seq <= SECOND_POINTS + 20; seq += 1) useAppStore.getState().applyTrafficSnapshot(snapshot(seq, { tags: [tag] }));
    useAppStore.getState().applyTrafficSnapshot(snapshot(5));
    const { total, tagSeries } = useAppStore.getState();
    expect({ length: total.length, first: total[0]?.time, last: total.at(-1)?.time, tag: tagSeries['outbound:out']?.at(-1) })
      .toEqual({ length: SECOND_POINTS, first: 21_000, last: 320_000, tag: undefined });
  });

  it('merges the history with points that arrived first', async () => {
    const { service } = fakeService({
      getTrafficHistory: { window: '5m', stepMs: 1000, total: { tag: null, direction: null, points: [{ time: 1000, upRate: 1, downRate: 1 }, { time: 2000, upRate: 2, downRate: 2 }] }, tags: [] },
    });
    setEngineService(service);
    useAppStore.getState().applyTrafficSnapshot(snapshot(2));
    useAppStore.getState().applyTrafficSnapshot(snapshot(3));
    await useAppStore.getState().loadTrafficHistory();
    expect(useAppStore.getState().total.map((point) => point.time)).toEqual([1000, 2000, 3000]);
  });
});

describe('logs slice', () => {
  const line = (seq: number, level: LogLine['level'] = 'info', message = `line ${seq}`): LogLine => ({ seq, time: seq, kind: 'error', level, component: 'app', message, connectionId: null });

  it('holds lines while paused and shows them on resume, without duplicates', () => {
    const state = useAppStore.getState();
    state.appendLogLines([line(1), line(2)]);
    state.setLogsPaused(true);
    useAppStore.getState().appendLogLines([line(3)]);
    expect([useAppStore.getState().lines.length, useAppStore.getState().heldLines.length]).toEqual([2, 1]);
    useAppStore.getState().setLogsPaused(false);
    useAppStore.getState().appendLogLines([line(3), line(4)]);
    expect(useAppStore.getState().lines.map((item) => item.seq)).toEqual([1, 2, 3, 4]);
  });

  it('filters by level and search', () => {
    const lines = [line(1, 'debug'), line(2, 'warning', 'link lost'), line(3, 'error', 'cannot dial')];
    expect([visibleLogLines(lines, 'warning', '').map((item) => item.seq), visibleLogLines(lines, 'debug', 'DIAL').map((item) => item.seq)]).toEqual([[2, 3], [3]]);
  });
});

describe('settings slice', () => {
  it('applies the theme at once and rolls back when saving fails', async () => {
    const { service } = fakeService({ setSettings: Object.assign(new Error('disk full'), { code: 'PH_INTERNAL' }) });
    setEngineService(service);
    await useAppStore.getState().setTheme('dark');
    expect({ theme: useAppStore.getState().settings.theme, error: useAppStore.getState().settingsError?.message }).toEqual({ theme: 'system', error: 'disk full' });
  });
});

describe('profiles slice', () => {
  it('imports into a draft with a usable, unique name and validates it', async () => {
    const { service, calls } = fakeService({ listProfiles: [{ name: 'bridge', origin: 'store', active: false, updatedAt: 0, error: null, roles: [] }], validateProfile: { ok: true, warnings: [], roles: ['bridge "bridge"'] } });
    setEngineService(service);
    await useAppStore.getState().loadProfiles();
    useAppStore.getState().newDraft(profileNameFromFile('bridge.json'), '{}');
    await useAppStore.getState().validateDraft();
    const { draft, validation, validatedText } = useAppStore.getState();
    expect({ name: draft?.name, dirty: draft?.dirty, validation, validatedText, called: calls.map(([name]) => name) })
      .toEqual({ name: 'bridge (2)', dirty: true, validation: { ok: true, warnings: [], roles: ['bridge "bridge"'] }, validatedText: '{}', called: ['listProfiles', 'validateProfile', 'validateProfile'] });
  });

  it('saves before activating, and shows the config error instead of activating a broken profile', async () => {
    const error = Object.assign(new Error('expected a port'), { code: 'PH_CONFIG_VALUE', where: { line: 3, column: 9, path: 'inbounds[0].port' } });
    const { service, calls } = fakeService({ saveProfile: { name: 'p', origin: 'store', active: false, updatedAt: 0, error: null, roles: [] }, listProfiles: [], activateProfile: error });
    setEngineService(service);
    useAppStore.getState().newDraft('p', '{ "inbounds": [] }');
    await useAppStore.getState().activateDraft();
    expect({ notice: useAppStore.getState().profileNotice, calls: calls.map(([name]) => name).filter((name) => name !== 'validateProfile') }).toEqual({
      notice: { kind: 'error', text: 'line 3, column 9: inbounds[0].port: expected a port' },
      calls: ['saveProfile', 'listProfiles', 'activateProfile', 'listProfiles'],
    });
  });

  it('gives each opened profile a new document (the editor shows its line 1), not each edit or save', async () => {
    const profile = { name: 'p', origin: 'store' as const, active: false, updatedAt: 0, error: null, roles: [], text: '{}' };
    const { service } = fakeService({ getProfile: profile, validateProfile: { ok: true, warnings: [], roles: [] }, saveProfile: profile, listProfiles: [] });
    setEngineService(service);
    await useAppStore.getState().openProfile('p');
    const first = useAppStore.getState().draft?.documentId;
    useAppStore.getState().setDraftText('{ }');
    await useAppStore.getState().saveDraft();
    const afterEdits = useAppStore.getState().draft?.documentId;
    await useAppStore.getState().openProfile('p');
    const reopened = useAppStore.getState().draft?.documentId;
    expect({ same: afterEdits === first, changed: reopened !== first }).toEqual({ same: true, changed: true });
  });

  it('lists every problem of a failed validation, none of a valid one', () => {
    const errors = [{ code: 'PH_CONFIG_TYPE', message: 'a' }, { code: 'PH_CONFIG_VALUE', message: 'b' }];
    expect([problemsOf(null), problemsOf({ ok: true, warnings: [], roles: [] }), problemsOf({ ok: false, error: errors[0] as never, errors })]).toEqual([[], [], errors]);
  });

  it('turns file names into profile names', () => {
    expect(['home.json', 'My Bridge (2).jsonc', '../../evil.json', '.json'].map(profileNameFromFile)).toEqual(['home', 'My Bridge (2)', 'evil', 'imported']);
  });
});

describe('feeds', () => {
  it('routes snapshots and log batches into the slices, and unhooks', async () => {
    const { service, listeners } = fakeService({ getSnapshot: snapshot(1), getTrafficHistory: { window: '5m', stepMs: 1000, total: { tag: null, direction: null, points: [] }, tags: [] }, recentLogs: [], getSettings: { theme: 'dark' }, listProfiles: [] });
    setEngineService(service);
    const stop = startFeeds(service);
    for (const listener of listeners.snapshot) listener(snapshot(2, { connections: [row(1)] }));
    for (const listener of listeners.logs) listener([{ seq: 1, time: 1, kind: 'error', level: 'info', component: 'c', message: 'm', connectionId: null }]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const state = useAppStore.getState();
    expect({ rows: state.rows.length, lines: state.lines.length, link: state.linkStatus, theme: state.settings.theme }).toEqual({ rows: 1, lines: 1, link: 'live', theme: 'dark' });
    stop();
    expect([listeners.snapshot.size, listeners.logs.size]).toEqual([0, 0]);
  });
});
