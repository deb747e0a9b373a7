/**
 * The request inspector through the engine service, as the UI drives it (issue 6/7): a real
 * engine with the built-in local portal, requests sent through the exposure's public port, the
 * live list and its batched events, one entry in full (masked, revealed, gzip decoded), replays
 * counted by the local service, HAR and curl, pause, clear, and settings kept across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectorChange, InspectorList } from '../api/index.js';
import { waitUntil } from '../../../test/support/ports.js';
import { createLocalEngineService, type LocalEngineService } from './local-engine-service.js';
import { quietServiceOptions } from '../../../test/support/engine-service.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const path = mkdtempSync(join(tmpdir(), 'porthole-inspector-'));
  cleanups.push(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

async function service(root: string): Promise<LocalEngineService> {
  const created = await createLocalEngineService(quietServiceOptions(root));
  cleanups.push(() => created.close());
  return created;
}

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** The local service: answers JSON (gzipped for /zipped) that echoes what it got, and counts each request. */
async function localService(): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      // The service's own reachability probe (HEAD /) goes straight to the port, not through the exposure.
      if (request.method === 'HEAD') {
        response.end();
        return;
      }
      const body = Buffer.concat(parts).toString('utf8');
      seen.push({ method: request.method ?? '', url: request.url ?? '', body });
      const json = Buffer.from(JSON.stringify({ count: seen.length, method: request.method, url: request.url, got: body }));
      const zipped = request.url === '/zipped';
      response.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': 'session=s3cret; Path=/', ...(zipped ? { 'Content-Encoding': 'gzip' } : {}) });
      response.end(zipped ? gzipSync(json) : json);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, seen };
}

async function liveExposure(engine: LocalEngineService, port: number): Promise<{ id: string; address: string }> {
  const added = await engine.addExposure({ localPort: port });
  let address: string | null = null;
  await waitUntil(async () => {
    const status = (await engine.listExposures()).find((candidate) => candidate.id === added.id);
    address = status?.state === 'live' ? status.publicAddress : null;
    return address !== null;
  }, 10_000, 'exposure live');
  return { id: added.id, address: address as unknown as string };
}

async function listed(engine: LocalEngineService, id: string, check: (list: InspectorList) => boolean, what: string): Promise<InspectorList> {
  let last: InspectorList | undefined;
  await waitUntil(async () => {
    last = await engine.listInspectorEntries(id);
    return check(last);
  }, 10_000, `${what} (last: ${JSON.stringify(last?.entries.map((entry) => [entry.method, entry.target, entry.status, entry.state]))})`);
  return last as InspectorList;
}

