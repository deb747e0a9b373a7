/**
 * Streams to the exposures' services, kept alive between requests (HTTP/1.1 keep-alive on the
 * hop to the service), one Node `http.Agent` per route. An agent's "socket" is whatever
 * `route.open` returns (a Mux stream in production, a TCP socket in tests), so the agent's
 * TCP-only habits (`setKeepAlive`, `unref`, `setTimeout`) are replaced by a plain idle timer.
 *
 * A pooled stream is shared by the visitors of one name in turn: each request carries its own
 * visitor in the forwarding headers. An agent with nothing open or waiting is dropped, so routes
 * that went away leave nothing behind.
 */
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { abortStream } from '../../transport/abort.js';
import type { EdgeLimits } from './edge-limits.js';
import type { EdgeRoute, Visitor } from './routes.js';

/** `http.request` options the pool's agent reads: the visitor the stream is opened for. */
export interface UpstreamRequestOptions extends http.RequestOptions {
  readonly visitor: Visitor;
}

const idleTimers = new WeakMap<Duplex, NodeJS.Timeout>();

function isEmpty(record: NodeJS.ReadOnlyDict<unknown[]>): boolean {
  return Object.values(record).every((list) => !list || list.length === 0);
}

class RouteAgent extends http.Agent {
  readonly streams = new Set<Duplex>();

  constructor(
    private readonly route: EdgeRoute,
    private readonly idleTimeoutMs: number,
    maxFreeSockets: number,
    private readonly onEmpty: (agent: RouteAgent) => void,
  ) {
    super({ keepAlive: true, maxFreeSockets, scheduling: 'lifo' });
  }

  override createConnection(options: UpstreamRequestOptions): Duplex {
    const stream = this.route.open(options.visitor);
    this.streams.add(stream);
    stream.once('close', () => {
      this.streams.delete(stream);
      clearTimeout(idleTimers.get(stream));
      // The agent's own bookkeeping runs on the same 'close': look once it is done.
      setImmediate(() => {
        if (this.streams.size === 0 && isEmpty(this.requests)) this.onEmpty(this);
      });
    });
    return stream;
  }

  /**
   * Node's own version sets TCP options; this one keeps the stream for the shorter of our idle
   * time and the service's `Keep-Alive: timeout=N` less a second (what Node does), so the service
   * never closes it while a request is on its way.
   */
  override keepSocketAlive(socket: Duplex & { _httpMessage?: { res?: http.IncomingMessage } }): boolean {
    let idleMs = this.idleTimeoutMs;
    const keepAlive = socket._httpMessage?.res?.headers['keep-alive'];
    const hint = /^timeout=(\d+)/.exec(typeof keepAlive === 'string' ? keepAlive : '')?.[1];
    if (hint !== undefined) idleMs = Math.min(idleMs, Number(hint) * 1000 - 1000);
    if (idleMs <= 0) return false;
    clearTimeout(idleTimers.get(socket));
    idleTimers.set(socket, setTimeout(() => socket.destroy(), idleMs).unref());
    return true;
  }

  override reuseSocket(socket: Duplex & { ref?: () => void }, request: http.ClientRequest): void {
    clearTimeout(idleTimers.get(socket));
    // Node's own removes its guards against bytes on an idle stream, then calls `ref()`, which
    // only TCP sockets have.
    if (typeof socket.ref !== 'function') socket.ref = () => undefined;
    super.reuseSocket(socket as net.Socket, request);
  }

  /** Every stream cut (pooled or in use): for shutdown. */
  abortAll(): void {
    for (const stream of this.streams) abortStream(stream, new Error('edge closed'));
    this.destroy();
  }
}

export class UpstreamPool {
  private readonly agents = new Map<EdgeRoute, RouteAgent>();

  constructor(private readonly limits: Pick<EdgeLimits, 'upstreamIdleStreams' | 'upstreamIdleTimeoutMs'>) {}

  agentFor(route: EdgeRoute): http.Agent {
    let agent = this.agents.get(route);
    if (!agent) {
      agent = new RouteAgent(route, this.limits.upstreamIdleTimeoutMs, this.limits.upstreamIdleStreams, (empty) => {
        if (this.agents.get(route) === empty) this.agents.delete(route);
        empty.destroy();
      });
      this.agents.set(route, agent);
    }
    return agent;
  }

  /** Streams open to services now (in use or idle in the pool). */
  openStreams(): number {
    let count = 0;
    for (const agent of this.agents.values()) count += agent.streams.size;
    return count;
  }

  close(): void {
    for (const agent of this.agents.values()) agent.abortAll();
    this.agents.clear();
  }
}
