/**
 * One HTTP/1.x visitor connection relayed to its exposure's service over one stream, as the raw
 * exposure port relays a TCP connection: the edge reads each request's head (to route, check
 * access and say who the visitor is), writes it anew with the forwarding headers, and passes the
 * body and every byte of the answers through untouched. The answers are still parsed as they pass
 * (framing only, no copies) so the edge knows where each one ends: that is what lets it answer
 * with a page of its own at the right moment (502, 504, 421) without mixing bytes, tell a clean
 * end from a response cut short (reset, never a FIN that reads as complete), and go on after a
 * WebSocket's 101 as a plain tunnel.
 *
 * Routing is per connection, as browsers use HTTP/1.1 connections per origin: a later request
 * for another name gets 421 once the answers before it are complete. The stream to the service
 * is opened at the first request and opened again when the service closes it between requests,
 * so the service's short keep-alive never reaches the visitor (a bodiless request it closed under
 * is sent once more).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { abortStream } from '../../transport/abort.js';
import { HttpMessageParser, HttpParseError, type HeadOutcome, type MessageHead } from '../../common/http-parser.js';
import type { EdgeLimits } from './edge-limits.js';
import { rawEdgeResponse, type EdgePageStatus } from './edge-pages.js';
import { requestHeadersForService } from './forwarded-headers.js';
import type { EdgeRoute, Visitor } from './routes.js';

/** A page of the edge's own instead of the service's answer. */
export interface EdgeAnswer {
  readonly status: EdgePageStatus;
  readonly headers?: Readonly<Record<string, string>>;
  /** The name the visitor asked for, shown on the page. */
  readonly hostname?: string;
  /** A whole response text instead of a page (the ACME challenge's answer). */
  readonly raw?: string;
}

/** One request as the gates see it. */
export interface GateRequest {
  readonly method: string;
  readonly target: string;
  /** The Host header as sent (with its port). */
  readonly host: string;
  readonly authorization: string | undefined;
}

/** What the relay asks of the edge: the same gates for every kind of visitor connection. */
export interface RelayGates {
  /** The route for a request, or the page that answers it. */
  admit(request: GateRequest, visitor: Visitor, socket: Socket | TLSSocket): EdgeRoute | EdgeAnswer;
  /** Room for one more stream to `route`'s service: its release, or the page that refuses. */
  enter(route: EdgeRoute): (() => void) | EdgeAnswer;
  /** A failure worth a line in the log (summarised by the caller). */
  problem(hostname: string, kind: 'timeout' | 'unreachable' | 'bad-response', detail: string): void;
}

const WEBSOCKET = /^websocket$/i;

type Deadline = 'head' | 'request' | 'answer' | 'keepAlive';

function isAnswer(value: unknown): value is EdgeAnswer {
  return typeof value === 'object' && value !== null && 'status' in value;
}

function fieldOf(head: MessageHead, lowerName: string): string | undefined {
  for (const [name, value] of head.headers) if (name.length === lowerName.length && name.toLowerCase() === lowerName) return value;
  return undefined;
}

function wantsClose(head: MessageHead): boolean {
  const connection = fieldOf(head, 'connection');
  if (connection !== undefined && /(?:^|,)\s*close\s*(?:,|$)/i.test(connection)) return true;
  return head.version === '1.0' && !(connection !== undefined && /(?:^|,)\s*keep-alive\s*(?:,|$)/i.test(connection));
}

/** A request sent to the service, whose answer has not ended yet. */
interface Outstanding {
  readonly method: string;
  readonly upgrade: boolean;
  /** Its head as sent, for the one retry of a bodiless request. */
  readonly head: string | undefined;
}

export class Http1Relay {
  private readonly requests: HttpMessageParser;
  /** Reads the answers' framing as they pass; a new one for each stream to the service. */
  private responses: HttpMessageParser;
  private route: EdgeRoute | undefined;
  private upstream: Duplex | undefined;
  private release: (() => void) | undefined;
  /** Answers the current stream has completed (a reused stream may have been closed under us). */
  private answeredOnStream = 0;
  private readonly outstanding: Outstanding[] = [];
  /** An interim (1xx) answer is being read: it does not end the request's exchange. */
  private interim = false;
  /** The request being read forwards its body (false: refused, its body is read and dropped). */
  private forwarding = false;
  private chunkedBody = false;
  /** A page to send once every answer before it has ended; then the connection closes. */
  private deferred: EdgeAnswer | undefined;
  /** No more requests are read (a page is due, or the visitor sent its last). */
  private stopped = false;
  private tunnel = false;
  /** The request being read said `Connection: close` (or is HTTP/1.0): the last one. */
  private lastRequest = false;
  /** Request bytes after an upgrade request, held until its answer says what they are. */
  private held: Buffer[] = [];
  /**
   * When each limit runs out (Date.now() ms; 0: not running). One timer per connection serves them
   * all, re-armed only when it fires: a request moves numbers, never timers.
   */
  private readonly due: Record<Deadline, number> = { head: 0, request: 0, answer: 0, keepAlive: 0 };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  /** Idle check: the bytes moved either way when last looked, and since when they have not changed. */
  private movedBytes = -1;
  private stillSince = 0;
  private finished = false;

