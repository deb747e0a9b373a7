/**
 * The portal (V2Ray's `app/reverse/portal.go`, wire doc §5.2–§5.4), laid out as 4.34 lays it out
 * so the two diff: `Portal` is an outbound handler named by the portal's tag; `handleConnection`
 * makes a connection whose target is the portal domain a bridge link (a `PortalWorker`: the
 * portal becomes its Mux client, opens the control session and heartbeats on it) and adds it to
 * the `StaticMuxPicker`; every other connection becomes a new session on the least-loaded link.
 *
 * Better than 4.34: a dead link leaves the picker at once (4.34 keeps picking it for up to 30 s),
 * a link that arrives already closed (given up by its bridge while this process was stalled) is
 * never picked, and an internet connection that arrives while no link is up waits briefly for one
 * instead of failing at once.
 *
 * Porthole's extensions (exposures) get each link's control session through `PortalExtension`
 * (control-channel.ts), and may say which links a connection they brought may take: a connection
 * that arrived on an exposure's public port goes only to a link that holds that exposure (its
 * bridge user's), never to the least-loaded link of another bridge; with none, it waits the same
 * while, then is reset.
 */
import { formatErrorLine } from '../../common/errors.js';
import { disposableInterval, type Disposable } from '../../common/disposable.js';
import { formatDestination, type Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import { MuxClient } from '../../common/mux/client.js';
import { CONTROL_DOMAIN } from '../../common/mux/consts.js';
import type { MuxStream } from '../../common/mux/stream.js';
import type { ComponentLogger } from '../../features/log.js';
import type { OutboundHandler } from '../../features/outbound.js';
import type { Link } from '../../transport/link.js';
import { abortStream } from '../../transport/abort.js';
import { pumpBoth } from '../../transport/pump.js';
import { ControlState, encodeControl, type ControlExtension } from './control.js';
import type { LinkRoute, PortalControlChannel, PortalExtension } from './control-channel.js';

/** Timings and limits, named as in the wire doc. */
export const PORTAL_HEARTBEAT_MS = 2000;
/** A link that has opened more sessions than this (control included) is drained. */
export const PORTAL_DRAIN_AFTER_SESSIONS = 256;
/** How long an internet connection waits for a bridge link when none is up. */
export const PORTAL_WAIT_FOR_LINK_MS = 5000;

export interface PortalOptions {
  tag: string;
  domain: string;
  log: ComponentLogger;
  streamBufferBytes: number;
  waitForLinkMs?: number;
  /** A Porthole extension that listens on each link's control session (exposures). */
  extension?: PortalExtension;
}

export class Portal implements OutboundHandler {
  readonly tag: string;
  private readonly picker: StaticMuxPicker;
  /** Porthole: connections waiting for a link (each retries when woken). */
  private readonly waiting = new Set<() => void>();
  /** Porthole: links just arrived, not picked until they outlive the turn they came in. */
  private readonly probation = new Set<PortalWorker>();
  private readonly routesChanged: Disposable | undefined;
  private closed = false;
  /** Links sent DRAIN so far (for the UI and tests). */
  drainedLinks = 0;

  constructor(private readonly options: PortalOptions) {
    this.tag = options.tag;
    this.picker = new StaticMuxPicker();
    this.routesChanged = options.extension?.onDidChangeRoutes(() => this.wakeWaiting());
  }

  private get links(): readonly PortalWorker[] {
    return this.picker.workers;
  }

  /** Live links (for the UI and tests). */
  get linkCount(): number {
    return this.links.length;
  }

  /** Live links per authenticated user (`Session.userKey`), for the portal owner's users list. */
  linkCountsByUser(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const worker of this.links) {
      const key = worker.session.userKey;
      if (key !== undefined && !worker.closed()) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** Live links on which the bridge accepted Porthole flow control. */
  get flowControlledLinks(): number {
    return this.links.filter((portalLink) => portalLink.mux.flow !== undefined).length;
  }

  /** Open sessions per live link, control excluded. */
  linkLoads(): number[] {
    return this.links.map((worker) => worker.activeSessions);
  }

  /** OutboundHandler: 4.34's `Outbound.Dispatch`. */
  process(session: Session, target: Destination, link: Link): void {
    this.handleConnection(session, target, link);
  }

  private handleConnection(session: Session, target: Destination, link: Link): void {
    // Checked first: a connection an extension brought (an exposure's public port) is never a link, whatever it targets.
    const route = this.options.extension?.routeOf(session);
    if (route) {
      this.dispatch(session, target, link, Date.now(), route);
      return;
    }
    if (target.address.kind === 'domain' && target.address.value === this.options.domain) {
      this.addWorker(link, session);
      return;
    }
    this.dispatch(session, target, link, Date.now());
  }

  private addWorker(link: Link, session: Session): void {
    const worker = new PortalWorker(link, session, this.options, () => {
      this.drainedLinks += 1;
      this.options.log.info(`link drained after ${PORTAL_DRAIN_AFTER_SESSIONS} sessions; the bridge will open a fresh one`, session.id);
    });
    // At once: what the bridge says on the control session is read by the extension from the first word.
    this.options.extension?.linkAdded(worker);
    this.probation.add(worker);
    // A link its bridge gave up while this process stalled arrives with its FIN already queued
    // behind the request, and a read stops short of it: the FIN is read at the next turn's poll,
    // which the second immediate follows. Until then no session goes to the link.
    setImmediate(() => setImmediate(() => {
      if (!this.probation.delete(worker)) return;
      if (worker.closed()) {
        this.options.log.info(`bridge link from ${describeLinkSource(session)} closed as it arrived: not used`, session.id);
        return;
      }
      this.admit(worker);
    }));
  }

  private admit(worker: PortalWorker): void {
    const { session } = worker;
    this.picker.addWorker(worker);
    const from = describeLinkSource(session);
    this.options.log.info(`bridge link up from ${from} (${this.links.length} live)`, session.id);
    worker.mux.onDidClose((error) => {
      this.picker.cleanup();
      this.options.log.info(`bridge link down from ${from} (${this.links.length} live)${error ? `: ${formatErrorLine(error)}` : ''}`, session.id);
    });
    this.wakeWaiting();
  }

  private wakeWaiting(): void {
    for (const wake of [...this.waiting]) wake();
  }

  /**
   * 4.34's `client.Dispatch`: a new session on the best link (for a connection an extension
   * brought, the best of the links its route accepts). Porthole waits a little for one if none is up.
   */
  private dispatch(session: Session, target: Destination, link: Link, since: number, route?: LinkRoute): void {
    const worker = this.picker.pickAvailable(route);
    if (worker) {
      // A TCP connection is joined to its session directly; a packet link keeps a stream and a pump.
      if (target.network === 'tcp') worker.mux.bindStream(target, link);
      else void pumpBoth(link, worker.mux.openStream(target));
      return;
    }
    const waitMs = (this.options.waitForLinkMs ?? PORTAL_WAIT_FOR_LINK_MS) - (Date.now() - since);
    if (waitMs <= 0 || link.destroyed || this.closed) {
      const which = route ? `link of ${route.description}` : 'bridge link';
      this.options.log.summarised('warning', `no ${which}`, `no ${which} for ${formatDestination(target)}: resetting the connection`, session.id);
      abortStream(link);
      return;
    }
    const wake = () => {
      clearTimeout(timer);
      this.waiting.delete(wake);
      link.off('close', wake);
      this.dispatch(session, target, link, since, route);
    };
    const timer = setTimeout(wake, waitMs);
    this.waiting.add(wake);
    link.once('close', wake);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.routesChanged?.dispose();
    await this.options.extension?.close();
    this.wakeWaiting();
    for (const worker of this.probation) worker.close();
    this.probation.clear();
    await this.picker.close();
  }
}

/** Who a link came from, for logs: the user its inbound authenticated, else the inbound. */
function describeLinkSource(session: Session): string {
  if (session.userKey !== undefined) return `user ${session.user ?? session.userKey.slice(0, 8)}`;
  return `inbound "${session.inboundTag}"`;
}

/**
 * The live links, least loaded first. 4.34 sweeps closed workers out every 30 s; Porthole drops a
 * worker as soon as its link closes, and closes drained links once idle.
 */
export class StaticMuxPicker {
  private list: PortalWorker[] = [];
  private readonly cTask: Disposable;

  constructor() {
    this.cTask = disposableInterval(() => this.closeIdleDrained(), PORTAL_HEARTBEAT_MS);
  }

  get workers(): readonly PortalWorker[] {
    return this.list;
  }

  cleanup(): void {
    this.list = this.list.filter((worker) => !worker.closed());
  }

  /**
   * 4.34's rule: the non-draining link with the fewest sessions; if all drain, the least loaded of
   * those. With a route, only the links it accepts are candidates.
   */
  pickAvailable(route?: LinkRoute): PortalWorker | undefined {
    let best: PortalWorker | undefined;
    for (const candidate of this.list) {
      if (candidate.closed() || (route && !route.accepts(candidate))) continue;
      if (!best || (best.draining && !candidate.draining) || (best.draining === candidate.draining && candidate.activeSessions < best.activeSessions)) {
        best = candidate;
      }
    }
    return best;
  }

  addWorker(worker: PortalWorker): void {
    this.list.push(worker);
  }

  async close(): Promise<void> {
    this.cTask.dispose();
    for (const worker of [...this.list]) worker.close();
    this.list = [];
  }

  /** Porthole: a draining link with nothing left on it is closed. */
  private closeIdleDrained(): void {
    for (const worker of [...this.list]) if (worker.draining && worker.mux.activeStreams === 0) worker.close();
  }
}

/** One bridge link as the portal sees it; its control session is what extensions get as their channel. */
export class PortalWorker implements PortalControlChannel {
  /** 4.34's `client` (a `mux.ClientWorker`). */
  readonly mux: MuxClient;
  private readonly control: MuxStream;
  private heartbeatTask: Disposable | undefined;
  draining = false;

  /**
   * @param session the session the link arrived with (whose it is)
   * @param onDrain told once the link is sent DRAIN
   */
  constructor(link: Link, readonly session: Session, options: PortalOptions, private readonly onDrain: () => void) {
    this.mux = new MuxClient(link, { streamBufferBytes: options.streamBufferBytes, log: options.log });
    this.control = this.mux.openStream({ network: 'udp', address: { kind: 'domain', value: CONTROL_DOMAIN }, port: 0 }, 0);
    // The first Control message carries Porthole's offers; a 4.34 bridge skips their fields.
    this.control.write(encodeControl(ControlState.Active, undefined, options.extension?.offer()));
    // A 4.34 bridge never writes here; whatever a bridge writes is read (by extensions that listen), never left to fill the stream's buffer.
    this.control.resume();
    this.heartbeatTask = disposableInterval(() => this.heartbeat(), PORTAL_HEARTBEAT_MS);
    this.mux.onDidClose(() => this.stopHeartbeat());
  }

  /** Sessions open now, control excluded. */
  get activeSessions(): number {
    return this.mux.activeStreams - (this.draining ? 0 : 1);
  }

  /** Heartbeat: ACTIVE, or DRAIN once the link has carried enough sessions (then End on control). */
  private heartbeat(): void {
    if (this.mux.closed || this.draining) return;
    if (this.mux.sessionsOpened > PORTAL_DRAIN_AFTER_SESSIONS) {
      this.draining = true;
      this.control.end(encodeControl(ControlState.Drain));
      this.stopHeartbeat();
      this.onDrain();
      return;
    }
    this.control.write(encodeControl(ControlState.Active));
  }

  private stopHeartbeat(): void {
    this.heartbeatTask?.dispose();
    this.heartbeatTask = undefined;
  }

  closed(): boolean {
    return this.mux.closed;
  }

  close(): void {
    this.stopHeartbeat();
    this.mux.close();
  }

  /** PortalControlChannel: the link closed or drains. */
  get retired(): boolean {
    return this.mux.closed || this.draining;
  }

  /** PortalControlChannel: an extension's message goes in a Control message (ACTIVE, as a heartbeat would say). */
  send(extension: ControlExtension): void {
    if (this.retired) return;
    this.control.write(encodeControl(ControlState.Active, undefined, extension));
  }

  /** PortalControlChannel: what a Porthole bridge writes on the control session. */
  onMessage(listener: (bytes: Buffer) => void): void {
    this.control.on('data', listener);
  }

  onDidClose(listener: () => void): void {
    this.mux.onDidClose(() => listener());
  }
}
