/**
 * HTTP proxy server (V2Ray 4.34 `proxy/http/server.go`): CONNECT becomes a tunnel (`200 Connection
 * established`, then the connection is dispatched as it is); a request with an absolute URI is
 * forwarded to its host, as Go's `net/http` writes it back (codec.ts), over its own dispatched
 * connection, and the answer is relayed; with `Proxy-Connection: keep-alive` and a response of
 * known length, the next request is read from the same connection.
 *
 * With `accounts`, a request without the right Basic `Proxy-Authorization` gets 407 and is
 * closed. A request that does not parse is closed without an answer; one that is not for a proxy
 * (no absolute URI, without `allowTransparent`) gets 4.34's 400. Either way, one log line names
 * the peer, and other connections carry on.
 */
import net from 'node:net';
import type { StreamSettings } from '../../config/types.js';
import { formatErrorLine, PortholeError } from '../../common/errors.js';
import { formatDestination, parseAddress, type Destination } from '../../common/net.js';
import { Roster } from '../../common/roster.js';
import { newSession, type Session } from '../../common/session.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import type { InboundHandler } from '../../features/inbound.js';
import { errorKindOf, type ComponentLogger } from '../../features/log.js';
import type { PolicyManager } from '../../features/policy.js';
import { abortStream } from '../../transport/abort.js';
import { listen, summariseRejections, type Connection, type Listener } from '../../transport/internet/index.js';
import { createLinkPair } from '../../transport/link.js';
import { pumpBoth } from '../../transport/pump.js';
import {
  ANSWER, ChunkedBodyEnd, MAX_HEAD_BYTES, encodeForwardedRequest, encodeResponseHead, headEnd, headerValue, parseBasicAuth, parseRequestHead,
  parseProxyHost, parseResponseHead, requestHost, type RequestHead,
} from './codec.js';
import { StreamReader } from './reader.js';

export interface HttpInboundSettings {
  listenHost: string;
  listenPort: number;
  accounts: ReadonlyMap<string, string>;
  allowTransparent: boolean;
  /** Seconds; with level 0 replaces the idle timeout (kept on the client's socket). */
  timeout: number;
  level: number;
  stream?: StreamSettings;
}

/** `::ffff:127.0.0.1` (a dual-stack listener's IPv4 peer) is 127.0.0.1. */
function plainAddress(text: string): string {
  return text.startsWith('::ffff:') && net.isIPv4(text.slice(7)) ? text.slice(7) : text;
}

/** The destination 4.34's `http_proto.ParseHost` makes of the host (codec.ts). */
function parseHost(raw: string, defaultPort: number): Destination | undefined {
  const parsed = parseProxyHost(raw, defaultPort);
  return parsed && { network: 'tcp', address: parseAddress(parsed.host), port: parsed.port };
}

/** Reads one head (up to its empty line) from `reader`; undefined at a clean end. */
async function readHead(reader: StreamReader): Promise<Buffer | undefined | PortholeError> {
  for (;;) {
    const end = headEnd(reader.peek());
    if (end >= 0) return reader.take(end);
    if (reader.length > MAX_HEAD_BYTES) return new PortholeError('PH_HTTP_BAD_REQUEST', `http: head larger than ${MAX_HEAD_BYTES} bytes`, { severity: 'warning' });
    if (!(await reader.more())) return reader.length === 0 ? undefined : new PortholeError('PH_HTTP_BAD_REQUEST', 'http: connection ended inside a head', { severity: 'info' });
  }
}

/** Writes and waits for room, so a fast source never outruns a slow destination. */
function write(to: NodeJS.WritableStream & { destroyed: boolean }, bytes: Buffer): Promise<void> {
  if (bytes.length === 0 || to.destroyed) return Promise.resolve();
  if (to.write(bytes)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      to.off('drain', done);
      to.off('close', done);
      resolve();
    };
    to.once('drain', done);
    to.once('close', done);
  });
}