  constructor(
    private readonly socket: Socket | TLSSocket,
    private readonly visitor: Visitor,
    private readonly limits: EdgeLimits,
    private readonly gates: RelayGates,
    /** Streams and sockets the edge closes on its own close. */
    private readonly tunnels: Set<Duplex>,
  ) {
    this.requests = new HttpMessageParser('request', {
      head: (head) => this.onRequestHead(head),
      body: (data, start, end) => this.onRequestBody(data, start, end),
      end: () => this.onRequestEnd(),
    }, { maxHeadBytes: limits.maxHeaderBytes });
    this.responses = this.answerParser();
    socket.on('data', (chunk: Buffer) => this.onVisitorData(chunk));
    socket.on('end', () => this.onVisitorEnd());
    socket.on('close', () => this.onVisitorClose());
    socket.on('error', () => undefined);
    this.stillSince = Date.now();
    this.armIdle();
    if (limits.idleTimeoutMs > 0) this.wakeBy(this.stillSince + limits.idleTimeoutMs);
  }

  // ---- visitor → service -------------------------------------------------------------------

  private onVisitorData(chunk: Buffer): void {
    this.clearIdle();
    if (this.tunnel) {
      this.toService(chunk);
      return;
    }
    if (this.stopped) return;
    if (this.requests.paused) {
      this.held.push(chunk);
      return;
    }
    const startedHead = !this.requests.readingHead && this.requests.idle;
    let used: number;
    try {
      used = this.requests.execute(chunk);
    } catch (error) {
      // Mid-body, the service already has part of the request: only a reset is honest.
      if (this.forwarding) this.abort();
      else this.refuse({ status: error instanceof HttpParseError && error.headTooLarge ? 431 : 400 });
      return;
    }
    if (used < chunk.length) this.held.push(chunk.subarray(used));
    if (this.requests.readingHead) {
      if (startedHead || this.due.head === 0) this.armHeadTimers();
    } else {
      this.due.head = 0;
    }
    if (this.requests.idle && this.outstanding.length === 0 && !this.stopped) this.armIdle();
  }

  private armHeadTimers(): void {
    if (this.due.head === 0) this.arm('head', this.limits.headersTimeoutMs);
    this.armRequestTimer();
  }

  private armRequestTimer(): void {
    if (this.due.request === 0) this.arm('request', this.limits.requestTimeoutMs);
  }

  /** The visitor took too long over a request: 408, or a reset once part of it went on. */
  private tooSlow(): void {
    if (this.forwarding) this.abort();
    else this.refuse({ status: 408 });
  }

  private onRequestHead(head: MessageHead): HeadOutcome {
    this.due.head = 0;
    // A head whose first bytes came with the previous request's last ones: time it from here.
    this.armRequestTimer();
    this.forwarding = false;
    if (this.stopped) return 'framed';
    const method = head.method ?? 'GET';
    const target = head.target ?? '';
    const host = fieldOf(head, 'host') ?? '';
    const verdict = this.gates.admit({ method, target, host, authorization: fieldOf(head, 'authorization') }, this.visitor, this.socket);
    if (isAnswer(verdict)) {
      this.refuse(verdict);
      return 'framed';
    }
    if (this.upstream && verdict !== this.route) {
      // Another name on this connection (a CDN's pool to the portal does that): between answers
      // the stream moves to its service; with answers still due, it would mix, so 421.
      if (this.outstanding.length > 0) {
        this.refuse({ status: 421, hostname: verdict.hostname });
        return 'framed';
      }
      this.upstream.end();
      this.dropUpstream();
      this.resetAnswers();
    }
    if (!this.upstream && !this.openUpstream(verdict)) return 'framed';
    const upgrade = WEBSOCKET.test(fieldOf(head, 'upgrade') ?? '');
    const close = wantsClose(head);
    const pairs = requestHeadersForService(head.headers, {
      visitor: this.visitor, host, edgeAuthorization: verdict.access.basicAuth !== undefined,
    }, upgrade, { keepExpect: true });
    if (close && !upgrade) pairs.push(['Connection', 'close']);
    // Hop-by-hop, so dropped above; the body goes on chunked as it came (re-framed, same bytes).
    this.chunkedBody = fieldOf(head, 'transfer-encoding') !== undefined;
    if (this.chunkedBody) pairs.push(['Transfer-Encoding', 'chunked']);
    let text = `${method} ${target} HTTP/${head.version}\r\n`;
    for (const [name, value] of pairs) text += `${name}: ${value}\r\n`;
    text += '\r\n';
    const bodiless = !this.chunkedBody && (fieldOf(head, 'content-length') ?? '0') === '0';
    this.outstanding.push({ method, upgrade, head: bodiless && !upgrade ? text : undefined });
    if (this.outstanding.length === 1) this.armAnswerTimer();
    this.forwarding = true;
    this.toService(Buffer.from(text, 'latin1'));
    // Its body still comes; requests after it are not read.
    this.lastRequest = close;
    return upgrade ? 'pause-after' : 'framed';
  }

