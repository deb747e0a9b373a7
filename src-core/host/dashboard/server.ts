/**
 * The headless web dashboard: the renderer's files, `POST /api/call` for the engine-service
 * contract and a WebSocket at `/api/events` for snapshots and log lines. The files go out brotli or
 * gzip compressed when the browser takes it (static-files.ts). Everything, page
 * included, needs the token printed at start; `/?token=…` trades it for an HttpOnly,
 * SameSite=Strict cookie and redirects to the clean URL. Loopback unless `allowRemote`.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeServer, keepListening, type ListenOptions } from '../../engine/transport/tcp.js';
import {
  checkArguments, ENGINE_EVENT_PROPERTIES, isEngineMethodName, toErrorEnvelope, type EngineEventName, type EngineService,
  type ErrorEnvelope,
} from '../api/index.js';
import { contentTypeOf } from './content-types.js';
import { readBodyWithin } from './request-body.js';
import { StaticFiles } from './static-files.js';
import { authorized, createToken, hostAllowed, isLoopbackHost, originAllowed, requestToken, tokenCookie, tokensMatch, type GateOptions } from './token-gate.js';
import { tokenPage } from './token-page.js';

export interface DashboardOptions {
  service: EngineService;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7070; 0 picks a free port (tests). */
  port?: number;
  /** Must be true to listen on a non-loopback address. */
  allowRemote?: boolean;
  /** The built renderer (`dist/renderer`); default: found from the package root. */
  staticFolder?: string;
  /** Default: 32 random bytes. */
  token?: string;
  /**
   * The listener could not accept (the process is out of file descriptors) and listens again in
   * `retryInMs`, as the engine's inbounds do; for the log.
   */
  onAcceptError?: ListenOptions['onAcceptError'];
}

export interface Dashboard {
  /** `http://host:port/` */
  readonly origin: string;
  /** The URL to open: origin plus `?token=…`. */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A dashboard that may not start as asked (a non-loopback address without `allowRemote`). */
export class DashboardError extends Error {
  readonly code = 'PH_DASHBOARD_REFUSED';
}

/** Request bodies are small JSON calls; a profile text is at most 1 MiB. */
const MAX_BODY_BYTES = 2 << 20;
/** A client that reads slower than this much buffered output skips snapshots until it catches up. */
const MAX_SOCKET_BUFFER = 4 << 20;

/** `dist/renderer` of the Porthole package this file belongs to (source or built). */
export function defaultStaticFolder(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(folder, 'package.json')) && existsSync(join(folder, 'src-core'))) return join(folder, 'dist', 'renderer');
    const parent = dirname(folder);
    if (parent === folder) return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'renderer');
    folder = parent;
  }
}

function contentSecurityPolicy(host: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${host}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(response: ServerResponse, request: IncomingMessage): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  response.setHeader('Content-Security-Policy', contentSecurityPolicy(request.headers.host ?? ''));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, error: ErrorEnvelope): void {
  sendJson(response, status, { error });
}

function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** HTTP status for a service failure: user mistakes are 4xx, bugs 500. */
function statusFor(envelope: ErrorEnvelope): number {
  if (envelope.code === 'PH_INTERNAL') return 500;
  if (envelope.code === 'PH_PROFILE_NOT_FOUND') return 404;
  if (envelope.code.startsWith('PH_API_')) return 400;
  return 422;
}

