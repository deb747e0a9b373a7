/**
 * The WebSocket transport (V2Ray 4.34 `transport/internet/websocket`, gorilla/websocket there):
 * a client opens `ws://host[:port]/path` (`wss://` under TLS) over a connection dialled
 * already, with the configured headers (`Host` replaces the request's host); a server answers an
 * upgrade on exactly its path and 404 to anything else. No compression, no early data (4.34 has none).
 * The handshake is HTTP/1.1 through Node's own client and server; the frames after it are
 * websocket-frame.ts's.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { PortholeError } from '../../common/errors.js';
import type { WebSocketSettings } from '../../config/types.js';
import { opensTlsRecord } from './tls-record.js';
import { WebSocketStream } from './websocket-stream.js';

/** gorilla's dialer waits 8 s for the upgrade; 4.34's server reads the request head within 4 s. */
export const CLIENT_HANDSHAKE_MS = 8_000;
export const SERVER_HEADER_MS = 4_000;

export interface WebSocketDialTarget {
  host: string;
  port: number;
  secure: boolean;
}

/** The URL 4.34 dials: the port is left out when it is the scheme's default. */
export function webSocketUrl(target: WebSocketDialTarget, path: string): string {
  const scheme = target.secure ? 'wss' : 'ws';
  const host = net.isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  const defaultPort = target.secure ? 443 : 80;
  return `${scheme}://${host}${target.port === defaultPort ? '' : `:${target.port}`}${path}`;
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

/** RFC 6455 §4.2.2: the server proves it read the key. */
function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** The request's headers: the configured ones (a `Host` among them replaces the URL's), then the upgrade's own. */
function upgradeHeaders(url: URL, configured: Record<string, string>, key: string): Record<string, string> {
  const headers: Record<string, string> = { Host: url.host };
  for (const [name, value] of Object.entries(configured)) {
    if (name.toLowerCase() === 'host') headers.Host = value;
    else headers[name] = value;
  }
  return { ...headers, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' };
}

/**
 * Runs the client handshake over `socket` (TCP, or TLS over `raw`). Rejects with a PortholeError
 * that names the URL and the server's answer.
 */
export function openWebSocket(socket: net.Socket, raw: net.Socket, target: WebSocketDialTarget, settings: WebSocketSettings): Promise<WebSocketStream> {
  const url = webSocketUrl(target, settings.path);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      raw.destroy();
      reject(new PortholeError('PH_DIAL_FAILED', `websocket ${url}: ${why}`, cause === undefined ? {} : { cause }));
    };
    const timer = setTimeout(() => fail(`no answer to the upgrade in ${CLIENT_HANDSHAKE_MS} ms: is this a WebSocket server?`), CLIENT_HANDSHAKE_MS);
    // A plain socket's first bytes tell a TLS server apart (under TLS the raw bytes belong to the TLS layer).
    let peek = '';
    if (socket === raw) {
      raw.on('data', function peekFirstBytes(chunk: Buffer) {
        peek += chunk.subarray(0, 8).toString('latin1');
        raw.off('data', peekFirstBytes);
      });
    }
    const key = randomBytes(16).toString('base64');
    const request = http.request({
      method: 'GET',
      path: settings.path,
      headers: upgradeHeaders(new URL(url), settings.headers, key),
      createConnection: () => socket,
    });
    request.on('response', (response: http.IncomingMessage) => {
      let body = '';
      response.setEncoding('latin1');
      response.on('data', (text: string) => { if (body.length < 512) body += text; });
      const status = `${response.statusCode ?? '?'} ${response.statusMessage ?? ''}`.trim();
      const answer = () => fail(`the server answered ${status} instead of switching to WebSocket${body ? ` (${firstLine(body)})` : ''}: check wsSettings.path${target.secure ? '' : ' and whether it expects TLS'}`);
      response.once('end', answer);
      response.once('error', answer);
      setTimeout(answer, 200).unref();
    });
    request.on('error', (error: Error & { code?: string }) => {
      if (opensTlsRecord(Buffer.from(peek, 'latin1'))) fail('the server answered with TLS, not HTTP: set "security": "tls"', error);
      else if (error.code === 'HPE_INVALID_CONSTANT' || /parse error|Parse Error/i.test(error.message)) fail('the server did not answer with HTTP: is it a WebSocket server?', error);
      else if (/socket hang up|ECONNRESET/.test(error.message) || error.code === 'ECONNRESET') fail('the server closed the connection instead of answering the upgrade: is this its WebSocket port (and does it expect TLS)?', error);
      else fail(error.message, error);
    });
    request.on('upgrade', (response: http.IncomingMessage, upgraded: net.Socket, head: Buffer) => {
      if (settled) return;
      if (response.headers.upgrade?.toLowerCase() !== 'websocket' || response.headers['sec-websocket-accept'] !== acceptFor(key)) {
        fail('the server switched protocols without a valid WebSocket handshake (Upgrade or Sec-WebSocket-Accept)');
        return;
      }
      settled = true;
      clearTimeout(timer);
      request.removeAllListeners('error');
      request.on('error', () => {});
      resolve(new WebSocketStream(upgraded, raw, 'client', head, socket.remoteAddress ?? target.host, socket.remotePort ?? target.port));
    });
    request.end();
  });
}

