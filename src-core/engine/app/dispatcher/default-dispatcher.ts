/**
 * The dispatcher (V2Ray's `app/dispatcher`): asks the router for an outbound, writes the access
 * line, registers the connection's counters and idle watch, and hands the outbound the inbound's
 * own connection (a socket, a Mux session, a VMess body), which spares every connection two
 * streams and a pump. Only UDP goes through a packet link pair, the form UDP outbounds take.
 */
import { PortholeError } from '../../common/errors.js';
import { formatDestination, type Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import type { ComponentLogger } from '../../features/log.js';
import type { OutboundHandler, OutboundManager } from '../../features/outbound.js';
import type { LevelPolicy, PolicyManager } from '../../features/policy.js';
import type { Router } from '../../features/router.js';
import type { ConnectionStats } from '../../features/stats.js';
import { createLinkPair, type LinkCounters } from '../../transport/link.js';
import { abortStream } from '../../transport/abort.js';
import { pumpBoth } from '../../transport/pump.js';
import type { IdleWatch } from './idle-watch.js';

export interface DispatcherDependencies {
  router: Router;
  outbounds: OutboundManager;
  policies: PolicyManager;
  stats: ConnectionStats;
  idleWatch: IdleWatch;
  log: ComponentLogger;
}

/** How the bookkeeping sees one connection, whichever way it is linked. */
interface Connection {
  counters: LinkCounters;
  /** The client's side has sent EOF / the remote's side has sent EOF. */
  uplinkEnded(): boolean;
  downlinkEnded(): boolean;
  /** `halfClosed`: an uplinkOnly / downlinkOnly timeout (see IdleWatch), else a cut. */
  abort(error: PortholeError, halfClosed?: boolean): void;
}

/**
 * A stream's own byte counts, read as link counters: up is what the client sent (once the
 * outbound writes to the service's socket itself, what has reached that socket: `delivery`), down
 * what has left for the client (not what is still queued behind a slow link or reader), so the
 * idle policy sees the progress on the wire and the rates do not jump with read-ahead. Read only
 * when sampled (once a second), never per chunk.
 */
class StreamCounters implements LinkCounters {
  constructor(private readonly stream: CountedStream, private readonly session: Session) {}

  get up(): number {
    const delivery = this.session.delivery;
    return delivery === undefined ? this.stream.bytesRead : delivery.bytesWritten - delivery.writableLength;
  }

  get down(): number {
    return this.stream.bytesWritten - this.stream.writableLength;
  }
}

export class DefaultDispatcher implements Dispatcher {
  constructor(private readonly features: DispatcherDependencies) {}

  /** Routing for connections from now on (a config reload); open connections keep their route. */
  setRouter(router: Router): void {
    this.features.router = router;
  }

  dispatch(session: Session, target: Destination, connection: CountedStream): void {
    if (target.network === 'udp') {
      this.dispatchPackets(session, target, connection);
      return;
    }
    const { handler, policy } = this.route(session, target);
    const done = this.track(session, target, handler, policy, {
      counters: new StreamCounters(connection, session),
      uplinkEnded: () => connection.readableEnded,
      // Finished, not ended: until every queued byte has left, the downlink is still going.
      downlinkEnded: () => connection.writableFinished,
      // A half-closed connection the policy finishes, with nothing of ours queued, closes as
      // V2Ray closes it (a half-closing client behind a slow 4.34 bridge must not read a reset
      // after its whole answer); anything else is a cut, and the client is reset.
      abort: (error, halfClosed) => (halfClosed && connection.writableLength === 0 ? connection.destroy(error) : abortStream(connection, error)),
    });
    if (connection.closed) done();
    else connection.once('close', done);
    // As with a link pair's ends: the outbound reports errors; this keeps an abort (the UI's
    // close, an idle timeout) of a stream nobody watches from becoming an uncaught exception.
    connection.on('error', ignoreError);
    handler.process(session, target, connection);
  }

  /**
   * A UDP outbound takes a packet link (one datagram per chunk, counted in bytes by the pair);
   * the inbound's datagram stream is pumped into one.
   */
  private dispatchPackets(session: Session, target: Destination, connection: CountedStream): void {
    const { handler, policy } = this.route(session, target);
    const { inboundEnd, outboundEnd, counters } = createLinkPair({ highWaterMark: policy.bufferBytes, packet: true });
    const done = this.track(session, target, handler, policy, {
      counters,
      uplinkEnded: () => outboundEnd.readableEnded,
      downlinkEnded: () => inboundEnd.readableEnded,
      abort: (error) => inboundEnd.destroy(error),
    });
    let closedEnds = 0;
    const onEndClosed = () => {
      closedEnds += 1;
      if (closedEnds === 2) done();
    };
    inboundEnd.once('close', onEndClosed);
    outboundEnd.once('close', onEndClosed);
    handler.process(session, target, outboundEnd);
    void pumpBoth(connection, inboundEnd);
  }

  /** The outbound for `target`; throws PH_ROUTING_NO_OUTBOUND (after the access line) when there is none. */
  private route(session: Session, target: Destination): { handler: OutboundHandler; policy: LevelPolicy } {
    const { router, outbounds, policies, log } = this.features;
    const routedTag = router.pickRoute({ session, target });
    const handler = (routedTag === undefined ? undefined : outbounds.getHandler(routedTag)) ?? outbounds.getDefaultHandler();
    if (!handler) {
      const to = formatDestination(target);
      log.access({ from: formatSource(session), status: 'rejected', to, route: `${session.inboundTag} -> none`, reason: 'no outbound', connectionId: session.id });
      throw new PortholeError('PH_ROUTING_NO_OUTBOUND', `dispatcher: no outbound for ${to}`, { connectionId: session.id });
    }
    if (routedTag !== undefined && routedTag !== handler.tag) {
      log.warning(`outbound "${routedTag}" does not exist, using the default "${handler.tag}"`, session.id);
    }
    return { handler, policy: policies.forLevel(session.level) };
  }

  /** Access line, counters for the UI and the idle watch; returns what to call once the connection is closed. */
  private track(session: Session, target: Destination, handler: OutboundHandler, policy: LevelPolicy, connection: Connection): () => void {
    const { stats, idleWatch, log } = this.features;
    const from = formatSource(session);
    const to = formatDestination(target);
    log.access({ from, status: 'accepted', to, route: `${session.inboundTag} -> ${handler.tag}`, connectionId: session.id });
    const tracked = stats.track({
      id: session.id,
      inboundTag: session.inboundTag,
      outboundTag: handler.tag,
      source: from,
      target: to,
      startedAt: session.startedAt,
      counters: connection.counters,
      abort: () => connection.abort(new PortholeError('PH_CLOSED', 'closed by the user', { connectionId: session.id, severity: 'info' })),
    });
    const unwatch = idleWatch.add({
      counters: connection.counters,
      policy,
      uplinkEnded: connection.uplinkEnded,
      downlinkEnded: connection.downlinkEnded,
      abort: (reason, halfClosed) => {
        log.info(`closing ${to}: ${reason}`, session.id);
        connection.abort(new PortholeError('PH_TIMEOUT', reason, { connectionId: session.id, severity: 'info' }), halfClosed);
      },
    });
    return () => {
      unwatch();
      tracked.done();
    };
  }
}

function ignoreError(): void {}

function formatSource(session: Session): string {
  return session.source ? `${session.source.address}:${session.source.port}` : session.inboundTag;
}
