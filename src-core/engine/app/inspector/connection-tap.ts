/**
 * A passive tap on one connection of an exposure: it is shown the chunks of both directions as
 * they pass (visitor → service, service → visitor), pairs requests with responses (keep-alive,
 * pipelining: answers come in request order, RFC 9112 §9.3.2), and keeps entries in the store.
 *
 * It cannot change what flows: it gets the same chunk objects the pump writes, only reads them,
 * copies no more than heads and capped bodies, and catches everything it throws. Input that is
 * not strict HTTP/1.1 ends parsing: the connection is kept as a "not-http" entry whose bytes are
 * counted from then on.
 */
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { BodyCollector, emptyBody, type CapturedEntry } from './captured-entry.js';
import type { CaptureStore } from './capture-store.js';
import { HttpMessageParser, type HeadOutcome, type MessageHead } from '../../common/http-parser.js';
import { emptyWebSocketSummary, WebSocketFrameCounter } from './websocket-summary.js';

/** Visitor bytes copied while a request to upgrade waits for its answer; beyond, parsing stops. */
export const MAX_HELD_BYTES = 64 * 1024;

export interface TapContext {
  readonly exposureId: string;
  readonly connectionId: number;
  readonly store: CaptureStore;
  readonly bodyCapBytes: number;
  /** For a replay: the entry it replays. */
  readonly replayOf?: number;
  /** The visitor shown when a request carries no X-Forwarded-For (default 'unknown'). */
  readonly visitorFallback?: string;
  /** Told of each entry the tap adds (a replay waits for its own). */
  readonly onEntry?: (entry: CapturedEntry) => void;
}

interface Exchange {
  readonly entry: CapturedEntry;
  /** performance.now() at the request's first byte. */
  readonly startedAt: number;
  readonly requestBody: BodyCollector;
  readonly responseBody: BodyCollector;
  requestDone: boolean;
  /** What the request asked to switch to, if anything. */
  upgrade: 'websocket' | 'tunnel' | null;
  readonly noResponseBody: boolean;
  /** Interim (1xx) statuses before the final one, and their wire bytes. */
  readonly interim: number[];
  interimBytes: number;
}

type Mode = 'http' | 'upgraded' | 'raw' | 'closed';

/**
 * Now, as wall-clock milliseconds and a monotonic mark, from one clock read (this runs per
 * request; the wall time is the process's time origin plus the mark).
 */
function stamp(): { at: number; mark: number } {
  const mark = performance.now();
  return { at: Math.round(performance.timeOrigin + mark), mark };
}

/** What the tap needs of a request's fields, read in one pass (this runs on every request). */
function requestFacts(head: MessageHead): { upgrade: 'websocket' | 'tunnel' | null; forwardedFor: string | undefined } {
  let upgrade: string | undefined;
  const connection: string[] = [];
  let forwardedFor: string | undefined;
  for (const [name, value] of head.headers) {
    if (name.length !== 7 && name.length !== 10 && name.length !== 15) continue;
    const key = name.toLowerCase();
    if (key === 'upgrade') upgrade ??= value;
    else if (key === 'connection') connection.push(value);
    else if (key === 'x-forwarded-for') forwardedFor ??= value.split(',')[0]?.trim();
  }
  if (head.method === 'CONNECT') return { upgrade: 'tunnel', forwardedFor };
  // Connection is read only when there is an Upgrade to confirm (most requests have none).
  const confirmed = upgrade !== undefined && connection.some((value) => value.toLowerCase().split(',').some((token) => token.trim() === 'upgrade'));
  if (!confirmed || upgrade === undefined) return { upgrade: null, forwardedFor };
  return { upgrade: /(^|,)\s*websocket\s*(,|$)/i.test(upgrade) ? 'websocket' : 'tunnel', forwardedFor };
}

export class ConnectionTap {
  private mode: Mode = 'http';
  private readonly requests: HttpMessageParser;
  private readonly responses: HttpMessageParser;
  /** Requests whose final response has not ended yet, oldest first. */
  private readonly exchanges: Exchange[] = [];
  /** The request whose bytes are arriving. */
  private receiving: Exchange | null = null;
  /** The next request's first byte: wall clock and monotonic. */
  private requestStart = { at: 0, mark: 0 };
  private requestStartTaken = false;
  private interim = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The entry counting bytes once parsing stopped (upgrade, tunnel or not HTTP). */
  private rawEntry: { entry: CapturedEntry; startedAt: number } | null = null;
  private fromVisitorFrames: WebSocketFrameCounter | null = null;
  private fromServiceFrames: WebSocketFrameCounter | null = null;
  private readonly openedAt = stamp();
  private seenExchange = false;
  private visitorBytes = 0;
  private serviceBytes = 0;

