import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineSnapshot, ExposureStatus, ServerSetup, TagTraffic } from '../../src-core/host/api/index.js';
import {
  ADD_FORM, EXPOSURE_HOLD_MS, exposureIdOfTag, exposureProblem, exposureTag, hasUsableAddress, localAddressOf, ONE_CLICK, parseExposureForm, splitExposureTags,
} from './exposures.js';
import { startFeeds } from './feeds.js';
import { describeSetupError } from './server-setup.js';
import { fakeService } from './fake-service.test-support.js';
import { setEngineService } from './service.js';
import { resetAppStore, useAppStore } from './store.js';

function exposure(id: string, fields: Partial<ExposureStatus> = {}): ExposureStatus {
  return {
    id, name: `localhost:${id.length}`, localHost: '127.0.0.1', localPort: 3000, publicPort: null, enabled: true, createdAt: 1,
    state: 'live', publicAddress: '127.0.0.1:20001', portalKind: 'local', problem: null, localReachable: true,
    bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0, ...fields,
  };
}

function snapshot(seq: number, fields: Partial<EngineSnapshot> = {}): EngineSnapshot {
  return {
    seq, time: seq * 1000,
    status: { state: 'running', profile: null, since: 0, error: null, listening: [] },
    totals: { bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0 },
    point: { time: seq * 1000, upRate: 0, downRate: 0 },
    tags: [], bridges: [], portals: [], connections: [], exposures: [], exposuresPaused: false,
    ...fields,
  };
}

const failure = (code: string, message: string) => Object.assign(new Error(message), { code });


