import { beforeEach, describe, expect, it } from 'vitest';
import type { InspectorEntry, InspectorList, InspectorSummary } from '../../src-core/host/api/index.js';
import { base64ToBytes, formatRequestTime, formFields, hexLines, imageDataUrl } from '../components/inspector/body-format.js';
import { fakeService } from './fake-service.test-support.js';
import { mergeRows, methodsOf, NO_FILTER, parseHeaderLines, resetInspectorStore, statusClassOf, useInspectorStore, visibleRows } from './inspector.js';
import { setEngineService } from './service.js';

function row(id: number, fields: Partial<InspectorSummary> = {}): InspectorSummary {
  return {
    id, exposureId: 'e-00000001', kind: 'http', startedAt: id * 1000, durationMs: 5, state: 'complete', visitor: '203.0.113.7',
    method: 'GET', target: `/item/${id}`, status: 200, requestSize: 100, responseSize: 200, contentType: 'application/json', replayOf: null, messages: null, note: null,
    ...fields,
  };
}

function list(entries: InspectorSummary[], fields: Partial<InspectorList> = {}): InspectorList {
  return { exposureId: 'e-00000001', entries, paused: false, running: true, settings: { enabled: true, ringSize: 500, bodyCapBytes: 1 << 20 }, ...fields };
}

function entry(id: number, reveal: boolean): InspectorEntry {
  const body = { base64: '', size: 0, capturedBytes: 0, truncated: false, capBytes: 1 << 20, codings: [], decodedBytes: 0, partial: false, problem: null, view: 'empty' as const, contentType: null };
  return {
    ...row(id), connectionId: 1, revealed: reveal, hasSecrets: true, websocket: null, rawBytes: null,
    request: { method: 'GET', target: `/item/${id}`, httpVersion: '1.1', headers: [['Authorization', reveal ? 'Bearer x' : 'Bearer ••••••']], body, size: 10 },
    response: null,
  };
}

beforeEach(() => {
  resetInspectorStore();
  setEngineService(undefined);
});

describe('inspector list helpers', () => {
  it('merges a batch: rows added in id order, changed in place, removed', () => {
    const merged = mergeRows([row(1), row(2), row(3)], { upserted: [row(4), row(2, { status: 500 })], removed: [1] });
    expect(merged.map((candidate) => [candidate.id, candidate.status])).toEqual([[2, 500], [3, 200], [4, 200]]);
    expect(mergeRows([row(1)], { upserted: [row(2)], removed: [2] }).map((candidate) => candidate.id)).toEqual([1]);
  });

  it('filters by text, method and status class, newest first', () => {
    const rows = [row(1), row(2, { method: 'POST', status: 201 }), row(3, { status: 404, target: '/missing' }), row(4, { status: null, state: 'open' }), row(5, { visitor: '198.51.100.2', status: 503 })];
    expect(visibleRows(rows, NO_FILTER).map((candidate) => candidate.id)).toEqual([5, 4, 3, 2, 1]);
    expect(visibleRows(rows, { ...NO_FILTER, method: 'POST' }).map((candidate) => candidate.id)).toEqual([2]);
    expect(visibleRows(rows, { ...NO_FILTER, status: '2xx' }).map((candidate) => candidate.id)).toEqual([2, 1]);
    expect(visibleRows(rows, { ...NO_FILTER, status: '5xx' }).map((candidate) => candidate.id)).toEqual([5]);
    expect(visibleRows(rows, { ...NO_FILTER, status: 'other' }).map((candidate) => candidate.id)).toEqual([4]);
    expect(visibleRows(rows, { ...NO_FILTER, text: 'MISSING' }).map((candidate) => candidate.id)).toEqual([3]);
    expect(visibleRows(rows, { ...NO_FILTER, text: '198.51' }).map((candidate) => candidate.id)).toEqual([5]);
    expect(visibleRows(rows, { ...NO_FILTER, text: '404' }).map((candidate) => candidate.id)).toEqual([3]);
    expect([statusClassOf(101), statusClassOf(302), statusClassOf(null)]).toEqual(['other', '3xx', 'other']);
  });

  it('offers the methods seen, common ones first', () => {
    expect(methodsOf([row(1, { method: 'PROPFIND' }), row(2, { method: 'POST' }), row(3), row(4, { method: null })])).toEqual(['GET', 'POST', 'PROPFIND']);
  });

  it('reads typed headers, naming the first bad line', () => {
    expect(parseHeaderLines('Host: a\n\nX-Two:  b c \r\nEmpty:')).toEqual({ headers: [['Host', 'a'], ['X-Two', 'b c'], ['Empty', '']] });
    expect(parseHeaderLines('Host: a\nno colon here')).toEqual({ problem: 'line 2: write each header as "Name: value"' });
    expect(parseHeaderLines('Bad Name: x')).toEqual({ problem: 'line 1: write each header as "Name: value"' });
  });
});

describe('body formats', () => {
  it('hex dumps, form fields and image previews', () => {
    const bytes = base64ToBytes(btoa('Hello, inspector!\x00\x01'));
    expect(hexLines(bytes)).toEqual([
      '00000000  48 65 6c 6c 6f 2c 20 69  6e 73 70 65 63 74 6f 72  |Hello, inspector|',
      '00000010  21 00 01                                          |!..|',
    ]);
    expect(hexLines(new Uint8Array(100), 32)).toHaveLength(2);
    expect([formatRequestTime(3.4, String), formatRequestTime(1250, String), formatRequestTime(12_340, String), formatRequestTime(90_000, () => '1 m 30 s')]).toEqual(['3 ms', '1.25 s', '12.3 s', '1 m 30 s']);
    expect(formFields('a=1&b=two+words&c=%E2%9C%93&bad=%E2&flag')).toEqual([['a', '1'], ['b', 'two words'], ['c', '✓'], ['bad', '%E2'], ['flag', '']]);
    expect([imageDataUrl('image/png; charset=x', 'AAAA', false), imageDataUrl('image/png', 'AAAA', true), imageDataUrl('text/html', 'AAAA', false)])
      .toEqual(['data:image/png;base64,AAAA', undefined, undefined]);
  });
});