  private onRequestBody(data: Buffer, start: number, end: number): void {
    if (!this.forwarding || start === end) return;
    if (this.chunkedBody) {
      this.toService(Buffer.from(`${(end - start).toString(16)}\r\n`, 'latin1'));
      this.toService(data.subarray(start, end));
      this.toService(Buffer.from('\r\n', 'latin1'));
    } else {
      this.toService(data.subarray(start, end));
    }
  }

  private onRequestEnd(): void {
    this.due.request = 0;
    if (this.forwarding && this.chunkedBody) this.toService(Buffer.from('0\r\n\r\n', 'latin1'));
    this.forwarding = false;
    this.chunkedBody = false;
    if (this.lastRequest) this.stopped = true;
  }

  private toService(data: Buffer): void {
    const upstream = this.upstream;
    if (!upstream || upstream.destroyed) return;
    if (!upstream.write(data) && !this.socket.isPaused()) {
      this.socket.pause();
      upstream.once('drain', () => this.socket.resume());
    }
  }

  private onVisitorEnd(): void {
    this.stopped = true;
    if (this.tunnel) {
      if (this.upstream && !this.upstream.destroyed) this.upstream.end();
      return;
    }
    // Requests are whole messages: the answers still due are awaited, then the connection closes.
    if (this.outstanding.length === 0) this.finish(false);
  }

  private onVisitorClose(): void {
    if (this.finished) return;
    // Gone before its answers ended: the service's side is cut short too.
    this.finished = true;
    this.clearAllTimers();
    if (this.upstream) abortStream(this.upstream, new Error('visitor left'));
    this.dropUpstream();
  }

  // ---- the stream to the service -----------------------------------------------------------

  private openUpstream(route: EdgeRoute): boolean {
    const entered = this.gates.enter(route);
    if (isAnswer(entered)) {
      this.refuse(entered);
      return false;
    }
    this.route = route;
    this.release = entered;
    const upstream = route.open(this.visitor);
    this.upstream = upstream;
    this.answeredOnStream = 0;
    this.tunnels.add(upstream);
    upstream.on('data', (chunk: Buffer) => this.onServiceData(upstream, chunk));
    upstream.on('end', () => this.onServiceEnd(upstream));
    upstream.on('error', (error: Error) => this.onServiceFailed(upstream, error));
    upstream.on('close', () => this.onServiceFailed(upstream, new Error('stream closed')));
    return true;
  }

  /** Forgets the current stream (already ended or aborted). */
  private dropUpstream(): void {
    if (this.upstream) this.tunnels.delete(this.upstream);
    this.upstream = undefined;
    this.release?.();
    this.release = undefined;
  }

  private onServiceData(upstream: Duplex, chunk: Buffer): void {
    if (upstream !== this.upstream || this.finished) return;
    if (!this.tunnel) {
      const started = this.answerStarted;
      if (this.outstanding.length === 0) {
        // Bytes nobody asked for: not HTTP the edge can relay.
        this.serviceBroke(upstream, 'an answer without a request', started);
        return;
      }
      try {
        this.responses.execute(chunk);
      } catch (error) {
        this.serviceBroke(upstream, (error as Error).message, started);
        return;
      }
    }
    if (!this.socket.write(chunk)) {
      upstream.pause();
      this.socket.once('drain', () => upstream.resume());
    }
    this.afterAnswers();
  }