describe('request inspector in the engine service', () => {
  it('lists requests live, shows one in full, replays it (as it was and edited), exports HAR and curl', async () => {
    const local = await localService();
    const engine = await service(folder());
    const changes: InspectorChange[] = [];
    const unsubscribe = engine.onDidChangeInspector((batch) => changes.push(...batch));
    cleanups.push(unsubscribe);
    const exposure = await liveExposure(engine, local.port);
    // A new engine starts new lists: listeners are told to fetch theirs again.
    await waitUntil(() => changes.some((change) => change.exposureId === exposure.id && change.reset), 5000, 'reset when the engine started');

    const answer = await fetch(`http://${exposure.address}/items?x=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer top-secret', Cookie: 'a=1; b=2' },
      body: JSON.stringify({ name: 'widget', size: 3 }),
    });
    expect(answer.status).toBe(200);
    await answer.text();
    const zipped = await fetch(`http://${exposure.address}/zipped`);
    expect(((await zipped.json()) as { url: string }).url).toBe('/zipped');

    const list = await listed(engine, exposure.id, (candidate) => candidate.entries.filter((entry) => entry.state === 'complete').length === 2, 'two requests listed');
    const [post, get] = list.entries;
    expect([post?.method, post?.target, post?.status, post?.kind, get?.method, get?.target]).toEqual(['POST', '/items?x=1', 200, 'http', 'GET', '/zipped']);
    expect(post?.requestSize).toBeGreaterThan(0);
    expect(post?.contentType).toBe('application/json');
    expect(list).toMatchObject({ paused: false, running: true, settings: { enabled: true, ringSize: 500, bodyCapBytes: 1024 * 1024 } });
    await waitUntil(() => changes.some((change) => change.upserted.some((row) => row.id === post?.id)), 5000, 'the event carried the new row');

    // One in full: secrets masked unless revealed, JSON bodies as sent, gzip undone.
    const masked = await engine.getInspectorEntry(post?.id ?? 0);
    const header = (headers: [string, string][] | undefined, name: string) => headers?.find(([field]) => field.toLowerCase() === name)?.[1];
    expect([header(masked.request?.headers, 'authorization'), header(masked.request?.headers, 'cookie'), masked.hasSecrets, masked.revealed])
      .toEqual(['Bearer ••••••', 'a=••••••; b=••••••', true, false]);
    expect(header(masked.response?.headers, 'set-cookie')).toBe('session=••••••; Path=/');
    expect(JSON.parse(Buffer.from(masked.request?.body.base64 ?? '', 'base64').toString('utf8'))).toEqual({ name: 'widget', size: 3 });
    expect(masked.request?.body.view).toBe('json');
    const revealed = await engine.getInspectorEntry(post?.id ?? 0, { reveal: true });
    expect(header(revealed.request?.headers, 'authorization')).toBe('Bearer top-secret');
    const unzipped = await engine.getInspectorEntry(get?.id ?? 0);
    expect([unzipped.response?.body.codings, unzipped.response?.body.view, JSON.parse(Buffer.from(unzipped.response?.body.base64 ?? '', 'base64').toString('utf8')).url])
      .toEqual([['gzip'], 'json', '/zipped']);

    // Replay as it was: the local service counts it, the list marks it.
    const before = local.seen.length;
    const replayed = await engine.replayInspectorEntry(post?.id ?? 0);
    expect(local.seen.length).toBe(before + 1);
    expect(local.seen.at(-1)).toEqual({ method: 'POST', url: '/items?x=1', body: JSON.stringify({ name: 'widget', size: 3 }) });
    expect([replayed.replayOf, replayed.status, replayed.visitor]).toEqual([post?.id, 200, 'replay']);
    const again = await engine.getInspectorEntry(replayed.id);
    expect(JSON.parse(Buffer.from(again.response?.body.base64 ?? '', 'base64').toString('utf8'))).toMatchObject({ count: before + 1 });

    // Edited: another method, path, header set and body.
    const edited = await engine.replayInspectorEntry(post?.id ?? 0, { method: 'PUT', target: '/items/7', headers: [['Host', 'edited.test'], ['Content-Type', 'text/plain'], ['X-Edited', 'yes']], body: 'changed ✓' });
    expect(local.seen.at(-1)).toEqual({ method: 'PUT', url: '/items/7', body: 'changed ✓' });
    expect([edited.method, edited.target, edited.replayOf]).toEqual(['PUT', '/items/7', post?.id]);
    await listed(engine, exposure.id, (candidate) => candidate.entries.filter((entry) => entry.replayOf === post?.id).length === 2, 'replays listed');

    // Edited from the masked form: a value still masked is sent as captured, a typed one as typed.
    const fromForm = await engine.replayInspectorEntry(post?.id ?? 0, { headers: [...masked.request?.headers ?? [], ['X-Note', 'né']] });
    const sent = await engine.getInspectorEntry(fromForm.id, { reveal: true });
    expect([header(sent.request?.headers, 'authorization'), header(sent.request?.headers, 'cookie'), header(sent.request?.headers, 'x-note')]).toEqual(['Bearer top-secret', 'a=1; b=2', 'né']);
    await engine.clearInspector(exposure.id);
    await (await fetch(`http://${exposure.address}/zipped`)).text();
    await (await fetch(`http://${exposure.address}/items?x=1`, { method: 'POST', headers: { Authorization: 'Bearer top-secret', 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'widget', size: 3 }) })).text();
    await engine.replayInspectorEntry((await listed(engine, exposure.id, (candidate) => candidate.entries.filter((entry) => entry.state === 'complete').length === 2, 'two again')).entries[1]?.id ?? 0);
    await engine.replayInspectorEntry((await engine.listInspectorEntries(exposure.id)).entries[1]?.id ?? 0, { method: 'PUT', target: '/items/7', headers: [['Host', 'edited.test']], body: 'changed ✓' });

    // HAR parses, lists every request, and masks secrets; curl names the path.
    const har = JSON.parse(await engine.exportInspectorHar(exposure.id)) as { log: { version: string; entries: { request: { method: string; url: string; headers: { name: string; value: string }[] } }[] } };
    expect(har.log.version).toBe('1.2');
    expect(har.log.entries.map((entry) => `${entry.request.method} ${new URL(entry.request.url).pathname}`)).toEqual(['GET /zipped', 'POST /items', 'POST /items', 'PUT /items/7']);
    expect(har.log.entries[1]?.request.headers.find((field) => field.name === 'Authorization')?.value).toBe('Bearer ••••••');
    const [, second] = (await engine.listInspectorEntries(exposure.id)).entries;
    const curl = await engine.exportInspectorCurl(second?.id ?? 0);
    expect(curl).toMatch(/^curl /m);
    expect(curl).toContain('/items?x=1');
    expect(curl).not.toContain('top-secret');
    expect(await engine.exportInspectorCurl(second?.id ?? 0, { reveal: true })).toContain('top-secret');

    // Clear: the list empties and listeners are told to fetch it again.
    changes.length = 0;
    await engine.clearInspector(exposure.id);
    expect((await engine.listInspectorEntries(exposure.id)).entries).toEqual([]);
    await waitUntil(() => changes.some((change) => change.exposureId === exposure.id && change.reset), 5000, 'reset event');
    await expect(engine.getInspectorEntry(second?.id ?? 0)).rejects.toMatchObject({ code: 'PH_INSPECTOR' });
  });

  it('pauses, and keeps its settings per exposure across a restart', async () => {
    const local = await localService();
    const root = folder();
    const first = await service(root);
    const exposure = await liveExposure(first, local.port);
    await first.setInspectorPaused(exposure.id, true);
    await (await fetch(`http://${exposure.address}/while-paused`)).text();
    expect(local.seen.map((seen) => seen.url)).toEqual(['/while-paused']);
    expect(await first.listInspectorEntries(exposure.id)).toMatchObject({ entries: [], paused: true });
    await first.setInspectorPaused(exposure.id, false);
    await (await fetch(`http://${exposure.address}/after`)).text();
    await listed(first, exposure.id, (list) => list.entries.length === 1 && list.entries[0]?.target === '/after', 'captured after resuming');

    expect(await first.setInspectorSettings(exposure.id, { ringSize: 2, bodyCapBytes: 4 })).toEqual({ enabled: true, ringSize: 2, bodyCapBytes: 4 });
    await expect(first.setInspectorSettings('e-00000000', { ringSize: 2 })).rejects.toMatchObject({ code: 'PH_EXPOSURE_NOT_FOUND' });
    await first.close();

    const second = await service(root);
    expect((await second.listInspectorEntries(exposure.id)).settings).toEqual({ enabled: true, ringSize: 2, bodyCapBytes: 4 });
    await second.startEngine();
    const live = await liveExposure(second, local.port);
    for (const path of ['/one', '/two', '/three']) await (await fetch(`http://${live.address}${path}`, { method: 'POST', body: 'longer than four bytes' })).text();
    const list = await listed(second, exposure.id, (candidate) => candidate.entries.length === 2 && candidate.entries.every((entry) => entry.state === 'complete'), 'the ring keeps two');
    expect(list.entries.map((entry) => entry.target)).toEqual(['/two', '/three']);
    const entry = await second.getInspectorEntry(list.entries[1]?.id ?? 0);
    expect(entry.request?.body).toMatchObject({ size: 22, capturedBytes: 4, truncated: true, capBytes: 4 });
    // A body cut at the cap cannot be replayed as it was: the one-line reason says how.
    await expect(second.replayInspectorEntry(entry.id)).rejects.toMatchObject({ code: 'PH_INSPECTOR', message: expect.stringMatching(/cut at 4 of 22 bytes/) as unknown as string });

    await second.setInspectorSettings(exposure.id, { enabled: false });
    await (await fetch(`http://${live.address}/off`)).text();
    expect((await second.listInspectorEntries(exposure.id)).entries.map((row) => row.target)).toEqual(['/two', '/three']);
  });
});
