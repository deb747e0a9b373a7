/**
 * The portal's public edge: one HTTP and one HTTPS listener shared by every exposure, routing
 * each request by its `Host` (HTTPS: SNI, which must agree with `Host`) to the exposure holding
 * that name, and relaying it to the exposure's service as HTTP/1.1 over `route.open`'s stream.
 *
 * Node's own HTTP stack parses visitors (llhttp, strict); HTTPS offers HTTP/2 by ALPN
 * (`http2.createSecureServer` with `allowHTTP1`). An unknown name, a refused visitor or a dead
 * service gets a small page of the edge's own (edge-pages.ts) that names nothing else.
 *
 * One visitor's slowness costs only its own sockets: everything is event-driven and bounded by
 * the limits in edge-limits.ts (header size and time, idle time, connections per address,
 * exchanges per name and per bridge user), and the pumps respect backpressure. A response cut
 * short by the service is cut short for the visitor too (reset, or RST_STREAM on HTTP/2), never
 * ended as if complete.
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { ComponentLogger } from '../../features/log.js';
import { errorKindOf } from '../../features/log.js';
import { abortStream } from '../../transport/abort.js';
import { pumpBoth } from '../../transport/pump.js';
import type { CertificateSource, HttpChallengeResponder } from './certificate-source.js';
import { accessProblem, basicChallenge, checkAccess, plainAddress } from './edge-access.js';
import { AddressConnections, ExchangeAdmission } from './edge-admission.js';
import { resolveEdgeLimits, type EdgeLimits } from './edge-limits.js';
import { edgePage, rawEdgeResponse, type EdgePageStatus } from './edge-pages.js';
import { pairsFromRaw, requestHeadersForService, responseHeadersForVisitor, type HeaderPairs } from './forwarded-headers.js';
import { hostnameOf, serverNameOf } from './host-name.js';
import type { EdgeRoute, EdgeRouteTable, Visitor } from './routes.js';
import { UpstreamConnections } from './upstream-connections.js';

export interface EdgeListen {
  readonly host: string;
  /** 0: any free port (read the bound one from `httpPort`/`httpsPort`). */
  readonly port: number;
}

export interface EdgeHttpsListen extends EdgeListen {
  /** The port visitors reach HTTPS on, for redirects (behind NAT it may differ); default: the bound one. */
  readonly publicPort?: number;
}

export interface EdgeServerOptions {
  readonly http?: EdgeListen;
  readonly https?: EdgeHttpsListen;
  readonly routes: EdgeRouteTable;
  /** Needed for `https`. */
  readonly certificates?: CertificateSource;
  /** ACME HTTP-01 answers, served on the HTTP listener for any name. */
  readonly challenges?: HttpChallengeResponder;
  readonly limits?: Partial<EdgeLimits>;
  /** Offer HTTP/2 to HTTPS visitors (ALPN `h2`); default true. */
  readonly http2?: boolean;
  readonly log: ComponentLogger;
}

const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
/** How often Node looks for requests past `headersTimeout`/`requestTimeout` (its default, 30 s, would let a slowloris socket live 50 s). */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

type VisitorRequest = http.IncomingMessage | http2.Http2ServerRequest;
type VisitorResponse = http.ServerResponse | http2.Http2ServerResponse;
type Scheme = Visitor['protocol'];
/** Answers a visitor with one of the edge's pages. */
type Answer = (status: EdgePageStatus, headers?: Record<string, string>) => void;

/** One request as the edge handles it, whatever HTTP version the visitor speaks. */
interface Exchange {
  readonly req: VisitorRequest;
  readonly res: VisitorResponse;
  readonly http2: boolean;
  readonly visitor: Visitor;
  /** The `Host` (or `:authority`) the visitor sent, with its port. */
  readonly host: string;
  readonly hostname: string;
}

function isHttp2(req: VisitorRequest): req is http2.Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/** The connection's socket: on HTTP/2 the session's, not the stream's proxy. */
function connectionSocket(req: VisitorRequest): Socket | tls.TLSSocket | undefined {
  if (isHttp2(req)) return req.stream.session?.socket as Socket | undefined;
  return req.socket;
}

function listeningPort(server: http.Server | http2.Http2SecureServer | undefined): number | undefined {
  const address = server?.address() as AddressInfo | string | null | undefined;
  return address && typeof address === 'object' ? address.port : undefined;
}