describe('inspector store', () => {
  it('opens an exposure, merges live batches, reloads on reset, and drops a selection that left', async () => {
    let entries = [row(1), row(2)];
    const { service, calls } = fakeService({ listInspectorEntries: () => list(entries), getInspectorEntry: (id: number, options: { reveal: boolean }) => entry(id, options.reveal), exportInspectorCurl: () => 'curl http://x/' });
    setEngineService(service);
    const store = useInspectorStore.getState();
    await store.open('e-00000001');
    expect(useInspectorStore.getState().entries.map((candidate) => candidate.id)).toEqual([1, 2]);
    useInspectorStore.getState().applyChanges([{ exposureId: 'e-00000001', upserted: [row(3)], removed: [], reset: false }, { exposureId: 'e-99999999', upserted: [row(9)], removed: [], reset: false }]);
    expect(useInspectorStore.getState().entries.map((candidate) => candidate.id)).toEqual([1, 2, 3]);
    await useInspectorStore.getState().select(2);
    expect([useInspectorStore.getState().detail?.id, useInspectorStore.getState().curl]).toEqual([2, 'curl http://x/']);
    entries = [row(3)];
    useInspectorStore.getState().applyChanges([{ exposureId: 'e-00000001', upserted: [], removed: [], reset: true }]);
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(useInspectorStore.getState()).toMatchObject({ entries: [row(3)], selectedId: null, detail: null });
    expect(calls.filter(([method]) => method === 'listInspectorEntries')).toHaveLength(2);
  });

  it('reveals secrets only when asked, for the detail and its curl', async () => {
    const { service, calls } = fakeService({ listInspectorEntries: list([row(1)]), getInspectorEntry: (id: number, options: { reveal: boolean }) => entry(id, options.reveal), exportInspectorCurl: (_id: number, options: { reveal: boolean }) => (options.reveal ? 'curl -H x' : 'curl -H •') });
    setEngineService(service);
    await useInspectorStore.getState().open('e-00000001');
    await useInspectorStore.getState().select(1);
    expect(useInspectorStore.getState().detail?.request?.headers).toEqual([['Authorization', 'Bearer ••••••']]);
    await useInspectorStore.getState().setReveal(true);
    expect([useInspectorStore.getState().detail?.request?.headers, useInspectorStore.getState().curl]).toEqual([[['Authorization', 'Bearer x']], 'curl -H x']);
    expect(calls.filter(([method]) => method === 'getInspectorEntry').map(([, args]) => args)).toEqual([[1, { reveal: false }], [1, { reveal: true }]]);
  });

  it('replays: the new row joins the list and opens; a refusal is said in one line', async () => {
    const failure = Object.assign(new Error("inspector: entry 1's body was cut at 4 of 22 bytes; replay it with an edited body, or raise the body cap"), { code: 'PH_INSPECTOR' });
    let fail = false;
    const { service, calls } = fakeService({
      listInspectorEntries: list([row(1)]),
      getInspectorEntry: (id: number) => entry(id, false),
      replayInspectorEntry: () => { if (fail) throw failure; return row(2, { replayOf: 1, visitor: 'replay', method: 'PUT', status: 201 }); },
    });
    setEngineService(service);
    await useInspectorStore.getState().open('e-00000001');
    const replayed = await useInspectorStore.getState().replay(1, { method: 'PUT' });
    expect(replayed?.id).toBe(2);
    expect(useInspectorStore.getState()).toMatchObject({ selectedId: 2, replaying: false, notice: { tone: 'ok', text: 'Replayed: PUT /item/2 answered 201' } });
    expect(useInspectorStore.getState().entries.map((candidate) => candidate.id)).toEqual([1, 2]);
    expect(calls.find(([method]) => method === 'replayInspectorEntry')?.[1]).toEqual([1, { method: 'PUT' }]);
    fail = true;
    expect(await useInspectorStore.getState().replay(1)).toBeNull();
    // As it was: no second argument at all (JSON would turn `undefined` into null, which the API refuses).
    expect(calls.filter(([method]) => method === 'replayInspectorEntry').at(-1)?.[1]).toEqual([1]);
    expect(useInspectorStore.getState().notice).toEqual({ tone: 'error', text: failure.message });
  });

  it('pause, clear and settings go to the service for the open exposure', async () => {
    const { service, calls } = fakeService({ listInspectorEntries: list([row(1)]), setInspectorSettings: { enabled: false, ringSize: 10, bodyCapBytes: 0 } });
    setEngineService(service);
    await useInspectorStore.getState().open('e-00000001');
    await useInspectorStore.getState().setPaused(true);
    await useInspectorStore.getState().clear();
    expect(await useInspectorStore.getState().setSettings({ enabled: false })).toBe(true);
    expect(useInspectorStore.getState()).toMatchObject({ paused: true, entries: [], settings: { enabled: false, ringSize: 10 } });
    expect(calls.slice(1)).toEqual([['setInspectorPaused', ['e-00000001', true]], ['clearInspector', ['e-00000001']], ['setInspectorSettings', ['e-00000001', { enabled: false }]]]);
  });
});