  private onAnswerHead(head: MessageHead): HeadOutcome {
    this.due.answer = 0;
    const status = head.status ?? 0;
    const request = this.outstanding[0];
    if (status === 101) {
      if (!request?.upgrade) throw new HttpParseError('101 Switching Protocols to a request that did not ask to upgrade');
      this.startTunnel();
      return 'tunnel';
    }
    if (status < 200) {
      this.interim = true;
      return 'no-body';
    }
    // The service ends its connection after this answer: so does the edge, as the visitor was told.
    if (wantsClose(head)) this.stopped = true;
    if (request?.upgrade) {
      // Upgrade declined: the request side reads HTTP again.
      this.requests.resume();
      queueMicrotask(() => this.replayHeld());
    }
    return request?.method === 'HEAD' || status === 204 || status === 304 ? 'no-body' : 'framed';
  }

  private onAnswerEnd(): void {
    if (this.interim) {
      this.interim = false;
      this.armAnswerTimer();
      return;
    }
    this.outstanding.shift();
    this.answeredOnStream += 1;
    if (this.outstanding.length > 0) this.armAnswerTimer();
  }

  /** After a chunk went to the visitor: a page waiting for the answers before it, or idling again. */
  private afterAnswers(): void {
    if (this.outstanding.length > 0 || this.tunnel) return;
    if (this.deferred) {
      this.sendPage(this.deferred);
      return;
    }
    if (this.stopped) {
      this.finish(false);
      return;
    }
    if (this.requests.idle) this.armIdle();
  }

  private startTunnel(): void {
    this.tunnel = true;
    this.outstanding.length = 0;
    this.clearAllTimers();
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.toService(chunk);
  }

  private replayHeld(): void {
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.onVisitorData(chunk);
  }

  private onServiceEnd(upstream: Duplex): void {
    if (upstream !== this.upstream || this.finished) return;
    if (this.tunnel) {
      this.dropUpstream();
      this.socket.end();
      return;
    }
    const started = this.answerStarted;
    const due = this.outstanding.length;
    // finish() completes an answer read until close (its end event runs).
    const clean = this.responses.finish();
    if (clean && this.outstanding.length < due) {
      this.dropUpstream();
      this.resetAnswers();
      this.finish(false);
      return;
    }
    if (clean && due === 0) {
      // Closed between answers (the service's keep-alive ran out): the next request opens another.
      this.dropUpstream();
      this.resetAnswers();
      if (this.stopped || this.deferred) this.afterAnswers();
      return;
    }
    this.serviceBroke(upstream, started ? 'closed the stream before its answer ended' : 'closed the stream without answering', started);
  }

  private onServiceFailed(upstream: Duplex, error: Error): void {
    if (upstream !== this.upstream || this.finished) return;
    const started = this.answerStarted;
    if (this.outstanding.length === 0 && !this.tunnel && !started) {
      this.dropUpstream();
      this.resetAnswers();
      if (this.stopped || this.deferred) this.afterAnswers();
      return;
    }
    this.serviceBroke(upstream, error.message, started);
  }

  /**
   * The stream failed or spoke no HTTP: before any byte of the answer, a bodiless request on a
   * reused stream is sent once more and any other gets 502; after, the visitor's answer is cut short.
   */
  private serviceBroke(upstream: Duplex, detail: string, answerStarted: boolean): void {
    abortStream(upstream, new Error(detail));
    const route = this.route;
    this.dropUpstream();
    const first = this.outstanding[0];
    if (!answerStarted && !this.tunnel && route && first) {
      if (first.head !== undefined && this.outstanding.length === 1 && this.answeredOnStream > 0 && !this.forwarding) {
        this.resetAnswers();
        if (this.openUpstream(route)) {
          this.outstanding.push(first);
          this.armAnswerTimer();
          this.toService(Buffer.from(first.head, 'latin1'));
        }
        return;
      }
      this.gates.problem(route.hostname, 'unreachable', detail);
      this.sendPage({ status: 502, hostname: route.hostname });
      return;
    }
    if (route) this.gates.problem(route.hostname, 'bad-response', detail);
    this.abort();
  }

  /** Part of an answer went to the visitor (its head, or part of it). */
  private get answerStarted(): boolean {
    return !this.responses.idle;
  }

  private answerParser(): HttpMessageParser {
    return new HttpMessageParser('response', {
      head: (head) => this.onAnswerHead(head),
      body: () => undefined,
      end: () => this.onAnswerEnd(),
    });
  }

  private resetAnswers(): void {
    this.outstanding.length = 0;
    this.interim = false;
    this.due.answer = 0;
    // finish() leaves a parser failed: the next stream's answers start afresh.
    this.responses = this.answerParser();
  }

