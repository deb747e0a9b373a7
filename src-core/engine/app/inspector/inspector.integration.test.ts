/**
 * The inspector on a real exposure: the built-in local portal (bridge and portal in one engine),
 * visitors on the public port, scripted services on 127.0.0.1. Proves that capture changes no
 * byte either way (on and off), that what it captured is right, replays against a real HTTP
 * server, and a real WebSocket (ws) echoed through the tunnel.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { loadConfig } from '../../config/index.js';
import type { Instance } from '../../instance.js';
import { converse, sentBy, startScriptedService, type ScriptedService } from '../../../../test/support/conversation.js';
import { bodiless, bulk, expectContinue, notHttp, pipelined, untilClose, websocketEcho, type Scenario } from '../../../../test/support/http-scenarios.js';
import { freePorts, waitUntil } from '../../../../test/support/ports.js';
import { startPeer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import type { CapturedBody, CapturedEntry } from './captured-entry.js';

let local: RunningPeer;
let engine: Instance;
let service: ScriptedService;
let publicPort = 0;
const EXPOSURE = 'e-0000000a';

beforeAll(async () => {
  [publicPort = 0] = await freePorts(1);
  const config = loadConfig([{ name: 'local.json', text: JSON.stringify({
    log: { loglevel: 'warning', access: 'none' },
    reverse: {
      bridges: [{ tag: 'local-bridge', domain: 'local.porthole.invalid' }],
      portals: [{ tag: 'local-portal', domain: 'local.porthole.invalid', exposures: { ports: `${publicPort}`, listen: '127.0.0.1', publicHost: '127.0.0.1' } }],
    },
    routing: { rules: [{ type: 'field', inboundTag: ['local-bridge'], domain: ['full:local.porthole.invalid'], outboundTag: 'local-portal' }] },
  }) }]);
  local = await startPeer('porthole', config);
  engine = local.instance as Instance;
  service = await startScriptedService();
  await engine.setExposures([{ id: EXPOSURE, name: 'scripted', localHost: '127.0.0.1', localPort: service.port, publicPort, enabled: true }]);
  await waitUntil(() => engine.exposures.status(EXPOSURE).state === 'live', 10_000, 'exposure live');
});

afterAll(async () => {
  await local.stop();
  await service.close();
});

const scenarios: Array<() => Scenario> = [pipelined, expectContinue, bodiless, untilClose, websocketEcho, notHttp];
const ROUNDS = 3;

/** Entries of the exposure once none is open any more (the bridge closes its side just after the visitor's). */
async function settled(count: number): Promise<CapturedEntry[]> {
  await waitUntil(() => {
    const entries = engine.inspector.list(EXPOSURE);
    return entries.length === count && entries.every((entry) => entry.state !== 'open');
  }, 10_000, `${count} settled entries (now ${JSON.stringify(engine.inspector.list(EXPOSURE).map((entry) => [entry.kind, entry.state]))})`);
  return [...engine.inspector.list(EXPOSURE)];
}

describe('the inspector on an exposure', () => {
  it.each([true, false])('passes every byte unchanged both ways, capture on: %s', async (enabled) => {
    engine.inspector.clear(EXPOSURE);
    engine.inspector.setEnabled(EXPOSURE, enabled);
    // Fresh random payloads each round.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const make of scenarios) {
        const scenario = make();
        const result = await converse(service, publicPort, scenario.turns);
        expect(result.serviceReceived.equals(sentBy(scenario.turns, 'visitor')), `${scenario.name}: the service got what the visitor sent`).toBe(true);
        expect(result.visitorReceived.equals(sentBy(scenario.turns, 'service')), `${scenario.name}: the visitor got what the service sent`).toBe(true);
      }
    }
    const entries = enabled ? await settled(ROUNDS * 10) : [...engine.inspector.list(EXPOSURE)];
    const perRound = [
      ['http', 'complete', 'GET', 200], ['http', 'complete', 'POST', 201], ['http', 'complete', 'PUT', 200],
      ['http', 'complete', 'POST', 204],
      ['http', 'complete', 'HEAD', 200], ['http', 'complete', 'DELETE', 204], ['http', 'complete', 'GET', 304],
      ['http', 'complete', 'GET', 200],
      ['websocket', 'complete', 'GET', 101],
      ['not-http', 'complete', null, null],
    ];
    expect(entries.map((entry) => [entry.kind, entry.state, entry.request?.method ?? null, entry.response?.status ?? null])).toEqual(enabled ? Array.from({ length: ROUNDS }, () => perRound).flat() : []);
    engine.inspector.setEnabled(EXPOSURE, true);
  });

  it('keeps bodies as sent, and bodies at the cap with their full size', async () => {
    engine.inspector.clear(EXPOSURE);
    engine.inspector.configure(EXPOSURE, { bodyCapBytes: 1000 });
    const scenario = pipelined();
    await converse(service, publicPort, scenario.turns);
    const entries = await settled(3);
    expect(entries.map((entry) => entry.request?.body)).toEqual(scenario.requestBodies.map((body) => ({ data: body.subarray(0, 1000), size: body.length, truncated: body.length > 1000 })));
    expect(entries.map((entry) => entry.response?.body.size)).toEqual(scenario.responseBodies.map((body) => body.length));
    engine.inspector.configure(EXPOSURE, { bodyCapBytes: 1024 * 1024 });
  });

  it('carries megabytes both ways unchanged, keeping the first bytes of each body up to the cap and counting all', async () => {
    engine.inspector.clear(EXPOSURE);
    const scenario = bulk();
    const result = await converse(service, publicPort, scenario.turns);
    expect(result.serviceReceived.equals(sentBy(scenario.turns, 'visitor'))).toBe(true);
    expect(result.visitorReceived.equals(sentBy(scenario.turns, 'service'))).toBe(true);
    const [upload, download] = await settled(2);
    const cap = engine.inspector.settings(EXPOSURE).bodyCapBytes;
    // Compared with equals(): a deep equality of megabyte buffers takes seconds.
    const kept = (body: CapturedBody, whole: Buffer) => ({ same: body.data.equals(whole.subarray(0, cap)), size: body.size, truncated: body.truncated });
    expect([upload?.request && kept(upload.request.body, scenario.upload), download?.response && kept(download.response.body, scenario.download)]).toEqual([
      { same: true, size: scenario.upload.length, truncated: true },
      { same: true, size: scenario.download.length, truncated: true },
    ]);
  });
});

