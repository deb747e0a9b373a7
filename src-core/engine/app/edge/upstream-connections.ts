/**
 * The edge's hop to the services: HTTP/1.1 written and read on the streams routes open, kept
 * alive between requests. Node's HTTP client (ClientRequest, Agent, a second llhttp parse) cost
 * about as much as the rest of the edge per request; here a request is one head written and its
 * body passed on, and a response is read with the strict parser the inspector uses, its body
 * handed to the visitor's response as it arrives.
 *
 * A pooled stream is shared by the visitors of one name in turn: each request carries its own
 * visitor in the forwarding headers.
 */
import type { Duplex } from 'node:stream';
import { abortStream } from '../../transport/abort.js';
import { HttpMessageParser, type HeaderField, type HeadOutcome, type MessageHead } from '../../common/http-parser.js';
import type { EdgeLimits } from './edge-limits.js';
import type { EdgeRoute, Visitor } from './routes.js';

const CLOSE_GRACE_MS = 5_000;

/** What one exchange hears from the service. */
export interface UpstreamAnswer {
  /** The final (non-1xx) response head. */
  head(status: number, reason: string, headers: HeaderField[]): void;
  /** Body bytes, framing removed; false asks the sender to wait for `resumeBody`. */
  body(data: Buffer): boolean;
  /** The response is complete. */
  end(): void;
  /** The stream failed or closed before the response was complete; `received` says whether any of it arrived. */
  fail(error: Error, received: boolean): void;
}

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  /** The head's fields as they go to the service (Host first). */
  readonly headers: readonly (readonly [string, string])[];
}

