import { randomInt } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sentBy, type Turn } from '../../../../test/support/conversation.js';
import { bodiless, expectContinue, notHttp, pipelined, untilClose, websocketEcho, wsFrame } from '../../../../test/support/http-scenarios.js';
import type { CapturedEntry } from './captured-entry.js';
import { CaptureStore } from './capture-store.js';
import { ConnectionTap, observeConnection } from './connection-tap.js';

function randomPieces(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const size = Math.min(bytes.length - offset, randomInt(1, 3000));
    pieces.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}

/** Feeds the turns to a tap as a connection would, each turn split at random (or as `split` says). */
function capture(turns: readonly Turn[], options: { bodyCapBytes?: number; ringSize?: number; split?: (bytes: Buffer) => Buffer[] } = {}): CapturedEntry[] {
  const store = new CaptureStore(() => options.ringSize ?? 500);
  const tap = new ConnectionTap({ exposureId: 'e', connectionId: 7, store, bodyCapBytes: options.bodyCapBytes ?? 1024 * 1024 });
  for (const turn of turns) {
    for (const piece of (options.split ?? randomPieces)(turn.bytes)) {
      if (turn.from === 'visitor') tap.fromVisitor(piece);
      else tap.fromService(piece);
    }
  }
  tap.visitorEnded();
  tap.serviceEnded();
  tap.close();
  return [...store.list('e')];
}

/** What a list shows of an entry (bodies compared apart). */
function row(entry: CapturedEntry) {
  return { kind: entry.kind, state: entry.state, method: entry.request?.method, target: entry.request?.target, status: entry.response?.status, visitor: entry.visitor, note: entry.note };
}