/** The upstream response's headers as HTTP/2 takes them: one value per name, except `set-cookie`. */
function http2Headers(pairs: HeaderPairs): http.OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    const existing = headers[name];
    if (name === 'set-cookie') headers[name] = [...(Array.isArray(existing) ? existing : []), value];
    else headers[name] = existing === undefined ? value : `${String(existing)}, ${value}`;
  }
  return headers;
}

/** A whole response of the edge's own (both response kinds take this call, but not through their union type). */
function respond(res: VisitorResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res instanceof http.ServerResponse) res.writeHead(status, headers).end(body);
  else res.writeHead(status, headers).end(body);
}

/** Writes `text` and closes; a peer that never reads or closes is cut off after a while. */
function endWith(socket: Duplex, text: string): void {
  socket.end(text);
  setTimeout(() => socket.destroy(), 5_000).unref();
}

export class EdgeServer {
  private readonly limits: EdgeLimits;
  private readonly admission: ExchangeAdmission;
  private readonly upstreams: UpstreamConnections;
  private readonly sockets = new Set<Socket>();
  private readonly tunnels = new Set<Duplex>();
  private readonly warnedAccess = new WeakSet<object>();
  private httpServer?: http.Server;
  private httpsServer?: http.Server | http2.Http2SecureServer;
  private closed = false;

  constructor(private readonly options: EdgeServerOptions) {
    this.limits = resolveEdgeLimits(options.limits);
    this.admission = new ExchangeAdmission(this.limits);
    this.upstreams = new UpstreamConnections(this.limits);
    if (options.https && !options.certificates) throw new Error('edge: https needs a certificate source');
  }

  get httpPort(): number | undefined {
    return listeningPort(this.httpServer);
  }

  get httpsPort(): number | undefined {
    return listeningPort(this.httpsServer);
  }

  /** Exchanges in progress per name and per bridge user. */
  active(): ReturnType<ExchangeAdmission['active']> {
    return this.admission.active();
  }

