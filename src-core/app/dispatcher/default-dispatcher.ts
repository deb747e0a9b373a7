/**
 * The dispatcher (V2Ray's `app/dispatcher`): asks the router for an outbound, makes the link
 * pair, writes the access line, registers the connection's counters and hands the outbound its
 * end of the link.
 */
import { PortholeError } from '../../common/errors.js';
import { formatDestination, type Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import type { ComponentLogger } from '../../features/log.js';
import type { OutboundManager } from '../../features/outbound.js';
import type { PolicyManager } from '../../features/policy.js';
import type { Router } from '../../features/router.js';
import type { ConnectionStats } from '../../features/stats.js';
import { createLinkPair, type Link } from '../../transport/link.js';
import type { IdleWatch } from './idle-watch.js';

export interface DispatcherDependencies {
  router: Router;
  outbounds: OutboundManager;
  policies: PolicyManager;
  stats: ConnectionStats;
  idleWatch: IdleWatch;
  log: ComponentLogger;
}

export class DefaultDispatcher implements Dispatcher {
  constructor(private readonly features: DispatcherDependencies) {}

  /** Routing for connections from now on (a config reload); open connections keep their route. */
  setRouter(router: Router): void {
    this.features.router = router;
  }

  dispatch(session: Session, target: Destination): Link {
    const { router, outbounds, policies, stats, idleWatch, log } = this.features;
    const routedTag = router.pickRoute({ session, target });
    const handler = (routedTag === undefined ? undefined : outbounds.getHandler(routedTag)) ?? outbounds.getDefaultHandler();
    const from = session.source ? `${session.source.address}:${session.source.port}` : session.inboundTag;
    const to = formatDestination(target);
    if (!handler) {
      log.access({ from, status: 'rejected', to, route: `${session.inboundTag} -> none`, reason: 'no outbound', connectionId: session.id });
      throw new PortholeError('PH_ROUTING_NO_OUTBOUND', `dispatcher: no outbound for ${to}`, { connectionId: session.id });
    }
    if (routedTag !== undefined && routedTag !== handler.tag) {
      log.warning(`outbound "${routedTag}" does not exist, using the default "${handler.tag}"`, session.id);
    }

    const policy = policies.forLevel(session.level);
    const { inboundEnd, outboundEnd, counters } = createLinkPair({ highWaterMark: policy.bufferBytes, packet: target.network === 'udp' });
    log.access({ from, status: 'accepted', to, route: `${session.inboundTag} -> ${handler.tag}`, connectionId: session.id });

    const tracked = stats.track({
      id: session.id,
      inboundTag: session.inboundTag,
      outboundTag: handler.tag,
      source: from,
      target: to,
      startedAt: session.startedAt,
      counters,
      abort: () => inboundEnd.destroy(new PortholeError('PH_CLOSED', 'closed by the user', { connectionId: session.id, severity: 'info' })),
    });
    const unwatch = idleWatch.add({
      counters,
      policy,
      uplinkEnded: () => outboundEnd.readableEnded,
      downlinkEnded: () => inboundEnd.readableEnded,
      abort: (reason) => {
        log.info(`closing ${to}: ${reason}`, session.id);
        inboundEnd.destroy(new PortholeError('PH_TIMEOUT', reason, { connectionId: session.id, severity: 'info' }));
      },
    });
    let closedEnds = 0;
    const onEndClosed = () => {
      closedEnds += 1;
      if (closedEnds < 2) return;
      unwatch();
      tracked.done();
    };
    inboundEnd.once('close', onEndClosed);
    outboundEnd.once('close', onEndClosed);

    handler.process(session, target, outboundEnd);
    return inboundEnd;
  }
}
