/**
 * The dashboard's HTTP and WebSocket gate on 127.0.0.1 with a stand-in service: 401 without the
 * token (page, API, socket), the URL-token → cookie → clean URL flow, Origin and Host checks,
 * request validation (bad JSON, unknown method, wrong arguments → 400 + envelope), headers; and
 * an accept error (the process out of file descriptors) that it survives as the engine's inbounds do.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import type net from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { waitUntil } from '../../../test/support/ports.js';
import { ACCEPT_RETRY_MIN_MS } from '../../engine/transport/tcp.js';
import { ServiceError, type EngineService, type EngineSnapshot, type EngineStatus, type LogLine } from '../api/index.js';
import { startDashboard, type Dashboard } from './server.js';

const status: EngineStatus = { state: 'stopped', profile: null, since: 0, error: null, listening: [] };
const snapshotListeners = new Set<(snapshot: EngineSnapshot) => void>();
const calls: unknown[][] = [];

function fakeService(): EngineService {
  const unsupported = () => Promise.reject(new TypeError('not in this fake'));
  return {
    listProfiles: () => Promise.reject(new TypeError('secret internals at /home/x')),
    getProfile: (name) => Promise.reject(new ServiceError('PH_PROFILE_NOT_FOUND', `there is no profile "${name}"`)),
    saveProfile: unsupported, deleteProfile: unsupported, exportProfile: unsupported, activateProfile: unsupported,
    validateProfile: (text) => Promise.reject(Object.assign(new Error('missing comma'), { code: 'PH_CONFIG_SYNTAX', place: { file: 'profile.json', line: 2, column: 5 }, text })),
    getStatus: async () => status,
    startEngine: unsupported, stopEngine: unsupported, getSnapshot: unsupported, getTrafficHistory: unsupported, listConnections: unsupported,
    closeConnection: async (id) => { calls.push(['closeConnection', id]); return true; },
    listExposures: unsupported, addExposure: unsupported, updateExposure: unsupported, removeExposure: unsupported, setExposuresPaused: unsupported, getServerSetup: unsupported, checkServerSetup: unsupported,
    closeAllConnections: unsupported, recentLogs: async () => [], getSettings: unsupported, setSettings: unsupported,
    onDidChangeSnapshot: (listener) => { snapshotListeners.add(listener); return () => { snapshotListeners.delete(listener); }; },
    onDidLog: (_listener: (lines: LogLine[]) => void) => () => {},
    listInspectorEntries: unsupported, getInspectorEntry: unsupported, clearInspector: unsupported, setInspectorPaused: unsupported, setInspectorSettings: unsupported,
    replayInspectorEntry: unsupported, exportInspectorHar: unsupported, exportInspectorCurl: unsupported,
    startRemoteSetup: unsupported, acceptRemoteHostKey: unsupported, retryRemoteSetup: unsupported, cancelRemoteSetup: unsupported, removeRemoteSetup: unsupported,
    getRemoteSetup: unsupported, listRemoteServers: unsupported, listPortalInvites: unsupported, createPortalInvite: unsupported, revokePortalInvite: unsupported,
    onDidChangeInspector: () => () => {}, onDidChangeRemoteSetup: () => () => {},
  };
}

let dashboard: Dashboard;
let root: string;
let folder: string;
let origin: string;
const cookie = () => `porthole_token_${dashboard.port}=${dashboard.token}`;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'porthole-dashboard-'));
  folder = join(root, 'static');
  mkdirSync(join(folder, 'assets'), { recursive: true });
  writeFileSync(join(folder, 'index.html'), '<!doctype html><title>Porthole</title>');
  writeFileSync(join(folder, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'outside.txt'), 'must not be served');
  dashboard = await startDashboard({ service: fakeService(), port: 0, staticFolder: folder });
  origin = `http://127.0.0.1:${dashboard.port}`;
});

afterAll(async () => {
  await dashboard.close();
  rmSync(root, { recursive: true, force: true });
});

function call(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${origin}/api/call`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie(), ...headers }, body });
}

async function envelope(response: Response): Promise<{ status: number; code: string | undefined; message?: string }> {
  const body = (await response.json()) as { error?: { code: string; message: string } };
  return { status: response.status, code: body.error?.code };
}

interface Answer { status?: number; connection?: string; body?: string; error?: string }

/**
 * POSTs `size` bytes to /api/call with node:http, a client that keeps uploading after an early
 * answer: declared up front (Content-Length) or chunked, optionally with Expect: 100-continue.
 */