describe('replay', () => {
  it('sends a captured request again, as it was and edited, to the local service; each replay is listed as one', async () => {
    const seen: Array<{ method: string; url: string; header: string | undefined; body: string }> = [];
    const server = http.createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (chunk: Buffer) => parts.push(chunk));
      request.on('end', () => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', header: request.headers['x-test'] as string | undefined, body: Buffer.concat(parts).toString() });
        response.end(`answer ${seen.length}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      // The same exposure, now in front of this server.
      const id = EXPOSURE;
      await engine.setExposures([{ id, name: 'http', localHost: '127.0.0.1', localPort: port, publicPort, enabled: true }]);
      await waitUntil(() => engine.exposures.status(id).state === 'live', 10_000, 'exposure live');
      const address = `127.0.0.1:${publicPort}`;
      engine.inspector.clear(id);
      const response = await fetch(`http://${address}/items?id=1`, { method: 'POST', body: 'original', headers: { 'x-test': 'one' }, signal: AbortSignal.timeout(10_000) });
      expect(await response.text()).toBe('answer 1');
      await waitUntil(() => engine.inspector.list(id).some((entry) => entry.state === 'complete'), 10_000, 'captured');
      const [original] = engine.inspector.list(id);
      if (!original) throw new Error('nothing captured');

      const again = await engine.inspector.replay(original.id);
      const edited = await engine.inspector.replay(original.id, { method: 'PUT', target: '/edited', headers: [['Host', 'local'], ['X-Test', 'two']], body: Buffer.from('changed body') });
      expect(seen).toEqual([
        { method: 'POST', url: '/items?id=1', header: 'one', body: 'original' },
        { method: 'POST', url: '/items?id=1', header: 'one', body: 'original' },
        { method: 'PUT', url: '/edited', header: 'two', body: 'changed body' },
      ]);
      expect([again, edited].map((entry) => [entry.replayOf, entry.visitor, entry.state, entry.response?.status, entry.response?.body.data.toString()])).toEqual([
        [original.id, 'replay', 'complete', 200, 'answer 2'],
        [original.id, 'replay', 'complete', 200, 'answer 3'],
      ]);
      expect(engine.inspector.list(id).map((entry) => entry.id)).toEqual([original.id, again.id, edited.id]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a real WebSocket through the exposure', () => {
  it('echoes every message unchanged and is captured as one entry summarising them', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    const port = (server.address() as { port: number }).port;
    try {
      await engine.setExposures([{ id: EXPOSURE, name: 'ws', localHost: '127.0.0.1', localPort: port, publicPort, enabled: true }]);
      await waitUntil(() => engine.exposures.status(EXPOSURE).state === 'live', 10_000, 'exposure live');
      engine.inspector.clear(EXPOSURE);
      const client = new WebSocket(`ws://127.0.0.1:${publicPort}/chat`);
      await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
      const sent = ['first', 'second', Buffer.from(randomBytes(70_000))];
      const echoes: Array<{ data: Buffer; isBinary: boolean }> = [];
      client.on('message', (data: Buffer, isBinary) => echoes.push({ data, isBinary }));
      for (const message of sent) client.send(message);
      await waitUntil(() => echoes.length === sent.length, 10_000, 'echoes');
      expect(echoes.map(({ data, isBinary }) => (isBinary ? data.equals(sent[2] as Buffer) : data.toString()))).toEqual(['first', 'second', true]);
      client.close(1000);
      await new Promise((resolve) => client.once('close', resolve));
      const [entry] = await settled(1);
      expect([entry?.kind, entry?.request?.target, entry?.response?.status, entry?.websocket?.closeCode]).toEqual(['websocket', '/chat', 101, 1000]);
      expect([entry?.websocket?.fromVisitor.messages, entry?.websocket?.fromService.messages, entry?.websocket?.fromVisitor.firstTexts, entry?.websocket?.fromService.firstTexts]).toEqual([3, 3, ['first', 'second'], ['first', 'second']]);
    } finally {
      server.close();
    }
  });
});