/** Copies a body of `kind` from `reader` to `to`; false when the source ended early or was malformed. */
async function copyBody(reader: StreamReader, to: NodeJS.WritableStream & { destroyed: boolean }, body: { kind: 'chunked' } | { kind: 'length'; length: number } | { kind: 'close' }): Promise<boolean> {
  if (body.kind === 'length') {
    let left = body.length;
    while (left > 0) {
      if (reader.length === 0 && !(await reader.more())) return false;
      const piece = reader.take(left);
      left -= piece.length;
      await write(to, piece);
    }
    return true;
  }
  if (body.kind === 'close') {
    for (;;) {
      if (reader.length === 0 && !(await reader.more())) return true;
      await write(to, reader.take());
    }
  }
  const end = new ChunkedBodyEnd();
  while (!end.done) {
    if (reader.length === 0 && !(await reader.more())) return false;
    const used = end.push(reader.peek());
    if (typeof used !== 'number') return false;
    await write(to, reader.take(used));
  }
  return true;
}

export class HttpInbound implements InboundHandler {
  private server: Listener | undefined;
  private readonly connections = new Roster<Connection>();

  constructor(
    readonly tag: string,
    private readonly settings: HttpInboundSettings,
    private readonly dispatcher: Dispatcher,
    private readonly policies: PolicyManager,
    private readonly log: ComponentLogger,
  ) {}

  async start(): Promise<void> {
    this.server = await listen({
      host: this.settings.listenHost,
      port: this.settings.listenPort,
      stream: this.settings.stream,
      onAcceptError: (error, retryInMs) => this.log.warning(`failed to accept connections > ${formatErrorLine(error)}; listening again in ${retryInMs} ms`),
      onRejected: summariseRejections(this.log),
    }, (connection) => {
      void this.serve(connection).catch((error: unknown) => {
        this.log.summarised('info', `ended ${errorKindOf(error)}`, `connection from ${plainAddress(connection.remoteAddress ?? '')}:${connection.remotePort} ended: ${formatErrorLine(error)}`);
        abortStream(connection);
      });
    });
  }