function upload(size: number, framing: 'length' | 'chunked' | 'expect'): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json', Cookie: cookie() };
    if (framing !== 'chunked') headers['Content-Length'] = size;
    if (framing === 'expect') headers.Expect = '100-continue';
    const outgoing = httpRequest({ host: '127.0.0.1', port: dashboard.port, path: '/api/call', method: 'POST', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => { body += text; });
      response.once('end', () => resolve({ status: response.statusCode, connection: response.headers.connection, body }));
      response.once('error', (error: NodeJS.ErrnoException) => resolve({ status: response.statusCode, error: error.code ?? error.message }));
    });
    outgoing.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length;
        if (!outgoing.write(chunk)) {
          outgoing.once('drain', pump);
          return;
        }
      }
      outgoing.end();
    };
    if (framing === 'expect') outgoing.once('continue', pump);
    else pump();
    if (framing === 'expect') outgoing.once('response', () => outgoing.end());
  });
}

function openSocket(headers: Record<string, string>): Promise<{ opened: boolean; status?: number; socket?: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${dashboard.port}/api/events`, { headers });
    socket.once('open', () => resolve({ opened: true, socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ opened: false, status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', () => resolve({ opened: false }));
  });
}

describe('dashboard gate', () => {
  it('gives the URL with a 43-character token on 127.0.0.1', () => {
    expect(dashboard.url).toBe(`${origin}/?token=${dashboard.token}`);
    expect(dashboard.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('answers 401 to the page, assets and API without the token, and to a wrong one', async () => {
    const results = await Promise.all([
      fetch(`${origin}/`),
      fetch(`${origin}/assets/app.js`),
      fetch(`${origin}/?token=wrong`, { redirect: 'manual' }),
      fetch(`${origin}/`, { headers: { Cookie: `porthole_token_${dashboard.port}=wrong` } }),
      fetch(`${origin}/api/call`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"method":"getStatus"}' }),
      fetch(`${origin}/api/call?token=${dashboard.token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"method":"getStatus"}' }),
    ]);
    expect(results.map((response) => response.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(await envelope(results[4] as Response)).toEqual({ status: 401, code: 'PH_API_UNAUTHORIZED' });
  });

  it('trades the URL token for an HttpOnly SameSite=Strict cookie and redirects to the clean URL', async () => {
    const response = await fetch(`${origin}/?token=${dashboard.token}&view=1`, { redirect: 'manual' });
    expect({ status: response.status, location: response.headers.get('location'), cookie: response.headers.get('set-cookie') })
      .toEqual({ status: 303, location: '/?view=1', cookie: `porthole_token_${dashboard.port}=${dashboard.token}; HttpOnly; SameSite=Strict; Path=/` });
    const page = await fetch(`${origin}/`, { headers: { Cookie: cookie() } });
    expect({ status: page.status, body: await page.text() }).toEqual({ status: 200, body: '<!doctype html><title>Porthole</title>' });
  });

  it('sends a strict CSP, nosniff and no CORS header', async () => {
    const page = await fetch(`${origin}/`, { headers: { Cookie: cookie(), Origin: 'http://evil.example' } });
    expect({
      csp: page.headers.get('content-security-policy'),
      nosniff: page.headers.get('x-content-type-options'),
      cors: page.headers.get('access-control-allow-origin'),
      frames: page.headers.get('x-frame-options'),
    }).toEqual({
      csp: `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' ws://127.0.0.1:${dashboard.port}; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      nosniff: 'nosniff',
      cors: null,
      frames: 'DENY',
    });
  });

  it('refuses a Host that is not its own (DNS rebinding), even with the token', async () => {
    const { request } = await import('node:http');
    const statusCode = await new Promise<number>((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port: dashboard.port, path: '/', headers: { Host: `evil.example:${dashboard.port}`, Cookie: cookie() } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      outgoing.once('error', reject);
      outgoing.end();
    });
    expect(statusCode).toBe(421);
  });

  it('serves files only from its folder', async () => {
    const [asset, escape, encoded] = await Promise.all([
      fetch(`${origin}/assets/app.js`, { headers: { Cookie: cookie() } }),
      fetch(`${origin}/../outside.txt`, { headers: { Cookie: cookie() } }),
      fetch(`${origin}/%2e%2e/outside.txt`, { headers: { Cookie: cookie() } }),
    ]);
    expect([asset.status, asset.headers.get('content-type'), escape.status, encoded.status]).toEqual([200, 'text/javascript; charset=utf-8', 404, 404]);
  });
});

describe('dashboard API', () => {
  it('calls the service with validated arguments', async () => {
    const response = await call(JSON.stringify({ method: 'getStatus', args: [] }));
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { result: status } });
    const closed = await call(JSON.stringify({ method: 'closeConnection', args: [12] }));
    expect({ status: closed.status, body: await closed.json(), calls }).toEqual({ status: 200, body: { result: true }, calls: [['closeConnection', 12]] });
  });

  it.each([
    ['bad JSON', '{"method":', 'PH_API_BAD_REQUEST'],
    ['not an object', '[1,2]', 'PH_API_BAD_REQUEST'],
    ['unknown method', '{"method":"rmRf","args":[]}', 'PH_API_UNKNOWN_METHOD'],
    ['prototype name', '{"method":"constructor","args":[]}', 'PH_API_UNKNOWN_METHOD'],
    ['event as method', '{"method":"onDidLog","args":[]}', 'PH_API_UNKNOWN_METHOD'],
    ['wrong argument type', '{"method":"closeConnection","args":["12"]}', 'PH_API_BAD_ARGUMENTS'],
    ['too many arguments', '{"method":"getStatus","args":[1]}', 'PH_API_BAD_ARGUMENTS'],
    ['args not an array', '{"method":"getStatus","args":{}}', 'PH_API_BAD_ARGUMENTS'],
    ['path in a profile name', '{"method":"getProfile","args":["../../etc/passwd"]}', 'PH_API_BAD_ARGUMENTS'],
  ])('%s → 400 with an envelope', async (_what, body, code) => {
    expect(await envelope(await call(body))).toEqual({ status: 400, code });
  });

  it.each(['length', 'chunked', 'expect'] as const)('answers 413 (not a reset) to a body far over the limit, framed by %s', async (framing) => {
    const tooLarge = { status: 413, connection: 'close', body: JSON.stringify({ error: { code: 'PH_API_BAD_REQUEST', message: 'the request is larger than 2 MiB' } }) };
    expect(await upload(24 << 20, framing)).toEqual(tooLarge);
    // The next call on a new connection still works.
    expect((await call(JSON.stringify({ method: 'getStatus', args: [] }))).status).toBe(200);
  });

  it('answers 413 to fetch uploading a body over the limit', async () => {
    const response = await call(' '.repeat(3 << 20));
    expect({ status: response.status, connection: response.headers.get('connection'), body: await response.json() })
      .toEqual({ status: 413, connection: 'close', body: { error: { code: 'PH_API_BAD_REQUEST', message: 'the request is larger than 2 MiB' } } });
  });

  it('refuses a cross-origin call and a non-JSON content type', async () => {
    expect(await envelope(await call('{"method":"getStatus","args":[]}', { Origin: 'http://evil.example' }))).toEqual({ status: 403, code: 'PH_API_UNAUTHORIZED' });
    expect(await envelope(await call('{"method":"getStatus","args":[]}', { 'Content-Type': 'text/plain' }))).toEqual({ status: 415, code: 'PH_API_BAD_REQUEST' });
  });

  it('passes service errors as envelopes (with the place), and hides bugs', async () => {
    const notFound = await call('{"method":"getProfile","args":["nope"]}');
    expect({ status: notFound.status, body: await notFound.json() }).toEqual({ status: 404, body: { error: { code: 'PH_PROFILE_NOT_FOUND', message: 'there is no profile "nope"' } } });
    const config = await call('{"method":"validateProfile","args":["{"]}');
    expect({ status: config.status, body: await config.json() }).toEqual({ status: 422, body: { error: { code: 'PH_CONFIG_SYNTAX', message: 'missing comma', where: { file: 'profile.json', line: 2, column: 5 } } } });
    const bug = await call('{"method":"listProfiles","args":[]}');
    expect({ status: bug.status, body: await bug.json() }).toEqual({ status: 500, body: { error: { code: 'PH_INTERNAL', message: 'internal error' } } });
  });
});

describe('dashboard events socket', () => {
  it('refuses a socket without the token, from another origin, or without an origin', async () => {
    const results = await Promise.all([
      openSocket({ Origin: origin }),
      openSocket({ Origin: 'http://evil.example', Cookie: cookie() }),
      openSocket({ Cookie: cookie() }),
    ]);
    expect(results.map((result) => [result.opened, result.status])).toEqual([[false, 401], [false, 403], [false, 403]]);
  });

  it('streams snapshots to our own page, and unsubscribes when it closes', async () => {
    const result = await openSocket({ Origin: origin, Cookie: cookie() });
    const socket = result.socket as WebSocket;
    const message = new Promise<unknown>((resolve) => socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()))));
    const snapshot = { seq: 1 } as EngineSnapshot;
    for (const listener of snapshotListeners) listener(snapshot);
    expect(await message).toEqual({ event: 'snapshot', data: { seq: 1 } });
    socket.close();
    await waitUntil(() => snapshotListeners.size === 0, 5000, 'the socket to unsubscribe');
  });
});

/** The dashboard's listener, found among the process's handles (startDashboard does not hand it out). */
function listenerOn(port: number): net.Server {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const server = handles.find((handle): handle is net.Server => {
    const address = (handle as Partial<net.Server>).address?.();
    return typeof address === 'object' && address !== null && address.port === port && 'listening' in (handle as object);
  });
  if (!server) throw new Error(`no listener on port ${port}`);
  return server;
}

/**
 * What Node does when libuv reports a failed accept (see engine/transport/tcp.test.ts): the
 * server emits 'error'. With no listener for it, that error ended the process.
 */
function failAccept(server: net.Server, errno: number): void {
  const handle = (server as unknown as { _handle: { onconnection: (status: number) => void } })._handle;
  handle.onconnection.call(handle, -errno);
}

describe('dashboard out of file descriptors', () => {
  it('listens again on its port after an accept error (EMFILE); open sockets carry on', async () => {
    const onAcceptError = vi.fn();
    const own = await startDashboard({ service: fakeService(), port: 0, staticFolder: folder, onAcceptError });
    try {
      const ownCookie = `porthole_token_${own.port}=${own.token}`;
      const events = new WebSocket(`ws://127.0.0.1:${own.port}/api/events`, { headers: { Origin: `http://127.0.0.1:${own.port}`, Cookie: ownCookie } });
      await new Promise((resolve, reject) => { events.once('open', resolve); events.once('error', reject); });
      const server = listenerOn(own.port);
      failAccept(server, constants.errno.EMFILE);
      expect(onAcceptError).toHaveBeenCalledWith(expect.objectContaining({ code: 'EMFILE', syscall: 'accept' }), ACCEPT_RETRY_MIN_MS);
      expect(server.listening).toBe(false);
      // The socket opened before goes on meanwhile.
      const message = new Promise<unknown>((resolve) => events.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()))));
      for (const listener of snapshotListeners) listener({ seq: 7 } as EngineSnapshot);
      expect(await message).toEqual({ event: 'snapshot', data: { seq: 7 } });
      await vi.waitFor(() => expect(server.listening).toBe(true), { timeout: 5 * ACCEPT_RETRY_MIN_MS });
      const after = await fetch(`http://127.0.0.1:${own.port}/api/call`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: ownCookie }, body: '{"method":"getStatus","args":[]}' });
      expect({ status: after.status, body: await after.json() }).toEqual({ status: 200, body: { result: status } });
      events.close();
    } finally {
      await own.close();
    }
  });

  it('stays closed when closed while waiting to listen again', async () => {
    const own = await startDashboard({ service: fakeService(), port: 0, staticFolder: folder });
    const server = listenerOn(own.port);
    failAccept(server, constants.errno.ENFILE);
    await own.close();
    await new Promise((resolve) => setTimeout(resolve, 2 * ACCEPT_RETRY_MIN_MS));
    expect(server.listening).toBe(false);
    await expect(fetch(`http://127.0.0.1:${own.port}/`)).rejects.toThrow();
  });
});