/** One stream to a service, carrying one exchange at a time. */
export class UpstreamConnection {
  private readonly parser: HttpMessageParser;
  private answer: UpstreamAnswer | undefined;
  private noBody = false;
  /** The final (non-1xx) head of the current response has arrived. */
  private finalHead = false;
  private received = false;
  private keepAlive = true;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The service's `Keep-Alive: timeout=N`, less a second (what Node's agent does). */
  private idleHintMs: number | undefined;
  closed = false;
  /** Exchanges carried, the current one included. */
  uses = 0;

  constructor(readonly stream: Duplex, private readonly onIdle: (connection: UpstreamConnection) => void, private readonly onGone: (connection: UpstreamConnection) => void) {
    this.parser = new HttpMessageParser('response', {
      head: (head) => this.onHead(head),
      body: (data, start, end) => this.onBody(data, start, end),
      end: () => this.onEnd(),
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onClosed(new Error('the service closed the connection')));
    stream.on('close', () => this.onClosed(new Error('the connection to the service closed')));
    stream.on('error', (error: Error) => this.onClosed(error));
  }

  /** Sends the request head; the caller writes the body (`writeBody`, `endBody`). */
  send(request: UpstreamRequest, chunked: boolean, answer: UpstreamAnswer): void {
    clearTimeout(this.idleTimer);
    this.answer = answer;
    this.noBody = request.method === 'HEAD';
    this.finalHead = false;
    this.received = false;
    this.uses += 1;
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
    for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
    if (chunked) head += 'Transfer-Encoding: chunked\r\n';
    this.stream.write(`${head}\r\n`, 'latin1');
  }

  /** Writes request body bytes (chunk-framed when the head said chunked); false: wait for 'drain'. */
  writeBody(data: Buffer, chunked: boolean): boolean {
    if (!chunked) return this.stream.write(data);
    if (data.length === 0) return true;
    this.stream.write(`${data.length.toString(16)}\r\n`, 'latin1');
    this.stream.write(data);
    return this.stream.write('\r\n', 'latin1');
  }

  endBody(chunked: boolean): void {
    if (chunked) this.stream.write('0\r\n\r\n', 'latin1');
  }

  /** Stops reading until the visitor has room again. */
  pauseBody(): void {
    this.stream.pause();
  }

  resumeBody(): void {
    this.stream.resume();
  }

  /** Cuts the stream (the visitor left, or a timeout): never reused. */
  abort(error: Error): void {
    this.answer = undefined;
    this.keepAlive = false;
    abortStream(this.stream, error);
    this.onClosed(error);
  }

  /** Keeps the stream for `idleMs` (or the service's shorter hint), then closes it. */
  park(idleMs: number): void {
    const wait = Math.min(idleMs, this.idleHintMs ?? idleMs);
    if (wait <= 0) {
      this.close();
      return;
    }
    this.idleTimer = setTimeout(() => this.close(), wait).unref();
  }

  /** Ends an idle stream gracefully (the service sees an end of stream, not an abort). */
  close(): void {
    clearTimeout(this.idleTimer);
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
    // A peer that never closes its side is not waited for.
    setTimeout(() => this.stream.destroy(), CLOSE_GRACE_MS).unref();
    this.onClosed(new Error('closed'));
  }

  private onData(chunk: Buffer): void {
    if (!this.answer) {
      // Bytes while no request is out: the service is not speaking HTTP/1.1 as asked.
      this.abort(new Error('the service sent bytes nobody asked for'));
      return;
    }
    this.received = true;
    try {
      this.parser.execute(chunk);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private onHead(head: MessageHead): HeadOutcome {
    const status = head.status ?? 0;
    // 1xx answers are the service's own business (Node answered the visitor's Expect itself).
    if (status < 200) return 'no-body';
    this.finalHead = true;
    this.keepAlive = keepsAlive(head);
    this.idleHintMs = keepAliveHintMs(head.headers);
    this.answer?.head(status, head.reason ?? '', head.headers);
    return this.noBody || status === 204 || status === 304 ? 'no-body' : 'framed';
  }

  private onBody(data: Buffer, start: number, end: number): void {
    // The parser's view is valid only during the call: the visitor's response keeps a copy.
    if (this.answer?.body(Buffer.from(data.subarray(start, end))) === false) this.pauseBody();
  }

  private onEnd(): void {
    const answer = this.answer;
    // A 1xx message ends too: the final response is still to come.
    if (!answer || !this.finalHead) return;
    this.answer = undefined;
    answer.end();
    if (this.keepAlive && !this.closed) this.onIdle(this);
    else this.close();
  }

  private fail(error: Error): void {
    const answer = this.answer;
    this.answer = undefined;
    this.keepAlive = false;
    abortStream(this.stream, error);
    answer?.fail(error, this.received);
    this.onClosed(error);
  }

  private onClosed(error: Error): void {
    if (this.answer) {
      // A body read until the close is complete only if the parser says so.
      const answer = this.answer;
      this.answer = undefined;
      const complete = this.finalHead && this.parser.finish();
      if (complete) answer.end();
      else answer.fail(error, this.received);
    }
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    // Its other side is done (an end of stream while parked, say): nothing more goes on it.
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
    this.onGone(this);
  }
}

function keepsAlive(head: MessageHead): boolean {
  const connection = fieldValue(head.headers, 'connection')?.toLowerCase() ?? '';
  if (/(^|[\s,])close($|[\s,])/.test(connection)) return false;
  return head.version === '1.1' || /(^|[\s,])keep-alive($|[\s,])/.test(connection);
}

function keepAliveHintMs(headers: readonly HeaderField[]): number | undefined {
  const hint = /(?:^|[\s,])timeout=(\d+)/.exec(fieldValue(headers, 'keep-alive') ?? '')?.[1];
  return hint === undefined ? undefined : Number(hint) * 1000 - 1000;
}

function fieldValue(headers: readonly HeaderField[], name: string): string | undefined {
  for (const [field, value] of headers) if (field.length === name.length && field.toLowerCase() === name) return value;
  return undefined;
}

/** Idle streams per route, most recently used first; streams in use are counted for shutdown. */
export class UpstreamConnections {
  private readonly idle = new Map<EdgeRoute, UpstreamConnection[]>();
  private readonly open = new Set<UpstreamConnection>();

  constructor(private readonly limits: Pick<EdgeLimits, 'upstreamIdleStreams' | 'upstreamIdleTimeoutMs'>) {}

  /** An idle stream of `route`, or a new one it opens for `visitor`. */
  acquire(route: EdgeRoute, visitor: Visitor): UpstreamConnection {
    const parked = this.idle.get(route);
    let connection = parked?.pop();
    while (connection?.closed) connection = parked?.pop();
    if (parked?.length === 0) this.idle.delete(route);
    if (connection) return connection;
    const created = new UpstreamConnection(route.open(visitor), (done) => this.release(route, done), (gone) => this.forget(route, gone));
    this.open.add(created);
    return created;
  }

  /** Streams open to services now (in use or idle). */
  openStreams(): number {
    return this.open.size;
  }

  close(): void {
    for (const connection of [...this.open]) connection.abort(new Error('edge closed'));
    this.idle.clear();
  }

  private release(route: EdgeRoute, connection: UpstreamConnection): void {
    const parked = this.idle.get(route) ?? [];
    if (parked.length >= this.limits.upstreamIdleStreams) {
      connection.close();
      return;
    }
    parked.push(connection);
    this.idle.set(route, parked);
    connection.park(this.limits.upstreamIdleTimeoutMs);
  }

  private forget(route: EdgeRoute, connection: UpstreamConnection): void {
    this.open.delete(connection);
    const parked = this.idle.get(route);
    if (!parked) return;
    const index = parked.indexOf(connection);
    if (index >= 0) parked.splice(index, 1);
    if (parked.length === 0) this.idle.delete(route);
  }
}