  async start(): Promise<void> {
    const { http: httpListen, https: httpsListen } = this.options;
    try {
      if (httpListen) {
        this.httpServer = http.createServer(this.http1Options());
        this.wire(this.httpServer, 'http');
        await this.listen(this.httpServer, httpListen);
      }
      if (httpsListen) {
        this.httpsServer = this.createHttpsServer();
        this.wire(this.httpsServer, 'https');
        await this.listen(this.httpsServer, httpsListen);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const servers = [this.httpServer, this.httpsServer].filter((server) => server !== undefined);
    const closing = servers.map((server) => new Promise<void>((resolve) => {
      if (!server.listening) resolve();
      else server.close(() => resolve());
    }));
    for (const tunnel of this.tunnels) abortStream(tunnel, new Error('edge closed'));
    for (const socket of this.sockets) socket.destroy();
    this.upstreams.close();
    await Promise.all(closing);
  }

  private http1Options(): http.ServerOptions {
    const { limits } = this;
    return {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
      requireHostHeader: true,
      // Only WebSocket is relayed as an upgrade: `h2c` through a proxy is a known smuggling path.
      shouldUpgradeCallback: (req) => /^websocket$/i.test(req.headers.upgrade ?? ''),
    };
  }

  private createHttpsServer(): http.Server | http2.Http2SecureServer {
    const { certificates } = this.options;
    const { limits } = this;
    const tlsOptions: tls.TlsOptions = {
      handshakeTimeout: limits.tlsHandshakeTimeoutMs,
      minVersion: 'TLSv1.2',
      SNICallback: (servername, callback) => {
        const name = serverNameOf(servername) ?? '';
        // undefined: Node falls back to the server's own context (none: the handshake fails).
        callback(null, certificates?.contextFor(name) ?? certificates?.defaultContext());
      },
    };
    if (this.options.http2 === false) return https.createServer({ ...tlsOptions, ...this.http1Options() });
    return http2.createSecureServer({
      ...tlsOptions,
      ...this.http1Options(),
      allowHTTP1: true,
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
      maxSendHeaderBlockLength: limits.maxHeaderBytes * 4,
    });
  }

  private wire(server: http.Server | http2.Http2SecureServer, scheme: Scheme): void {
    const perAddress = new AddressConnections(this.limits.maxConnectionsPerAddress);
    server.on('connection', (socket: Socket) => {
      if (this.closed || !perAddress.admit(socket)) {
        this.options.log.summarised('debug', `edge:address-cap:${plainAddress(socket.remoteAddress ?? '')}`, `edge: too many connections from ${socket.remoteAddress ?? '?'}, closed`);
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    server.setTimeout(this.limits.idleTimeoutMs);
    server.on('request', (req: VisitorRequest, res: VisitorResponse) => this.onRequest(req, res, scheme));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket as Socket, head, scheme));
    server.on('clientError', (error: Error, socket: Duplex) => this.onClientError(error, socket));
    server.on('tlsClientError', (error: Error) => {
      this.options.log.summarised('debug', `edge:tls:${errorKindOf(error)}`, `edge: TLS handshake failed > ${error.message}`);
    });
    if (scheme === 'https' && this.options.http2 !== false) {
      (server as http2.Http2SecureServer).on('sessionError', () => undefined);
    }
  }

  private listen(server: http.Server | http2.Http2SecureServer, { host, port }: EdgeListen): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(new Error(`edge: cannot listen on ${host}:${port} > ${error.message}`, { cause: error }));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (error: Error) => this.options.log.error(`edge: listener ${host}:${port} failed > ${error.message}`));
        resolve();
      });
    });
  }

  /** Node's own answer to an unparsable or too slow request head, as an edge page. */
  private onClientError(error: Error, socket: Duplex): void {
    const code = (error as { code?: string }).code ?? '';
    this.options.log.summarised('debug', `edge:client:${code}`, `edge: bad request from visitor > ${error.message}`);
    const pending = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const status: EdgePageStatus = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    endWith(socket, rawEdgeResponse(status));
  }

  // ---- plain requests ----------------------------------------------------------------------

  private onRequest(req: VisitorRequest, res: VisitorResponse, scheme: Scheme): void {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const h2 = isHttp2(req);
    const socket = connectionSocket(req);
    const visitor: Visitor = { address: plainAddress(socket?.remoteAddress ?? ''), port: socket?.remotePort ?? 0, protocol: scheme };
    const url = req.url ?? '';

    if (scheme === 'http' && url.startsWith(ACME_CHALLENGE_PREFIX)) {
      this.answerChallenge(url.slice(ACME_CHALLENGE_PREFIX.length), res);
      return;
    }
    const host = (h2 ? req.headers[':authority'] : undefined) ?? req.headers.host ?? '';
    const hostname = hostnameOf(host);
    if (!hostname || !url.startsWith('/')) {
      this.page(res, 400);
      return;
    }
    if (req.method === 'CONNECT') {
      this.page(res, 405, hostname);
      return;
    }
    const exchange: Exchange = { req, res, http2: h2, visitor, host, hostname };
    const route = this.admit(exchange, socket, scheme, (status, headers) => this.page(res, status, hostname, headers));
    if (!route) return;
    const release = this.enter(route, (status, headers) => this.page(res, status, hostname, headers));
    if (!release) return;
    res.once('close', release);
    this.options.log.access({ from: `${visitor.address}:${visitor.port}`, status: 'accepted', to: `${scheme}://${hostname}`, route: 'edge' });
    this.relay(exchange, route, true);
  }

  /**
   * The gates every request and upgrade passes, in order: SNI agrees with Host (421), plain HTTP
   * goes to HTTPS where a certificate exists (308), the name is known (404), the visitor's address
   * is allowed (403), the credentials are right (401). undefined: answered already.
   */
  private admit(exchange: Pick<Exchange, 'req' | 'visitor' | 'hostname'>, socket: Socket | tls.TLSSocket | undefined,
    scheme: Scheme, answer: Answer): EdgeRoute | undefined {
    const { hostname, req, visitor } = exchange;
    if (scheme === 'https') {
      const sni = serverNameOf((socket as tls.TLSSocket | undefined)?.servername);
      if (sni !== undefined && sni !== hostname) {
        answer(421);
        return undefined;
      }
    } else if (this.options.https && this.options.certificates?.contextFor(hostname)) {
      const port = this.options.https.publicPort ?? this.httpsPort ?? 443;
      answer(308, { Location: `https://${hostname}${port === 443 ? '' : `:${port}`}${req.url ?? '/'}` });
      return undefined;
    }
    const route = this.options.routes.resolve(hostname);
    if (!route) {
      this.reject(visitor, hostname, 'unknown name');
      answer(404);
      return undefined;
    }
    const problem = accessProblem(route.access);
    if (problem && !this.warnedAccess.has(route.access)) {
      this.warnedAccess.add(route.access);
      this.options.log.error(`${problem} (${hostname} denies every visitor until it is fixed)`);
    }
    const verdict = checkAccess(route.access, visitor.address, req.headers.authorization);
    if (verdict === 'address-denied') {
      this.reject(visitor, hostname, 'address not allowed');
      answer(403);
      return undefined;
    }
    if (verdict === 'credentials-needed') {
      this.reject(visitor, hostname, 'credentials needed');
      answer(401, { 'WWW-Authenticate': basicChallenge(hostname) });
      return undefined;
    }
    return route;
  }

  private enter(route: EdgeRoute, refuse: Answer): (() => void) | undefined {
    const entered = this.admission.enter(route);
    if (typeof entered === 'function') return entered;
    this.options.log.summarised('warning', `edge:${entered}:${route.hostname}`, `edge: ${route.hostname} refused a visitor: ${entered === 'name-busy' ? 'too many exchanges for this name' : 'too many exchanges for its bridge'}`);
    refuse(503, { 'Retry-After': '1' });
    return undefined;
  }

  private reject(visitor: Visitor, hostname: string, reason: string): void {
    this.options.log.access({ from: `${visitor.address}:${visitor.port}`, status: 'rejected', to: `${visitor.protocol}://${hostname}`, route: 'edge', reason });
  }

  private answerChallenge(token: string, res: VisitorResponse): void {
    const answer = /^[A-Za-z0-9_-]+$/.test(token) ? this.options.challenges?.keyAuthorization(token) : undefined;
    if (answer === undefined) {
      this.page(res, 404);
      return;
    }
    respond(res, 200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(answer)), 'Cache-Control': 'no-store' }, answer);
  }

  private page(res: VisitorResponse, status: EdgePageStatus, hostname?: string, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    const body = edgePage(status, hostname);
    respond(res, status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
      ...headers,
    }, body);
  }

  /** The visitor's response cut short: a reset (HTTP/1) or RST_STREAM (HTTP/2), never a clean end. */
  private abortVisitor(exchange: Exchange): void {
    if (isHttp2(exchange.req)) {
      const stream = (exchange.res as http2.Http2ServerResponse).stream;
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    if (exchange.req.socket) abortStream(exchange.req.socket, new Error('service response cut short'));
  }

  /**
   * Sends the request to the service and its answer back. A bodiless request that failed on a
   * pooled stream before any answer (the service closed it as we reused it) is tried once more.
   */
  private relay(exchange: Exchange, route: EdgeRoute, mayRetry: boolean): void {
    const { req, res, visitor, host, hostname } = exchange;
    const headers = requestHeadersForService(pairsFromRaw(req.rawHeaders), { visitor, host, edgeAuthorization: route.access.basicAuth !== undefined });
    const hasBody = isHttp2(req)
      ? !req.stream.endAfterHeaders
      : req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    // A body of unknown length (chunked, or HTTP/2 without content-length) goes on chunked.
    const chunked = hasBody && req.headers['content-length'] === undefined;
    const connection = this.upstreams.acquire(route, visitor);
    const reused = connection.uses > 0;
    let answered = false;
    let done = false;

    const timer = setTimeout(() => {
      this.options.log.summarised('info', `edge:timeout:${hostname}`, `edge: ${hostname} did not answer within ${this.limits.upstreamHeadersTimeoutMs} ms`);
      finish();
      connection.abort(new Error('service timeout'));
      this.page(res, 504, hostname);
    }, this.limits.upstreamHeadersTimeoutMs);
    const finish = () => {
      done = true;
      clearTimeout(timer);
      res.off('close', visitorLeft);
    };
    const visitorLeft = () => {
      if (done || res.writableFinished) return;
      finish();
      connection.abort(new Error('visitor left'));
    };
    res.once('close', visitorLeft);

    connection.send({ method: req.method ?? 'GET', path: req.url ?? '/', headers }, chunked, {
      head: (status, reason, fields) => {
        answered = true;
        clearTimeout(timer);
        const pairs = responseHeadersForVisitor(fields);
        try {
          if (res instanceof http.ServerResponse) res.writeHead(status, reason, pairs.flat());
          else res.writeHead(status, http2Headers(pairs));
        } catch (error) {
          this.options.log.summarised('info', `edge:bad-response:${hostname}`, `edge: ${hostname} sent a response the visitor cannot take > ${(error as Error).message}`);
          finish();
          connection.abort(error as Error);
          this.page(res, 502, hostname);
        }
      },
      body: (data) => {
        if (done) return true;
        const room = (res as http.ServerResponse).write(data);
        if (!room) res.once('drain', () => connection.resumeBody());
        return room;
      },
      end: () => {
        if (done) return;
        finish();
        res.end();
      },
      fail: (error, received) => {
        if (done) return;
        finish();
        if (answered || res.headersSent) {
          // A response cut short must not read as complete.
          this.abortVisitor(exchange);
          return;
        }
        if (mayRetry && reused && !received && !hasBody) {
          // The service closed the kept-alive stream as we reused it: once more on a fresh one.
          this.relay(exchange, route, false);
          return;
        }
        this.options.log.summarised('info', `edge:upstream:${hostname}:${errorKindOf(error)}`, `edge: ${hostname} unreachable > ${error.message}`);
        this.page(res, 502, hostname);
      },
    });

    if (!hasBody) return;
    req.on('data', (chunk: Buffer) => {
      if (!connection.writeBody(chunk, chunked)) {
        req.pause();
        connection.stream.once('drain', () => req.resume());
      }
    });
    req.once('end', () => connection.endBody(chunked));
  }

  // ---- upgrades (WebSocket) ----------------------------------------------------------------

  private onUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer, scheme: Scheme): void {
    socket.pause();
    socket.setTimeout(0);
    socket.on('error', () => undefined);
    const visitor: Visitor = { address: plainAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0, protocol: scheme };
    const host = req.headers.host ?? '';
    const hostname = hostnameOf(host);
    const answer = (status: EdgePageStatus, headers?: Record<string, string>) => {
      endWith(socket, rawEdgeResponse(status, headers, hostname));
    };
    if (!hostname || !req.url?.startsWith('/')) {
      answer(400);
      return;
    }
    const route = this.admit({ req, visitor, hostname }, socket, scheme, answer);
    if (!route) return;
    const release = this.enter(route, answer);
    if (!release) return;
    this.options.log.access({ from: `${visitor.address}:${visitor.port}`, status: 'accepted', to: `${scheme}://${hostname}`, route: 'edge' });

    const upstream = route.open(visitor);
    this.tunnels.add(upstream);
    const pairs = requestHeadersForService(pairsFromRaw(req.rawHeaders), { visitor, host, edgeAuthorization: route.access.basicAuth !== undefined }, true);
    const requestHead = `${req.method ?? 'GET'} ${req.url} HTTP/1.1\r\n${pairs.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
    upstream.write(requestHead, 'latin1');
    if (head.length > 0) upstream.write(head);

    // Until the service says something, a failure is still the edge's to explain (502, 504).
    const beforeAnswer = (status: EdgePageStatus) => () => {
      cleanup();
      abortStream(upstream, new Error('no answer'));
      answer(status);
    };
    const failed = beforeAnswer(502);
    const timer = setTimeout(beforeAnswer(504), this.limits.upstreamHeadersTimeoutMs);
    const visitorLeft = () => {
      cleanup();
      abortStream(upstream, new Error('visitor left'));
    };
    const cleanup = () => {
      clearTimeout(timer);
      upstream.off('error', failed);
      upstream.off('close', failed);
      upstream.off('readable', firstBytes);
      socket.off('close', visitorLeft);
    };
    const firstBytes = () => {
      cleanup();
      void pumpBoth(socket, upstream).then(() => {
        this.tunnels.delete(upstream);
        release();
      });
      socket.resume();
    };
    upstream.once('error', failed);
    upstream.once('close', failed);
    upstream.once('readable', firstBytes);
    socket.once('close', visitorLeft);
    upstream.once('close', () => {
      this.tunnels.delete(upstream);
      release();
    });
  }
}