  constructor(private readonly context: TapContext) {
    this.requests = new HttpMessageParser('request', {
      head: (head) => this.requestHead(head),
      body: (data, start, end) => this.receiving?.requestBody.add(data, start, end),
      end: (_trailers, wireBytes) => this.requestEnd(wireBytes),
    });
    this.responses = new HttpMessageParser('response', {
      head: (head) => this.responseHead(head),
      body: (data, start, end) => this.exchanges[0]?.responseBody.add(data, start, end),
      end: (_trailers, wireBytes) => this.responseEnd(wireBytes),
    });
  }

  /** A chunk on its way from the visitor to the service. Never throws. */
  fromVisitor(chunk: Buffer): void {
    try {
      this.visitorBytes += chunk.length;
      this.visitorChunk(chunk);
    } catch (error) {
      this.stopParsing('request', error);
    }
  }

  /** A chunk on its way from the service to the visitor. Never throws. */
  fromService(chunk: Buffer): void {
    try {
      this.serviceBytes += chunk.length;
      this.serviceChunk(chunk);
    } catch (error) {
      this.stopParsing('response', error);
    }
  }

  /** The visitor ended its side (EOF). */
  visitorEnded(): void {
    if (this.mode !== 'http') return;
    try {
      this.requests.finish();
    } catch (error) {
      this.stopParsing('request', error);
    }
  }

  /** The service ended its side (EOF): a response read until close is complete. */
  serviceEnded(): void {
    if (this.mode !== 'http') return;
    try {
      this.responses.finish();
    } catch (error) {
      this.stopParsing('response', error);
    }
  }

  /** The connection is gone (or capture stopped: `reason`): open entries are closed. Never throws. */
  close(reason?: string): void {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    try {
      const now = performance.now();
      for (const exchange of this.openExchanges()) {
        const { entry } = exchange;
        entry.state = 'aborted';
        entry.durationMs = now - exchange.startedAt;
        entry.note ??= reason ?? (!exchange.requestDone ? 'the connection closed during the request' : entry.response ? 'the connection closed during the response' : 'the connection closed before a response');
        if (entry.request && !exchange.requestDone) entry.request.body = exchange.requestBody.take();
        if (entry.response) entry.response.body = exchange.responseBody.take();
        this.context.store.changed(entry);
      }
      this.exchanges.length = 0;
      this.receiving = null;
      const raw = this.rawEntry;
      if (raw) {
        raw.entry.state = 'complete';
        raw.entry.durationMs = now - raw.startedAt;
        this.context.store.changed(raw.entry);
      }
      this.held = [];
    } catch {
      // Never thrown to the data path.
    }
  }

  private visitorChunk(chunk: Buffer): void {
    if (this.mode === 'http') {
      if (this.requests.paused) {
        this.hold(chunk);
        return;
      }
      this.parseRequests(chunk, 0);
      return;
    }
    this.countRaw('fromVisitor', chunk, 0);
  }

  private serviceChunk(chunk: Buffer): void {
    if (this.mode === 'http') {
      const consumed = this.responses.execute(chunk);
      // A 101 (or CONNECT's 2xx) paused the parser: the rest is the upgraded protocol.
      if (consumed < chunk.length && (this.mode as Mode) === 'upgraded') this.countRaw('fromService', chunk, consumed);
      return;
    }
    this.countRaw('fromService', chunk, 0);
  }

  private parseRequests(chunk: Buffer, offset: number): void {
    if (this.requests.idle) {
      this.requestStart = stamp();
      this.requestStartTaken = false;
    }
    const consumed = this.requests.execute(chunk, offset);
    if (consumed < chunk.length) {
      if (this.mode === 'http') this.hold(chunk.subarray(consumed));
      else this.countRaw('fromVisitor', chunk, consumed);
    }
  }

  /** Copies visitor bytes that wait for an upgrade's answer (bounded). */
  private hold(bytes: Buffer): void {
    this.heldBytes += bytes.length;
    if (this.heldBytes > MAX_HELD_BYTES) throw new Error(`more than ${MAX_HELD_BYTES} bytes sent before the answer to an upgrade`);
    this.held.push(Buffer.from(bytes));
  }