  private armAnswerTimer(): void {
    this.arm('answer', this.limits.upstreamHeadersTimeoutMs);
  }

  private answerTimedOut(): void {
    const route = this.route;
    if (route) this.gates.problem(route.hostname, 'timeout', `did not answer within ${this.limits.upstreamHeadersTimeoutMs} ms`);
    const started = this.answerStarted;
    if (this.upstream) abortStream(this.upstream, new Error('service timeout'));
    this.dropUpstream();
    if (started) this.abort();
    else this.sendPage({ status: 504, ...(route ? { hostname: route.hostname } : {}) });
  }

  // ---- the edge's own answers --------------------------------------------------------------

  /** No more requests: `answer` goes out once the answers before it have ended, then the connection closes. */
  private refuse(answer: EdgeAnswer): void {
    this.forwarding = false;
    if (this.stopped && this.deferred) return;
    this.stopped = true;
    this.due.head = 0;
    this.due.request = 0;
    this.deferred = answer;
    // With answers still due, the page waits for them; the service is not sent an end meanwhile
    // (an HTTP server may take a half-close for an abort and drop the answer).
    if (this.outstanding.length === 0) this.sendPage(answer);
  }

  private sendPage(answer: EdgeAnswer): void {
    if (this.finished) return;
    this.deferred = undefined;
    this.stopped = true;
    this.socket.write(answer.raw ?? rawEdgeResponse(answer.status, answer.headers, answer.hostname), 'latin1');
    this.finish(true);
  }

  /** Ends the visitor's connection cleanly (everything it was sent is whole). */
  private finish(afterPage: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.clearAllTimers();
    if (this.upstream) {
      if (this.outstanding.length > 0 || this.tunnel) abortStream(this.upstream, new Error('visitor connection closed'));
      else this.upstream.end();
    }
    this.dropUpstream();
    this.socket.end();
    // A visitor that never reads nor closes is cut off after a while.
    if (afterPage || !this.socket.destroyed) setTimeout(() => this.socket.destroy(), 5_000).unref();
  }

  /** Cut short: a reset, so the visitor cannot take what it got for complete. */
  private abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearAllTimers();
    if (this.upstream) abortStream(this.upstream, new Error('visitor connection cut short'));
    this.dropUpstream();
    abortStream(this.socket, new Error('cut short'));
  }

  // ---- timers ------------------------------------------------------------------------------

  private arm(deadline: Deadline, ms: number): void {
    if (ms <= 0 || this.finished) {
      this.due[deadline] = 0;
      return;
    }
    const at = Date.now() + ms;
    this.due[deadline] = at;
    this.wakeBy(at);
  }

  /** The timer fires no later than `at` (an earlier one is kept: it re-arms itself when it fires). */
  private wakeBy(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - Date.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.finished) return;
    const now = Date.now();
    const { due, limits } = this;
    // Nothing moved either way for idleTimeoutMs (a WebSocket may idle as long as it likes).
    if (limits.idleTimeoutMs > 0 && !this.tunnel) {
      const moved = this.socket.bytesRead + this.socket.bytesWritten;
      if (moved !== this.movedBytes) {
        this.movedBytes = moved;
        this.stillSince = now;
      } else if (now - this.stillSince >= limits.idleTimeoutMs) {
        this.abort();
        return;
      }
    }
    if ((due.head !== 0 && now >= due.head) || (due.request !== 0 && now >= due.request)) {
      due.head = 0;
      due.request = 0;
      this.tooSlow();
    }
    if (!this.finished && due.answer !== 0 && now >= due.answer) {
      due.answer = 0;
      this.answerTimedOut();
    }
    if (!this.finished && due.keepAlive !== 0 && now >= due.keepAlive) {
      due.keepAlive = 0;
      if (this.outstanding.length === 0 && this.requests.idle && !this.tunnel) this.finish(false);
    }
    if (this.finished) return;
    let next = Infinity;
    for (const at of Object.values(due)) if (at !== 0 && at < next) next = at;
    if (limits.idleTimeoutMs > 0 && !this.tunnel) next = Math.min(next, this.stillSince + limits.idleTimeoutMs);
    if (next !== Infinity) this.wakeBy(next);
  }

  private armIdle(): void {
    this.arm('keepAlive', this.limits.keepAliveTimeoutMs);
  }

  private clearIdle(): void {
    this.due.keepAlive = 0;
  }

  private clearAllTimers(): void {
    this.due.head = 0;
    this.due.request = 0;
    this.due.answer = 0;
    this.due.keepAlive = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