/** Starts the dashboard; resolves once it listens. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackHost(host);
  if (!loopback && !options.allowRemote) {
    throw new DashboardError(`the dashboard would listen on ${host}, which other machines can reach: pass --ui-allow-remote to allow it`);
  }
  const token = options.token ?? createToken();
  const staticFolder = options.staticFolder ?? defaultStaticFolder();
  const { service } = options;
  const sockets = new Set<Socket>();
  const clients = new Set<WebSocket>();
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const staticFiles = new StaticFiles();

  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    void handle(request, response).catch(() => {
      if (!response.headersSent) sendError(response, 500, { code: 'PH_INTERNAL', message: 'internal error' });
      else response.destroy();
    });
  };
  const server: Server = createServer(onRequest);
  // Handled like any request: the body reader sends "100 Continue" only for a body it will read,
  // so a refused or oversized upload is answered before the client sends it.
  server.on('checkContinue', onRequest);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7070, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Out of file descriptors, the page must come back once some are free, as the tunnels do.
  keepListening(server, options.onAcceptError);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const gate: GateOptions = {
    token,
    port,
    allowedHosts: loopback ? new Set(['localhost', '127.0.0.1', '[::1]', host.toLowerCase()]) : new Set(),
  };
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${port}/`;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    securityHeaders(response, request);
    if (!hostAllowed(request.headers, gate)) {
      sendText(response, 421, 'This dashboard answers only on its own address.\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    const isApi = url.pathname.startsWith('/api/');
    const offered = url.searchParams.get('token');
    if (offered !== null && request.method === 'GET' && !isApi) {
      if (!tokensMatch(offered, token)) {
        unauthorized(request, response, false, 'wrong');
        return;
      }
      url.searchParams.delete('token');
      const clean = `${url.pathname}${url.search}`;
      response.writeHead(303, { Location: clean, 'Set-Cookie': tokenCookie(port, token), 'Cache-Control': 'no-store' });
      response.end();
      return;
    }
    if (!authorized(request.headers, gate)) {
      unauthorized(request, response, isApi, requestToken(request.headers, port) === undefined ? 'missing' : 'wrong');
      return;
    }
    if (url.pathname === '/api/call') {
      await handleCall(request, response);
      return;
    }
    if (isApi) {
      sendError(response, 404, { code: 'PH_API_BAD_REQUEST', message: `no such endpoint: ${url.pathname}` });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendText(response, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    await serveStatic(url.pathname, request, response);
  }

  function unauthorized(request: IncomingMessage, response: ServerResponse, isApi: boolean, problem: 'missing' | 'wrong'): void {
    if (isApi) {
      sendError(response, 401, { code: 'PH_API_UNAUTHORIZED', message: 'missing or wrong token: open the URL that porthole printed at start' });
      return;
    }
    // A person at a browser gets a page that says where the URL is printed (issue 4/7); scripts get the short text.
    if ((request.headers.accept ?? '').includes('text/html')) {
      const page = tokenPage(problem);
      response.setHeader('Content-Security-Policy', page.contentSecurityPolicy);
      response.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(page.html) });
      response.end(request.method === 'HEAD' ? undefined : page.html);
      return;
    }
    sendText(response, 401, 'Porthole dashboard: this page needs its token.\nOpen the URL that `porthole run --ui` printed at start (it ends in ?token=…).\n');
  }

  async function handleCall(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      sendError(response, 405, { code: 'PH_API_BAD_REQUEST', message: 'use POST' });
      return;
    }
    // A cross-site page can send a "simple" POST with cookies stripped by SameSite anyway; the Origin
    // and content-type checks make the refusal explicit and keep forms out.
    if (!originAllowed(request.headers, { required: false })) {
      sendError(response, 403, { code: 'PH_API_UNAUTHORIZED', message: 'cross-origin calls are refused' });
      return;
    }
    if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      sendError(response, 415, { code: 'PH_API_BAD_REQUEST', message: 'send the call as application/json' });
      return;
    }
    const tooLarge = JSON.stringify({ error: { code: 'PH_API_BAD_REQUEST', message: `the request is larger than ${MAX_BODY_BYTES >> 20} MiB` } });
    const body = await readBodyWithin(request, response, { maxBytes: MAX_BODY_BYTES }, { contentType: 'application/json; charset=utf-8', text: tooLarge });
    if (!body) return; // answered 413
    let call: unknown;
    try {
      call = JSON.parse(body.toString('utf8'));
    } catch {
      sendError(response, 400, { code: 'PH_API_BAD_REQUEST', message: 'the request body is not JSON' });
      return;
    }
    if (typeof call !== 'object' || call === null || Array.isArray(call)) {
      sendError(response, 400, { code: 'PH_API_BAD_REQUEST', message: 'send {"method": NAME, "args": [...]}' });
      return;
    }
    const { method, args = [] } = call as { method?: unknown; args?: unknown };
    if (!isEngineMethodName(method)) {
      sendError(response, 400, { code: 'PH_API_UNKNOWN_METHOD', message: `unknown method: ${typeof method === 'string' ? method.slice(0, 80) : String(method)}` });
      return;
    }
    const checked = checkArguments(method, args);
    if (!checked.ok) {
      sendError(response, 400, { code: 'PH_API_BAD_ARGUMENTS', message: checked.message });
      return;
    }
    try {
      const invoke = service[method] as (...values: unknown[]) => Promise<unknown>;
      const result = await invoke.apply(service, checked.args);
      sendJson(response, 200, { result: result ?? null });
    } catch (error) {
      const envelope = toErrorEnvelope(error);
      sendError(response, statusFor(envelope), envelope);
    }
  }

  async function serveStatic(pathname: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    } catch {
      sendText(response, 400, 'Bad path\n');
      return;
    }
    if (relative.split(/[/\\]/).includes('..')) {
      sendText(response, 404, 'Not found\n');
      return;
    }
    let file = join(staticFolder, relative || 'index.html');
    if (!file.startsWith(staticFolder + sep) && file !== staticFolder) {
      sendText(response, 404, 'Not found\n');
      return;
    }
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile()) {
      if (!existsSync(join(staticFolder, 'index.html'))) {
        sendText(response, 503, `The dashboard is not built (no ${join(staticFolder, 'index.html')}): run npm run build.\n`);
        return;
      }
      sendText(response, 404, 'Not found\n');
      return;
    }
    const type = contentTypeOf(file) ?? 'application/octet-stream';
    // Hashed assets never change; the page itself is checked again on every load (its ETag makes
    // that a 304), so a new build shows at once. "private": it is behind the token.
    const cache = relative.startsWith(`assets${sep}`) ? 'private, max-age=31536000, immutable' : 'private, no-cache';
    await staticFiles.send(file, info, type, cache, request, response);
  }

  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const path = new URL(request.url ?? '/', 'http://dashboard.invalid').pathname;
    if (path !== '/api/events') return refuse('404 Not Found');
    if (!hostAllowed(request.headers, gate)) return refuse('421 Misdirected Request');
    if (!authorized(request.headers, gate)) return refuse('401 Unauthorized');
    // Browsers always send Origin on a WebSocket handshake; only our own page may connect.
    if (!originAllowed(request.headers, { required: true })) return refuse('403 Forbidden');
    webSockets.handleUpgrade(request, socket, head, (client) => attach(client));
  });

  function attach(client: WebSocket): void {
    clients.add(client);
    const send = (event: EngineEventName, data: unknown) => {
      if (client.readyState !== client.OPEN || client.bufferedAmount > MAX_SOCKET_BUFFER) return;
      client.send(JSON.stringify({ event, data }));
    };
    const unsubscribers = (Object.keys(ENGINE_EVENT_PROPERTIES) as EngineEventName[]).map((event) => {
      const subscribe = service[ENGINE_EVENT_PROPERTIES[event]] as (listener: (data: unknown) => void) => () => void;
      return subscribe.call(service, (data) => send(event, data));
    });
    client.on('message', () => {
      // The socket is one-way; calls go through POST /api/call.
    });
    client.on('error', () => client.terminate());
    client.once('close', () => {
      clients.delete(client);
      for (const unsubscribe of unsubscribers) unsubscribe();
    });
  }

  return {
    origin,
    url: `${origin}?token=${token}`,
    token,
    port,
    close: async () => {
      for (const client of clients) client.terminate();
      webSockets.close();
      // Also cancels a pending listen-again (keepListening), which would otherwise reopen the port.
      const closed = closeServer(server);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