  private countRaw(direction: 'fromVisitor' | 'fromService', chunk: Buffer, offset: number): void {
    const raw = this.rawEntry;
    if (!raw || this.mode === 'closed') return;
    const frames = direction === 'fromVisitor' ? this.fromVisitorFrames : this.fromServiceFrames;
    if (frames) frames.feed(chunk, offset, chunk.length);
    else if (raw.entry.rawBytes) raw.entry.rawBytes[direction] += chunk.length - offset;
  }

  private requestHead(head: MessageHead): HeadOutcome {
    const { upgrade, forwardedFor } = requestFacts(head);
    // The first request of a chunk started when the chunk came; one pipelined behind it, now.
    const start = this.requestStartTaken ? stamp() : this.requestStart;
    this.requestStartTaken = true;
    const entry = this.context.store.add({
      exposureId: this.context.exposureId,
      connectionId: this.context.connectionId,
      kind: 'http',
      startedAt: start.at,
      durationMs: null,
      state: 'open',
      visitor: forwardedFor || (this.context.visitorFallback ?? 'unknown'),
      request: { method: head.method ?? '', target: head.target ?? '', httpVersion: head.version, headers: head.headers, body: emptyBody(), size: head.headBytes, headSize: head.headBytes },
      response: null,
      replayOf: this.context.replayOf ?? null,
      websocket: null,
      rawBytes: null,
      note: null,
    });
    const exchange: Exchange = {
      entry,
      startedAt: start.mark,
      requestBody: new BodyCollector(this.context.bodyCapBytes),
      responseBody: new BodyCollector(this.context.bodyCapBytes),
      requestDone: false,
      upgrade,
      noResponseBody: head.method === 'HEAD',
      interim: [],
      interimBytes: 0,
    };
    this.seenExchange = true;
    this.exchanges.push(exchange);
    this.context.onEntry?.(entry);
    this.receiving = exchange;
    return upgrade ? 'pause-after' : 'framed';
  }

  private requestEnd(wireBytes: number): void {
    const exchange = this.receiving;
    this.receiving = null;
    if (!exchange?.entry.request) return;
    exchange.requestDone = true;
    exchange.entry.request.body = exchange.requestBody.take();
    exchange.entry.request.size = wireBytes;
    if (exchange.entry.state !== 'open') this.context.store.changed(exchange.entry);
  }

  private responseHead(head: MessageHead): HeadOutcome {
    const exchange = this.exchanges[0];
    if (!exchange) throw new Error('a response to no request');
    const status = head.status ?? 0;
    const { entry } = exchange;
    const response = { status, reason: head.reason ?? '', httpVersion: head.version, headers: head.headers, body: emptyBody(), size: head.headBytes, headSize: head.headBytes, interim: exchange.interim };
    const switched = (status === 101 && exchange.upgrade && exchange.upgrade !== 'tunnel') || (exchange.upgrade === 'tunnel' && (status === 101 || entry.request?.method === 'CONNECT' && status >= 200 && status < 300));
    if (switched) {
      entry.response = response;
      this.upgraded(exchange);
      return 'tunnel';
    }
    if (status < 200) {
      if (status === 101) throw new Error('101 Switching Protocols to a request that asked for no upgrade');
      exchange.interim.push(status);
      this.interim = true;
      return 'no-body';
    }
    entry.response = response;
    if (exchange.upgrade) {
      // Declined: HTTP goes on, with the bytes held meanwhile.
      exchange.upgrade = null;
      this.requests.resume();
      this.replayHeld();
    }
    this.context.store.changed(entry);
    return exchange.noResponseBody || status === 204 || status === 304 ? 'no-body' : 'framed';
  }

  private responseEnd(wireBytes: number): void {
    const exchange = this.exchanges[0];
    if (!exchange) return;
    if (this.interim) {
      this.interim = false;
      exchange.interimBytes += wireBytes;
      return;
    }
    this.exchanges.shift();
    const { entry } = exchange;
    if (entry.response) {
      entry.response.body = exchange.responseBody.take();
      entry.response.size = wireBytes + exchange.interimBytes;
    }
    entry.durationMs = performance.now() - exchange.startedAt;
    entry.state = 'complete';
    this.context.store.changed(entry);
  }