/**
 * The client address 4.34 reports (`http_proto.ParseXForwardedFor`, then `net.ParseAddress`): the
 * first entry of the first `X-Forwarded-For` header, brackets and spaces dropped, when it is an IP;
 * the inbound then sees that IP with port 0. Node joins repeated headers with ", ", so the first
 * entry is the first header's.
 */
export function forwardedFor(header: string | string[] | undefined): string | undefined {
  let first = (Array.isArray(header) ? header[0] : header)?.split(',')[0];
  if (first === undefined) return undefined;
  if (first.length >= 2 && first.startsWith('[') && first.endsWith(']')) first = first.slice(1, -1);
  first = first.trim();
  return net.isIP(first) !== 0 ? first : undefined;
}

function requestPath(request: http.IncomingMessage): string {
  const raw = (request.url ?? '').split('?')[0] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** What makes an upgrade request on the right path unacceptable (RFC 6455 §4.2.1), in a few words; undefined when none. */
function invalidUpgrade(request: http.IncomingMessage): string | undefined {
  if (request.method !== 'GET') return `method ${request.method ?? '?'} (not GET)`;
  if (!/(^|,)\s*websocket\s*(,|$)/i.test(request.headers.upgrade ?? '')) return 'the Upgrade header does not name websocket';
  if (request.headers['sec-websocket-version'] !== '13') return `Sec-WebSocket-Version ${JSON.stringify(request.headers['sec-websocket-version'] ?? '')} (only 13 is spoken)`;
  if (!/^[+/0-9A-Za-z]{21}[AQgw]==$/.test(request.headers['sec-websocket-key'] ?? '')) return 'Sec-WebSocket-Key is not 16 bytes in base64';
  return undefined;
}

export interface WebSocketAcceptor {
  /** Serves HTTP on one accepted connection (TCP, or TLS over `raw`) until it upgrades or closes. */
  handle(socket: net.Socket, raw: net.Socket): void;
  close(): void;
}

/** The server side of one inbound: an HTTP server fed with connections, upgrading on `settings.path`. */
export function createWebSocketAcceptor(
  settings: WebSocketSettings,
  onConnection: (stream: WebSocketStream) => void,
  onRejected: (source: string, why: string, severity: 'info' | 'warning') => void,
): WebSocketAcceptor {
  const raws = new WeakMap<Duplex, net.Socket>();
  const server = http.createServer({ headersTimeout: SERVER_HEADER_MS, requestTimeout: SERVER_HEADER_MS, maxHeaderSize: 8192 });
  const sourceOf = (socket: net.Socket) => `${socket.remoteAddress}:${socket.remotePort}`;
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    const path = requestPath(request);
    onRejected(sourceOf(request.socket), path === settings.path ? 'a plain HTTP request, not a WebSocket upgrade' : `path ${JSON.stringify(path)} is not ${JSON.stringify(settings.path)}`, 'warning');
    response.writeHead(path === settings.path ? 400 : 404, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    response.end(path === settings.path ? 'Bad Request\n' : '404 page not found\n');
  });
  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const path = requestPath(request);
    if (path !== settings.path) {
      onRejected(sourceOf(socket), `path ${JSON.stringify(path)} is not ${JSON.stringify(settings.path)}`, 'warning');
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 19\r\n\r\n404 page not found\n');
      return;
    }
    const invalid = invalidUpgrade(request);
    if (invalid) {
      onRejected(sourceOf(socket), `not a valid WebSocket upgrade: ${invalid}`, 'warning');
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\nContent-Length: ${invalid.length + 1}\r\n\r\n${invalid}\n`);
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(request.headers['sec-websocket-key'] as string)}\r\n\r\n`);
    const raw = raws.get(socket) ?? socket;
    const forwarded = forwardedFor(request.headers['x-forwarded-for']);
    onConnection(new WebSocketStream(socket, raw, 'server', head, forwarded ?? socket.remoteAddress, forwarded !== undefined ? 0 : socket.remotePort));
  });
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    const net_ = socket as net.Socket;
    const wentAway = error.code === 'ECONNRESET' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    onRejected(sourceOf(net_), error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'HPE_HEADER_OVERFLOW' ? error.message : `not HTTP (${error.code ?? error.message})`, wentAway ? 'info' : 'warning');
    if (!socket.destroyed) socket.destroy();
  });
  return {
    handle(socket, raw) {
      raws.set(socket, raw);
      server.emit('connection', socket);
    },
    close() {
      // Never listened itself (connections are handed in): ending its idle HTTP connections is its close.
      server.closeAllConnections();
    },
  };
}