describe('ConnectionTap', () => {
  it('pairs pipelined requests with their answers in order: bodies (chunked ones de-chunked), sizes and visitors', () => {
    const scenario = pipelined();
    const entries = capture(scenario.turns);
    expect(entries.map(row)).toEqual([
      { kind: 'http', state: 'complete', method: 'GET', target: '/first?x=1', status: 200, visitor: '203.0.113.7', note: null },
      { kind: 'http', state: 'complete', method: 'POST', target: '/second', status: 201, visitor: 'unknown', note: null },
      { kind: 'http', state: 'complete', method: 'PUT', target: '/third', status: 200, visitor: 'unknown', note: null },
    ]);
    expect(entries.map((entry) => entry.request?.body.data)).toEqual(scenario.requestBodies);
    expect(entries.map((entry) => entry.response?.body.data)).toEqual(scenario.responseBodies);
    // Wire sizes add up to every byte each way.
    expect(entries.reduce((sum, entry) => sum + (entry.request?.size ?? 0), 0)).toBe(sentBy(scenario.turns, 'visitor').length);
    expect(entries.reduce((sum, entry) => sum + (entry.response?.size ?? 0), 0)).toBe(sentBy(scenario.turns, 'service').length);
    expect(entries.every((entry) => entry.durationMs !== null && entry.durationMs >= 0)).toBe(true);
  });

  it('reads the same whatever the chunk boundaries: split at every byte of a small conversation', () => {
    const turns: Turn[] = [
      { from: 'visitor', bytes: Buffer.from('GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n') },
      { from: 'service', bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n') },
    ];
    const whole = capture(turns, { split: (bytes) => [bytes] }).map((entry) => ({ ...row(entry), request: entry.request?.body.data.toString(), response: entry.response?.body.data.toString(), sizes: [entry.request?.size, entry.response?.size] }));
    expect(whole.map((entry) => [entry.request, entry.response])).toEqual([['', 'hi'], ['abc', 'z']]);
    const length = Math.max(...turns.map((turn) => turn.bytes.length));
    for (let at = 1; at < length; at += 1) {
      const split = capture(turns, { split: (bytes) => [bytes.subarray(0, at), bytes.subarray(at)] }).map((entry) => ({ ...row(entry), request: entry.request?.body.data.toString(), response: entry.response?.body.data.toString(), sizes: [entry.request?.size, entry.response?.size] }));
      expect(split, `split at ${at}`).toEqual(whole);
    }
  });

  it('Expect: 100-continue: one entry, the 100 noted as interim, the body that followed captured', () => {
    const scenario = expectContinue();
    const [entry, ...rest] = capture(scenario.turns);
    expect(rest).toEqual([]);
    expect(row(entry as CapturedEntry)).toEqual({ kind: 'http', state: 'complete', method: 'POST', target: '/upload', status: 204, visitor: 'unknown', note: null });
    expect(entry?.response?.interim).toEqual([100]);
    expect(entry?.request?.body.data).toEqual(scenario.body);
  });

  it('HEAD, 204 and 304 have no body whatever their fields say, and the connection goes on', () => {
    const entries = capture(bodiless().turns);
    expect(entries.map((entry) => [entry.request?.method, entry.response?.status, entry.response?.body.size, entry.state])).toEqual([
      ['HEAD', 200, 0, 'complete'], ['DELETE', 204, 0, 'complete'], ['GET', 304, 0, 'complete'],
    ]);
  });

  it('a body without length ends when the service ends', () => {
    const scenario = untilClose();
    const [entry] = capture(scenario.turns);
    expect([entry?.state, entry?.response?.httpVersion, entry?.response?.body.data]).toEqual(['complete', '1.0', scenario.body]);
  });

  it('a WebSocket upgrade is one entry summarising its frames both ways', () => {
    const scenario = websocketEcho();
    const entries = capture(scenario.turns);
    expect(entries.map(row)).toEqual([{ kind: 'websocket', state: 'complete', method: 'GET', target: '/socket', status: 101, visitor: 'unknown', note: null }]);
    const framesFromVisitor = Buffer.concat([wsFrame(1, Buffer.from('hello'), true), wsFrame(2, scenario.binary, true), wsFrame(8, Buffer.from([3, 0xe8]), true)]).length;
    expect(entries[0]?.websocket).toEqual({
      fromVisitor: { bytes: framesFromVisitor, frames: 3, messages: 2, firstTexts: ['hello'], unreadable: false },
      fromService: { bytes: framesFromVisitor - 3 * 4, frames: 3, messages: 2, firstTexts: ['hello'], unreadable: false },
      closeCode: 1000,
    });
  });

  it('an upgrade the service declines leaves HTTP going on, with what the visitor sent meanwhile', () => {
    const turns: Turn[] = [
      { from: 'visitor', bytes: Buffer.from('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nGET /next HTTP/1.1\r\n\r\n') },
      { from: 'service', bytes: Buffer.from('HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') },
    ];
    expect(capture(turns).map((entry) => [entry.kind, entry.request?.target, entry.response?.status, entry.state])).toEqual([
      ['http', '/ws', 426, 'complete'], ['http', '/next', 200, 'complete'],
    ]);
  });

  it('a stream that is not HTTP is one not-http entry counting every byte each way', () => {
    const scenario = notHttp();
    const entries = capture(scenario.turns);
    expect(entries.map((entry) => [entry.kind, entry.state, entry.rawBytes])).toEqual([
      ['not-http', 'complete', { fromVisitor: sentBy(scenario.turns, 'visitor').length, fromService: sentBy(scenario.turns, 'service').length }],
    ]);
    expect(entries[0]?.note).toBe('request: not an HTTP/1.x start line');
  });

  it('stops parsing where HTTP stops: the open request is aborted and the rest counted as not HTTP', () => {
    const entries = capture([
      { from: 'visitor', bytes: Buffer.from('GET /ok HTTP/1.1\r\n\r\nPOST /bad HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx') },
      { from: 'service', bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') },
    ], { split: (bytes) => [bytes] });
    expect(entries.map((entry) => [entry.kind, entry.state, entry.request?.target, entry.note])).toEqual([
      ['http', 'aborted', '/ok', 'parsing stopped (request: more than one Content-Length)'],
      ['not-http', 'complete', undefined, 'request: more than one Content-Length'],
    ]);
  });

  it('keeps bodies up to the cap and counts their full size', () => {
    const scenario = pipelined();
    const entries = capture(scenario.turns, { bodyCapBytes: 100 });
    for (const [index, entry] of entries.entries()) {
      const body = scenario.requestBodies[index] ?? Buffer.alloc(0);
      expect(entry.request?.body).toEqual({ data: body.subarray(0, 100), size: body.length, truncated: body.length > 100 });
    }
  });

  it('an entry whose connection closes early is aborted, saying where it stopped', () => {
    const entries = capture([{ from: 'visitor', bytes: Buffer.from('POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc') }]);
    expect(entries.map((entry) => [entry.state, entry.note, entry.request?.body.size])).toEqual([['aborted', 'the connection closed during the request', 3]]);
  });

  it('never throws into the data path, even when a change listener does', () => {
    const store = new CaptureStore(() => 10);
    store.onDidChange(() => {
      throw new Error('listener bug');
    });
    const tap = new ConnectionTap({ exposureId: 'e', connectionId: 1, store, bodyCapBytes: 10 });
    expect(() => {
      tap.fromVisitor(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      tap.fromService(Buffer.from('\x00\x01garbage'));
      tap.fromVisitor(Buffer.from('more'));
      tap.close();
    }).not.toThrow();
    expect(store.list('e').map((entry) => entry.kind)).toEqual(['http', 'not-http']);
  });
});

describe('observeConnection', () => {
  it('reads the chunks the pump passes on without taking them: the other reader gets each one, same object, in order', async () => {
    const visitor = new PassThrough();
    const service = new PassThrough();
    const store = new CaptureStore(() => 10);
    observeConnection(new ConnectionTap({ exposureId: 'e', connectionId: 1, store, bodyCapBytes: 10 }), visitor, service);
    const seen: Buffer[] = [];
    visitor.on('data', (chunk: Buffer) => seen.push(chunk));
    const chunks = [Buffer.from('GET / HTTP/1.1\r\n'), Buffer.from('\r\n')];
    for (const chunk of chunks) visitor.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(2);
    expect(seen.map((chunk, index) => chunk === chunks[index] || chunk.equals(chunks[index] ?? Buffer.alloc(0)))).toEqual([true, true]);
    expect(store.list('e').map(row)).toEqual([{ kind: 'http', state: 'open', method: 'GET', target: '/', status: undefined, visitor: 'unknown', note: null }]);
  });

  it('stop takes every listener off again', () => {
    const visitor = new PassThrough();
    const service = new PassThrough();
    const before = [visitor, service].map((side) => ['data', 'end', 'close'].map((event) => side.listenerCount(event)));
    const stop = observeConnection(new ConnectionTap({ exposureId: 'e', connectionId: 1, store: new CaptureStore(() => 1), bodyCapBytes: 1 }), visitor, service);
    stop();
    expect([visitor, service].map((side) => ['data', 'end', 'close'].map((event) => side.listenerCount(event)))).toEqual(before);
  });
});