  private replayHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) {
      if (this.requests.paused) this.hold(chunk);
      else this.parseRequests(chunk, 0);
    }
  }

  /** 101 or CONNECT's 2xx: the entry becomes the connection's summary; bytes are counted from now on. */
  private upgraded(exchange: Exchange): void {
    this.mode = 'upgraded';
    const { entry } = exchange;
    entry.kind = exchange.upgrade === 'websocket' ? 'websocket' : 'tunnel';
    if (entry.kind === 'websocket') {
      const summary = emptyWebSocketSummary();
      entry.websocket = summary;
      this.fromVisitorFrames = new WebSocketFrameCounter(summary.fromVisitor, summary);
      this.fromServiceFrames = new WebSocketFrameCounter(summary.fromService, summary);
    } else {
      entry.rawBytes = { fromVisitor: 0, fromService: 0 };
    }
    if (entry.request && !exchange.requestDone) entry.request.body = exchange.requestBody.take();
    this.rawEntry = { entry, startedAt: exchange.startedAt };
    // Requests pipelined behind an upgrade were never HTTP to the service.
    for (const other of this.exchanges.splice(0)) {
      if (other === exchange) continue;
      other.entry.state = 'aborted';
      other.entry.note = 'sent after a request to upgrade';
      this.context.store.changed(other.entry);
    }
    this.receiving = null;
    this.context.store.changed(entry);
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.countRaw('fromVisitor', chunk, 0);
  }

  /** Not (or no longer) strict HTTP: open exchanges are aborted, a not-http entry counts the rest. */
  private stopParsing(direction: 'request' | 'response', error: unknown): void {
    if (this.mode !== 'http') return;
    try {
      const reason = `${direction}: ${error instanceof Error ? error.message : String(error)}`;
      for (const exchange of this.openExchanges()) {
        exchange.entry.state = 'aborted';
        exchange.entry.note = `parsing stopped (${reason})`;
        this.context.store.changed(exchange.entry);
      }
      this.exchanges.length = 0;
      this.receiving = null;
      this.held = [];
      this.mode = 'raw';
      const first = !this.seenExchange;
      const entry = this.context.store.add({
        exposureId: this.context.exposureId,
        connectionId: this.context.connectionId,
        kind: 'not-http',
        startedAt: first ? this.openedAt.at : stamp().at,
        durationMs: null,
        state: 'open',
        visitor: this.context.visitorFallback ?? 'unknown',
        request: null,
        response: null,
        replayOf: this.context.replayOf ?? null,
        websocket: null,
        // From the first byte when nothing parsed; else from where parsing stopped.
        rawBytes: first ? { fromVisitor: this.visitorBytes, fromService: this.serviceBytes } : { fromVisitor: 0, fromService: 0 },
        note: reason,
      });
      this.rawEntry = { entry, startedAt: first ? this.openedAt.mark : performance.now() };
    } catch {
      this.mode = 'closed';
    }
  }

  private openExchanges(): Exchange[] {
    const open = [...this.exchanges];
    if (this.receiving && !open.includes(this.receiving)) open.push(this.receiving);
    return open.filter((exchange) => exchange.entry.state === 'open');
  }
}

/**
 * Shows `tap` the chunks of a connection's two readable sides, `visitor` (the link from the
 * tunnel: what the visitor sent) and `service` (the local service's socket). Call it before the
 * pump joins them: its listeners then run first on every chunk, so the tap has read (and copied
 * what it keeps) before anything downstream could reuse the buffer. Returns `stop`, which takes
 * the listeners off (capture switched off); closing both sides stops it too. `onStopped` is told
 * once, either way.
 */
export function observeConnection(tap: ConnectionTap, visitor: Readable, service: Readable, onStopped?: () => void): () => void {
  const onVisitorData = (chunk: unknown) => {
    if (Buffer.isBuffer(chunk)) tap.fromVisitor(chunk);
  };
  const onServiceData = (chunk: unknown) => {
    if (Buffer.isBuffer(chunk)) tap.fromService(chunk);
  };
  const onVisitorEnd = () => tap.visitorEnded();
  const onServiceEnd = () => tap.serviceEnded();
  let closed = 0;
  let stopped = false;
  const stop = (reason?: string) => {
    if (stopped) return;
    stopped = true;
    visitor.off('data', onVisitorData).off('end', onVisitorEnd).off('close', onClose);
    service.off('data', onServiceData).off('end', onServiceEnd).off('close', onClose);
    tap.close(reason);
    onStopped?.();
  };
  function onClose(): void {
    closed += 1;
    if (closed === 2) stop();
  }
  visitor.on('data', onVisitorData).once('end', onVisitorEnd);
  service.on('data', onServiceData).once('end', onServiceEnd);
  for (const side of [visitor, service]) {
    if (side.closed) closed += 1;
    else side.once('close', onClose);
  }
  if (closed === 2) stop();
  return () => stop('capture was switched off');
}