  address(): { host: string; port: number } | undefined {
    return this.server?.address();
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const connection of this.connections.toArray()) abortStream(connection);
    if (server) await server.close();
  }

  private async serve(connection: Connection): Promise<void> {
    const membership = this.connections.add(connection);
    connection.once('close', () => membership.remove());
    connection.on('error', () => {});
    const peer = plainAddress(connection.remoteAddress ?? '');
    const source = `${peer}:${connection.remotePort}`;
    const reader = new StreamReader(connection);
    const refuse = (error: PortholeError, answer?: Buffer) => {
      reader.detach();
      this.log.summarised('warning', `rejected ${errorKindOf(error)} ${peer}`, `rejected a connection from ${source}: ${formatErrorLine(error)}`);
      if (answer) connection.end(answer, () => connection.destroy());
      else connection.destroy();
    };
    const handshakeMs = this.policies.forLevel(this.settings.level).handshakeMs;
    for (;;) {
      const timer = setTimeout(() => {
        this.log.summarised('info', `handshake timeout ${peer}`, `request from ${source} timed out after ${handshakeMs / 1000} s`);
        connection.destroy();
      }, handshakeMs);
      const head = await readHead(reader).finally(() => clearTimeout(timer));
      if (head === undefined) {
        reader.detach();
        connection.end();
        return;
      }
      if (head instanceof PortholeError) return refuse(head);
      const request = parseRequestHead(head);
      if ('error' in request) return refuse(request.error);
      let user: string | undefined;
      if (this.settings.accounts.size > 0) {
        const credentials = parseBasicAuth(headerValue(request.headers, 'Proxy-Authorization'));
        if (!credentials || this.settings.accounts.get(credentials.user) !== credentials.pass) {
          const why = credentials ? `wrong password for user ${JSON.stringify(credentials.user)}` : 'no Basic Proxy-Authorization';
          return refuse(new PortholeError('PH_HTTP_AUTH_FAILED', `http: proxy authentication failed: ${why}`, { severity: 'warning' }), ANSWER.authRequired);
        }
        user = credentials.user;
      }
      const host = requestHost(request);
      const target = parseHost(host, request.scheme === 'https' ? 443 : 80);
      if (!target) return refuse(new PortholeError('PH_HTTP_BAD_REQUEST', `http: malformed proxy host ${JSON.stringify(host)}`, { severity: 'warning' }));
      const session = newSession({
        inboundTag: this.tag,
        level: this.settings.level,
        source: { address: peer, port: connection.remotePort ?? 0 },
        ...(user !== undefined ? { user } : {}),
      });
      this.log.info(`request from ${source}: ${request.method} ${host} ${request.target}`, session.id);
      if (request.method.toUpperCase() === 'CONNECT') {
        connection.write(ANSWER.connectionEstablished);
        const rest = reader.detach();
        if (rest.length > 0) connection.unshift(rest);
        this.keepIdleTimeout(connection);
        this.dispatchTo(session, target, counted(connection), () => abortStream(connection));
        return;
      }
      if (!this.settings.allowTransparent && request.urlHost === '') {
        return refuse(new PortholeError('PH_HTTP_BAD_REQUEST', `http: not a proxy request (no absolute URI): ${request.method} ${request.target.slice(0, 60)}`, { severity: 'warning' }), ANSWER.notProxyRequest);
      }
      const keepAlive = headerValue(request.headers, 'Proxy-Connection').trim().toLowerCase() === 'keep-alive';
      const reusable = await this.forward(connection, reader, session, target, request);
      if (!reusable || !keepAlive) {
        reader.detach();
        connection.end();
        return;
      }
    }
  }

  /**
   * One plain request over its own dispatched connection: the request and its body go out as
   * 4.34 writes them, the response comes back (503 when none arrives). True when the client
   * connection may carry another request (the response had a known length).
   */
  private async forward(connection: Connection, reader: StreamReader, session: Session, target: Destination, request: RequestHead): Promise<boolean> {
    const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: this.policies.forLevel(this.settings.level).bufferBytes });
    if (!this.dispatchTo(session, target, outboundEnd, () => inboundEnd.destroy())) {
      await write(connection, ANSWER.unavailable);
      return false;
    }
    const upstream = new StreamReader(inboundEnd);
    const sent = (async () => {
      await write(inboundEnd, encodeForwardedRequest(request));
      return copyBody(reader, inboundEnd, request.body);
    })();
    const head = await readHead(upstream);
    const response = head instanceof Buffer ? parseResponseHead(head, request.method) : undefined;
    if (!response || 'error' in response) {
      const why = head instanceof PortholeError ? head : response && 'error' in response ? response.error : 'no response';
      this.log.warning(`failed to read response from ${formatDestination(target)}: ${typeof why === 'string' ? why : formatErrorLine(why)}`, session.id);
      upstream.detach();
      inboundEnd.destroy();
      await write(connection, ANSWER.unavailable);
      return false;
    }
    await write(connection, encodeResponseHead(response, request.method));
    const whole = await copyBody(upstream, connection, response.body);
    const requestSent = await sent;
    upstream.detach();
    // 4.34 closes its side of the link once the exchange is over; the outbound lets the server go.
    inboundEnd.end();
    inboundEnd.resume();
    if (!whole) {
      abortStream(connection);
      return false;
    }
    return requestSent && response.body.kind === 'length';
  }

  /** `timeout` with level 0: the client's socket closes after that long without a byte either way. */
  private keepIdleTimeout(connection: Connection): void {
    const { timeout, level } = this.settings;
    if (timeout > 0 && level === 0 && connection instanceof net.Socket) connection.setTimeout(timeout * 1000, () => abortStream(connection));
  }

  private dispatchTo(session: Session, target: Destination, stream: CountedStream, onFailure: () => void): boolean {
    try {
      this.dispatcher.dispatch(session, target, stream);
      return true;
    } catch (error) {
      this.log.summarised('warning', `dispatch ${errorKindOf(error)}`, `dispatch failed: ${formatErrorLine(error)}`, session.id);
      onFailure();
      return false;
    }
  }
}

/**
 * The connection as the dispatcher takes it: a socket (TCP, TLS) counts its own bytes; any other
 * carrier (WebSocket) is joined to a link pair whose outbound end counts them.
 */
function counted(connection: Connection): CountedStream {
  if (connection instanceof net.Socket) return connection;
  const { inboundEnd, outboundEnd } = createLinkPair();
  void pumpBoth(connection, inboundEnd);
  return outboundEnd;
}
