/**
 * The portal's public edge: one HTTP and one HTTPS listener shared by every exposure, routing
 * each request by its `Host` (HTTPS: SNI, which must agree with `Host`) to the exposure holding
 * that name, and relaying it to the exposure's service as HTTP/1.x over `route.open`'s stream.
 *
 * HTTP/1.x visitors are relayed connection by connection (http1-relay.ts): each request's head is
 * read and rewritten, bodies and answers pass through as bytes, as on the raw exposure port.
 * HTTPS offers HTTP/2 by ALPN; an HTTP/2 session goes to Node's HTTP/2 server, whose requests are
 * relayed one by one over pooled streams (upstream-connections.ts). An unknown name, a refused
 * visitor or a dead service gets a small page of the edge's own (edge-pages.ts) that names nothing else.
 *
 * One visitor's slowness costs only its own sockets: everything is event-driven and bounded by
 * the limits in edge-limits.ts (header size and time, idle time, connections per address,
 * exchanges per name and per bridge user), and the pumps respect backpressure. A response cut
 * short by the service is cut short for the visitor too (reset, or RST_STREAM on HTTP/2), never
 * ended as if complete.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { ComponentLogger } from '../../features/log.js';
import { errorKindOf } from '../../features/log.js';
import { abortStream } from '../../transport/abort.js';
import type { CertificateSource, HttpChallengeResponder } from './certificate-source.js';
import { accessProblem, basicChallenge, checkAccess, plainAddress } from './edge-access.js';
import { AddressConnections, ExchangeAdmission } from './edge-admission.js';
import { resolveEdgeLimits, type EdgeLimits } from './edge-limits.js';
import { edgePage } from './edge-pages.js';
import { pairsFromRaw, requestHeadersForService, responseHeadersForVisitor, type HeaderPairs } from './forwarded-headers.js';
import { hostnameOf, serverNameOf } from './host-name.js';
import { Http1Relay, type EdgeAnswer, type GateRequest, type RelayGates } from './http1-relay.js';
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

type VisitorRequest = http.IncomingMessage | http2.Http2ServerRequest;
type VisitorResponse = http.ServerResponse | http2.Http2ServerResponse;
type Scheme = Visitor['protocol'];
type Listener = net.Server | tls.Server;

function isAnswer(value: EdgeRoute | EdgeAnswer): value is EdgeAnswer {
  return 'status' in value;
}

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

function listeningPort(server: Listener | undefined): number | undefined {
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

/** The ACME HTTP-01 answer as a whole response (the connection closes after it). */
function challengeResponse(keyAuthorization: string): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(keyAuthorization)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${keyAuthorization}`;
}

export class EdgeServer {
  private readonly limits: EdgeLimits;
  private readonly admission: ExchangeAdmission;
  private readonly upstreams: UpstreamConnections;
  private readonly sockets = new Set<Socket>();
  private readonly tunnels = new Set<Duplex>();
  private readonly warnedAccess = new WeakSet<object>();
  private httpServer?: net.Server;
  private httpsServer?: tls.Server;
  /** HTTP/2 sessions that HTTPS visitors chose by ALPN. */
  private http2Server?: http2.Http2Server;
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
        const server = net.createServer();
        this.httpServer = server;
        this.wire(server, 'http');
        server.on('connection', (socket: Socket) => this.onVisitor(socket, 'http'));
        await this.listen(server, httpListen);
      }
      if (httpsListen) {
        const server = this.createHttpsServer();
        this.httpsServer = server;
        this.wire(server, 'https');
        server.on('secureConnection', (socket: tls.TLSSocket) => this.onSecureVisitor(socket));
        server.on('tlsClientError', (error: Error) => {
          this.options.log.summarised('debug', `edge:tls:${errorKindOf(error)}`, `edge: TLS handshake failed > ${error.message}`);
        });
        await this.listen(server, httpsListen);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const servers = [this.httpServer, this.httpsServer].filter((server) => server !== undefined);
    this.http2Server?.close();
    const closing = servers.map((server) => new Promise<void>((resolve) => {
      if (!server.listening) resolve();
      else server.close(() => resolve());
    }));
    for (const tunnel of this.tunnels) abortStream(tunnel, new Error('edge closed'));
    for (const socket of this.sockets) socket.destroy();
    this.upstreams.close();
    await Promise.all(closing);
  }

  private createHttpsServer(): tls.Server {
    const { certificates } = this.options;
    return tls.createServer({
      handshakeTimeout: this.limits.tlsHandshakeTimeoutMs,
      minVersion: 'TLSv1.2',
      ALPNProtocols: this.options.http2 === false ? ['http/1.1'] : ['h2', 'http/1.1'],
      SNICallback: (servername, callback) => {
        const name = serverNameOf(servername) ?? '';
        // undefined: Node falls back to the server's own context (none: the handshake fails).
        callback(null, certificates?.contextFor(name) ?? certificates?.defaultContext());
      },
    });
  }

  /** Node's HTTP/2 server, made at the first session (it speaks over the TLS socket the edge hands it). */
  private http2Sessions(): http2.Http2Server {
    if (this.http2Server) return this.http2Server;
    const { limits } = this;
    const server = http2.createServer({
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
      maxSendHeaderBlockLength: limits.maxHeaderBytes * 4,
    });
    server.setTimeout(limits.idleTimeoutMs);
    server.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => this.onRequest(req, res, 'https'));
    server.on('sessionError', () => undefined);
    this.http2Server = server;
    return server;
  }

  /** Every visitor connection, before anything is read: the per-address cap, and tracking for close(). */
  private wire(server: Listener, scheme: Scheme): void {
    const perAddress = new AddressConnections(this.limits.maxConnectionsPerAddress);
    server.on('connection', (socket: Socket) => {
      if (this.closed || !perAddress.admit(socket)) {
        this.options.log.summarised('debug', `edge:address-cap:${scheme}:${plainAddress(socket.remoteAddress ?? '')}`, `edge: too many connections from ${socket.remoteAddress ?? '?'}, closed`);
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    });
  }

  private onVisitor(socket: Socket | tls.TLSSocket, scheme: Scheme): void {
    if (socket.destroyed) return;
    const visitor: Visitor = { address: plainAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0, protocol: scheme };
    new Http1Relay(socket, visitor, this.limits, this.gates(scheme), this.tunnels);
  }

  private onSecureVisitor(socket: tls.TLSSocket): void {
    socket.on('error', () => undefined);
    if (socket.alpnProtocol === 'h2') {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.http2Sessions().emit('connection', socket);
      return;
    }
    this.onVisitor(socket, 'https');
  }

  private readonly gatesByScheme = new Map<Scheme, RelayGates>();

  /** What the HTTP/1 relay asks of the edge, for visitors of `scheme`. */
  private gates(scheme: Scheme): RelayGates {
    let gates = this.gatesByScheme.get(scheme);
    if (gates) return gates;
    gates = {
      admit: (request, visitor, socket) => this.gate(request, visitor, socket, scheme),
      enter: (route) => {
        const entered = this.enter(route);
        return typeof entered === 'function' ? entered : { status: 503, headers: { 'Retry-After': '1' }, hostname: route.hostname };
      },
      problem: (hostname, kind, detail) => {
        this.options.log.summarised('info', `edge:${kind}:${hostname}`, `edge: ${hostname} ${kind === 'timeout' ? detail : `unreachable > ${detail}`}`);
      },
    };
    this.gatesByScheme.set(scheme, gates);
    return gates;
  }

  private listen(server: Listener, { host, port }: EdgeListen): Promise<void> {
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

  // ---- HTTP/2 requests --------------------------------------------------------------------

  private onRequest(req: VisitorRequest, res: VisitorResponse, scheme: Scheme): void {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const socket = connectionSocket(req);
    const visitor: Visitor = { address: plainAddress(socket?.remoteAddress ?? ''), port: socket?.remotePort ?? 0, protocol: scheme };
    const host = (isHttp2(req) ? req.headers[':authority'] : undefined) ?? req.headers.host ?? '';
    const verdict = this.gate({ method: req.method ?? 'GET', target: req.url ?? '', host, authorization: req.headers.authorization }, visitor, socket, scheme);
    if (isAnswer(verdict)) {
      this.page(res, verdict);
      return;
    }
    const entered = this.enter(verdict);
    if (typeof entered !== 'function') {
      this.page(res, { status: 503, headers: { 'Retry-After': '1' }, hostname: verdict.hostname });
      return;
    }
    res.once('close', entered);
    this.relay({ req, res, http2: isHttp2(req), visitor, host, hostname: verdict.hostname }, verdict, true);
  }

  /**
   * The gates every request passes, in order: the ACME challenge (plain HTTP, any name), a usable
   * Host and path (400), no CONNECT (405), SNI agrees with Host (421), plain HTTP goes to HTTPS
   * where a certificate exists (308), the name is known (404), the visitor's address is allowed
   * (403), the credentials are right (401). Returns the route, or the answer.
   */
  private gate(request: GateRequest, visitor: Visitor, socket: Socket | tls.TLSSocket | undefined, scheme: Scheme): EdgeRoute | EdgeAnswer {
    const { target } = request;
    if (scheme === 'http' && target.startsWith(ACME_CHALLENGE_PREFIX)) {
      const token = target.slice(ACME_CHALLENGE_PREFIX.length);
      const answer = /^[A-Za-z0-9_-]+$/.test(token) ? this.options.challenges?.keyAuthorization(token) : undefined;
      return answer === undefined ? { status: 404 } : { status: 404, raw: challengeResponse(answer) };
    }
    const hostname = hostnameOf(request.host);
    if (!hostname || !target.startsWith('/')) return { status: 400 };
    if (request.method === 'CONNECT') return { status: 405, hostname };
    if (scheme === 'https') {
      const sni = serverNameOf((socket as tls.TLSSocket | undefined)?.servername);
      if (sni !== undefined && sni !== hostname) return { status: 421, hostname };
    } else if (this.options.https && this.options.certificates?.contextFor(hostname)) {
      const port = this.options.https.publicPort ?? this.httpsPort ?? 443;
      return { status: 308, hostname, headers: { Location: `https://${hostname}${port === 443 ? '' : `:${port}`}${target}` } };
    }
    const route = this.options.routes.resolve(hostname);
    if (!route) {
      this.reject(visitor, hostname, 'unknown name');
      return { status: 404, hostname };
    }
    const problem = accessProblem(route.access);
    if (problem && !this.warnedAccess.has(route.access)) {
      this.warnedAccess.add(route.access);
      this.options.log.error(`${problem} (${hostname} denies every visitor until it is fixed)`);
    }
    const verdict = checkAccess(route.access, visitor.address, request.authorization);
    if (verdict === 'address-denied') {
      this.reject(visitor, hostname, 'address not allowed');
      return { status: 403, hostname };
    }
    if (verdict === 'credentials-needed') {
      this.reject(visitor, hostname, 'credentials needed');
      return { status: 401, hostname, headers: { 'WWW-Authenticate': basicChallenge(hostname) } };
    }
    this.options.log.access({ from: `${visitor.address}:${visitor.port}`, status: 'accepted', to: `${scheme}://${hostname}`, route: 'edge' });
    return route;
  }

  private enter(route: EdgeRoute): (() => void) | undefined {
    const entered = this.admission.enter(route);
    if (typeof entered === 'function') return entered;
    this.options.log.summarised('warning', `edge:${entered}:${route.hostname}`, `edge: ${route.hostname} refused a visitor: ${entered === 'name-busy' ? 'too many exchanges for this name' : 'too many exchanges for its bridge'}`);
    return undefined;
  }

  private reject(visitor: Visitor, hostname: string, reason: string): void {
    this.options.log.access({ from: `${visitor.address}:${visitor.port}`, status: 'rejected', to: `${visitor.protocol}://${hostname}`, route: 'edge', reason });
  }

  private page(res: VisitorResponse, answer: EdgeAnswer): void {
    if (res.headersSent) return;
    const body = edgePage(answer.status, answer.hostname);
    respond(res, answer.status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
      ...answer.headers,
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
      this.page(res, { status: 504, hostname });
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
          this.page(res, { status: 502, hostname });
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
        this.page(res, { status: 502, hostname });
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
}