beforeEach(() => {
  resetAppStore();
  setEngineService(undefined);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('exposures slice', () => {
  it('takes list and pause flag from snapshots', () => {
    useAppStore.getState().applyExposureSnapshot(snapshot(1, { exposures: [exposure('e-00000001')], exposuresPaused: true }));
    const { exposures, exposuresPaused } = useAppStore.getState();
    expect({ ids: exposures.map((item) => item.id), exposuresPaused }).toEqual({ ids: ['e-00000001'], exposuresPaused: true });
  });

  it('adds through the service, shows the answer at once and keeps it over a snapshot sampled before', async () => {
    vi.useFakeTimers({ now: 10_000 });
    const added = exposure('e-0000000a', { state: 'requesting', publicAddress: null });
    const { service, calls } = fakeService({ addExposure: added });
    setEngineService(service);
    const result = await useAppStore.getState().addExposure({ localPort: 3000, name: 'web' });
    useAppStore.getState().applyExposureSnapshot(snapshot(2, { exposures: [] }));
    const held = useAppStore.getState().exposures.map((item) => item.id);
    // A newer snapshot with news about it: its state wins, while what the user set is kept.
    useAppStore.getState().applyExposureSnapshot(snapshot(3, { exposures: [{ ...added, state: 'live', publicAddress: '127.0.0.1:20007', enabled: false }] }));
    const updated = useAppStore.getState().exposures[0];
    vi.setSystemTime(10_000 + EXPOSURE_HOLD_MS + 1);
    useAppStore.getState().applyExposureSnapshot(snapshot(4, { exposures: [] }));
    expect({
      result: result?.id, calls, held, lastAdded: useAppStore.getState().lastAddedExposure,
      updated: { state: updated?.state, address: updated?.publicAddress, enabled: updated?.enabled },
      afterHold: useAppStore.getState().exposures.length, holds: useAppStore.getState().exposureHolds,
    }).toEqual({
      result: 'e-0000000a', calls: [['addExposure', [{ localPort: 3000, name: 'web' }]]], held: ['e-0000000a'], lastAdded: 'e-0000000a',
      updated: { state: 'live', address: '127.0.0.1:20007', enabled: true },
      afterHold: 0, holds: {},
    });
  });

  it('keeps a removed exposure gone while stale snapshots still list it', async () => {
    vi.useFakeTimers({ now: 5000 });
    const { service } = fakeService({ removeExposure: undefined });
    setEngineService(service);
    const listed = snapshot(1, { exposures: [exposure('e-00000001'), exposure('e-00000002')] });
    useAppStore.getState().applyExposureSnapshot(listed);
    expect(await useAppStore.getState().removeExposure('e-00000001')).toBe(true);
    useAppStore.getState().applyExposureSnapshot(listed);
    expect(useAppStore.getState().exposures.map((item) => item.id)).toEqual(['e-00000002']);
  });

  it('shows a failed call where it was made and clears it on the next try', async () => {
    const { service } = fakeService({
      addExposure: failure('PH_EXPOSURE_BAD_INPUT', 'port 80 is already exposed'),
      updateExposure: failure('PH_EXPOSURE_NOT_FOUND', 'no exposure e-00000009'),
    });
    setEngineService(service);
    const added = await useAppStore.getState().addExposure({ localPort: 80 }, ONE_CLICK);
    const updated = await useAppStore.getState().updateExposure('e-00000009', { enabled: false });
    const { exposureErrors, exposureBusy } = useAppStore.getState();
    expect({ added, updated, exposureErrors, exposureBusy }).toEqual({
      added: null,
      updated: false,
      exposureErrors: {
        [ONE_CLICK]: { code: 'PH_EXPOSURE_BAD_INPUT', message: 'port 80 is already exposed' },
        'e-00000009': { code: 'PH_EXPOSURE_NOT_FOUND', message: 'no exposure e-00000009' },
      },
      exposureBusy: {},
    });
    setEngineService(fakeService({ addExposure: exposure('e-00000003') }).service);
    await useAppStore.getState().addExposure({ localPort: 80 }, ONE_CLICK);
    expect(Object.keys(useAppStore.getState().exposureErrors)).toEqual(['e-00000009']);
  });

  it('marks a call busy while it is in flight', async () => {
    let answer: (value: ExposureStatus) => void = () => {};
    const { service } = fakeService({ addExposure: () => new Promise<ExposureStatus>((resolve) => { answer = resolve; }) });
    setEngineService(service);
    const pending = useAppStore.getState().addExposure({ localPort: 8080 });
    const during = { ...useAppStore.getState().exposureBusy };
    answer(exposure('e-00000004'));
    await pending;
    expect([during, useAppStore.getState().exposureBusy]).toEqual([{ [ADD_FORM]: true }, {}]);
  });

  it('pauses at once and rolls back when the service says no', async () => {
    const { service, calls } = fakeService({ setExposuresPaused: failure('PH_INTERNAL', 'internal error') });
    setEngineService(service);
    const pending = useAppStore.getState().setExposuresPaused(true);
    const during = useAppStore.getState().exposuresPaused;
    await pending;
    expect({ during, after: useAppStore.getState().exposuresPaused, error: useAppStore.getState().exposureErrors.pause?.message, calls })
      .toEqual({ during: true, after: false, error: 'internal error', calls: [['setExposuresPaused', [true]]] });
  });

  it('arrives through the feeds with each snapshot', async () => {
    const { service, listeners } = fakeService({
      getSnapshot: snapshot(1, { exposures: [exposure('e-00000001')] }),
      getTrafficHistory: { window: '5m', stepMs: 1000, total: { tag: null, direction: null, points: [] }, tags: [] },
      recentLogs: [], getSettings: { theme: 'system' }, listProfiles: [],
    });
    setEngineService(service);
    const stop = startFeeds(service);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const first = useAppStore.getState().exposures.map((item) => item.id);
    for (const listener of listeners.snapshot) listener(snapshot(2, { exposures: [exposure('e-00000001'), exposure('e-00000002')], exposuresPaused: true }));
    stop();
    expect({ first, then: useAppStore.getState().exposures.map((item) => item.id), paused: useAppStore.getState().exposuresPaused })
      .toEqual({ first: ['e-00000001'], then: ['e-00000001', 'e-00000002'], paused: true });
  });
});

describe('exposure helpers', () => {
  it('says what is wrong: the refusal first, then a local service that does not answer', () => {
    const refused = exposure('e-1', { state: 'refused', problem: { code: 'PH_EXPOSURE_REFUSED', message: 'port 9 is outside 21000-21010' }, localReachable: false });
    const unreachable = exposure('e-2', { state: 'live', localReachable: false, localHost: '::1', localPort: 80 });
    expect([exposureProblem(refused), exposureProblem(unreachable), exposureProblem(exposure('e-3')), exposureProblem(exposure('e-4', { state: 'disabled', localReachable: false }))]).toEqual([
      { tone: 'danger', text: 'Port 9 is outside 21000-21010.' },
      { tone: 'warn', text: 'Nothing is listening on [::1]:80 — will retry.' },
      null,
      null,
    ]);
  });

  it('offers an address to copy only when live or where Server setup puts it', () => {
    const states = ['live', 'setup-needed', 'requesting', 'refused', 'offline', 'disabled'] as const;
    expect(states.map((state) => hasUsableAddress(exposure('e-1', { state })))).toEqual([true, true, false, false, false, false]);
    expect(hasUsableAddress(exposure('e-1', { publicAddress: null }))).toBe(false);
  });

  it('reads the add form as the service schema does', () => {
    const form = { localHost: '127.0.0.1', localPort: '3000', name: '', publicPort: '' };
    expect([
      parseExposureForm(form),
      parseExposureForm({ ...form, localHost: ' localhost ', name: ' web ', publicPort: '8080' }),
      parseExposureForm({ ...form, localPort: '70000' }),
      parseExposureForm({ ...form, localPort: '' }),
      parseExposureForm({ ...form, publicPort: 'abc' }),
      parseExposureForm({ ...form, localHost: 'localhost:80' }),
      parseExposureForm({ ...form, localHost: '' }),
    ]).toEqual([
      { ok: true, input: { localPort: 3000, localHost: '127.0.0.1' } },
      { ok: true, input: { localPort: 3000, localHost: 'localhost', name: 'web', publicPort: 8080 } },
      { ok: false, field: 'localPort', message: 'The local port is a number from 1 to 65535.' },
      { ok: false, field: 'localPort', message: 'The local port is a number from 1 to 65535.' },
      { ok: false, field: 'publicPort', message: 'The public port is a number from 1 to 65535, or empty to let the portal pick.' },
      { ok: false, field: 'localHost', message: 'A host is a name or an IP address, without a port.' },
      { ok: true, input: { localPort: 3000 } },
    ]);
    expect(localAddressOf({ localHost: '127.0.0.1', localPort: 80 })).toBe('127.0.0.1:80');
  });

  it('names exposure series by exposure, in the exposures\' order, apart from the config\'s tags', () => {
    const tag = (name: string, direction: TagTraffic['direction'] = 'outbound'): TagTraffic => ({ tag: name, direction, bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0 });
    const tags = [tag('external', 'inbound'), tag(exposureTag('e-00000002')), tag('out'), tag(exposureTag('e-00000001'), 'inbound'), tag(exposureTag('e-00000001')), tag(exposureTag('e-0000dead'))];
    const { exposureTags, otherTags } = splitExposureTags(tags, [exposure('e-00000001', { name: 'web' }), exposure('e-00000002', { name: 'api' })]);
    expect({
      exposures: exposureTags.map((entry) => [entry.id, entry.exposure?.name ?? null, entry.tag.direction]),
      others: otherTags.map((entry) => entry.tag),
      ids: [exposureIdOfTag('exposure:e-00000001'), exposureIdOfTag('out')],
    }).toEqual({
      exposures: [['e-00000001', 'web', 'outbound'], ['e-00000002', 'api', 'outbound'], ['e-0000dead', null, 'outbound']],
      others: ['external', 'out'],
      ids: ['e-00000001', null],
    });
  });
});

describe('server setup slice', () => {
  const setup: ServerSetup = {
    profile: 'home', serverAddress: '203.0.113.5:443',
    v2ray: { fileName: 'portal.v2ray.json', text: '{}', command: 'v2ray -config portal.v2ray.json' },
    porthole: { fileName: 'portal.json', text: '{}', command: 'porthole run -c portal.json' },
    transport: { kind: 'tcp', serverName: null, path: null, portalListen: '0.0.0.0:443', certificateFile: null, keyFile: null, current: 'tcp' },
    bridge: { fileName: 'home.json', text: '{}', changed: false },
    proxies: null,
    exposures: ['8080 → 127.0.0.1:80'],
    protocol: 'vmess', publicPorts: [], install: { steps: [], ports: [443] },
  };

  it('fetches the setup when opened, switches tabs, closes', async () => {
    const { service, calls } = fakeService({ getServerSetup: setup });
    setEngineService(service);
    const opening = useAppStore.getState().openServerSetup('home');
    const loading = useAppStore.getState().serverSetup?.loading;
    await opening;
    useAppStore.getState().setServerSetupTab('porthole');
    const view = useAppStore.getState().serverSetup;
    useAppStore.getState().closeServerSetup();
    expect({ loading, view, calls, closed: useAppStore.getState().serverSetup }).toEqual({
      loading: true,
      view: { profile: 'home', tab: 'porthole', loading: false, setup, error: null, options: {}, proxy: 'nginx', names: 'none', bridgeSave: null, check: null },
      calls: [['getServerSetup', ['home']]],
      closed: null,
    });
  });

  it('shows why there is no setup, and drops an answer that comes after closing', async () => {
    const { service } = fakeService({ getServerSetup: failure('PH_SETUP_NO_BRIDGE', 'profile "portal" has no bridge') });
    setEngineService(service);
    await useAppStore.getState().openServerSetup('portal');
    const error = useAppStore.getState().serverSetup?.error ?? null;
    let answer: (value: ServerSetup) => void = () => {};
    setEngineService(fakeService({ getServerSetup: () => new Promise<ServerSetup>((resolve) => { answer = resolve; }) }).service);
    const late = useAppStore.getState().openServerSetup('home');
    useAppStore.getState().closeServerSetup();
    answer(setup);
    await late;
    expect({ error, described: error && describeSetupError(error).title, after: useAppStore.getState().serverSetup })
      .toEqual({ error: { code: 'PH_SETUP_NO_BRIDGE', message: 'profile "portal" has no bridge' }, described: 'This profile has no bridge', after: null });
  });

  it('says where a config error is', () => {
    expect(describeSetupError({ code: 'PH_CONFIG_VALUE', message: 'expected a port', where: { line: 3, column: 9, path: 'outbounds[1].settings' } }))
      .toEqual({ title: 'The profile does not load', text: 'line 3, column 9: outbounds[1].settings: expected a port' });
  });
});
