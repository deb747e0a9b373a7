/**
 * The portal (V2Ray's `app/reverse/portal.go`, wire doc §5.2–§5.4): an outbound handler named by
 * the portal's tag. A connection whose target is the portal domain is a bridge link: the portal
 * becomes its Mux client, opens the control session and heartbeats on it. Every other connection
 * becomes a new session on the least-loaded live link.
 *
 * Better than 4.34: a dead link leaves the picker at once (4.34 keeps picking it for up to 30 s),
 * and an internet connection that arrives while no link is up waits briefly for one instead of
 * failing at once.
 *
 * Porthole's exposures (exposure-host.ts): a connection that arrived on an exposure's public port
 * goes only to a link that holds that exposure (its bridge user's), never to the least-loaded
 * link of another bridge; with none, it waits the same while, then is reset.
 */
import { formatErrorLine } from '../../common/errors.js';
import { disposableInterval, type Disposable } from '../../common/disposable.js';
import { formatDestination, type Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import { MuxClient } from '../../common/mux/client.js';
import { CONTROL_DOMAIN } from '../../common/mux/consts.js';
import type { MuxStream } from '../../common/mux/session.js';
import type { ComponentLogger } from '../../features/log.js';
import type { OutboundHandler } from '../../features/outbound.js';
import type { Link } from '../../transport/link.js';
import { abortStream } from '../../transport/abort.js';
import { pumpBoth } from '../../transport/pump.js';
import { DEFAULT_FLOW_WINDOW } from '../../common/mux/flow.js';
import { ControlState, encodeControl } from './control.js';
import { exposureOwnerOf, type ExposureHolder, type ExposureHost, type ExposureOwner, type ExposureRoute } from './exposure-host.js';
import { decodeBridgeExposureMessage, encodeExposureReply, type ExposureReply } from './exposure-wire.js';

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
  /** Answers Porthole bridges' exposure requests (refusing them when the config allows none). */
  exposures?: ExposureHost;
}

/** What the portal hears from one of its links. */
interface PortalLinkEvents {
  drained(portalLink: PortalLink): void;
  /** The link now holds an exposure (connections waiting for one of its links may go). */
  holds(): void;
}

/** One bridge link as the portal sees it. */
export class PortalLink implements ExposureHolder {
  readonly mux: MuxClient;
  private readonly control: MuxStream;
  private heartbeat: Disposable | undefined;
  draining = false;

  /** @param owner the bridge user that opened the link (exposures are kept per user). */
  constructor(link: Link, options: PortalOptions, readonly owner: ExposureOwner, private readonly events: PortalLinkEvents) {
    this.mux = new MuxClient(link, { streamBufferBytes: options.streamBufferBytes, log: options.log });
    this.control = this.mux.openStream({ network: 'udp', address: { kind: 'domain', value: CONTROL_DOMAIN }, port: 0 }, 0);
    // A 4.34 bridge never writes here; a Porthole bridge that saw the exposure offer does.
    const exposures = options.exposures;
    this.control.on('data', (bytes: Buffer) => {
      if (exposures) this.handleExposureMessage(exposures, bytes, options.log);
    });
    // The first Control message offers Porthole flow control and exposures; a 4.34 bridge skips both fields.
    this.mux.offerFlowControl(DEFAULT_FLOW_WINDOW);
    this.control.write(encodeControl(ControlState.Active, undefined, { flowWindow: DEFAULT_FLOW_WINDOW, exposureOffer: exposures !== undefined }));
    this.heartbeat = disposableInterval(() => this.sendHeartbeat(), PORTAL_HEARTBEAT_MS);
    this.mux.onDidClose(() => {
      this.stopHeartbeat();
      exposures?.holderGone(this);
    });
  }

  /** ExposureHolder: the link is closed. */
  get gone(): boolean {
    return this.mux.closed;
  }

  /** ExposureHolder: answers go back in a Control message (ACTIVE, as a heartbeat would say). */
  reply(reply: ExposureReply): void {
    if (this.mux.closed || this.draining) return;
    this.control.write(encodeControl(ControlState.Active, undefined, { exposureReplies: [encodeExposureReply(reply)] }));
    if (reply.publicPort > 0) this.events.holds();
  }

  private handleExposureMessage(exposures: ExposureHost, bytes: Buffer, log: ComponentLogger): void {
    try {
      const message = decodeBridgeExposureMessage(bytes);
      for (const request of message.expose) void exposures.expose(this, request);
      for (const id of message.unexpose) void exposures.unexpose(this, id);
    } catch (error) {
      // Only this message is dropped: the link and everything on it go on.
      log.warning(`ignoring an exposure message that does not parse: ${formatErrorLine(error)}`);
    }
  }

  /** Sessions open now, control excluded. */
  get activeSessions(): number {
    return this.mux.activeStreams - (this.draining ? 0 : 1);
  }

  /** Heartbeat: ACTIVE, or DRAIN once the link has carried enough sessions (then End on control). */
  private sendHeartbeat(): void {
    if (this.mux.closed || this.draining) return;
    if (this.mux.sessionsOpened > PORTAL_DRAIN_AFTER_SESSIONS) {
      this.draining = true;
      this.control.end(encodeControl(ControlState.Drain));
      this.stopHeartbeat();
      this.events.drained(this);
      return;
    }
    this.control.write(encodeControl(ControlState.Active));
  }

  private stopHeartbeat(): void {
    this.heartbeat?.dispose();
    this.heartbeat = undefined;
  }

  /** A draining link with nothing left on it is closed. */
  closeIfIdle(): void {
    if (this.draining && this.mux.activeStreams === 0) this.mux.close();
  }
}

export class Portal implements OutboundHandler {
  readonly tag: string;
  private readonly links: PortalLink[] = [];
  private readonly waiting = new Set<() => void>();
  private readonly idleCheck: Disposable;
  private closed = false;
  /** Links sent DRAIN so far (for the UI and tests). */
  drainedLinks = 0;

  constructor(private readonly options: PortalOptions) {
    this.tag = options.tag;
    this.idleCheck = disposableInterval(() => this.closeIdleDrainedLinks(), PORTAL_HEARTBEAT_MS);
  }

  /** Live links (for the UI and tests). */
  get linkCount(): number {
    return this.links.length;
  }

  /** Live links on which the bridge accepted Porthole flow control. */
  get flowControlledLinks(): number {
    return this.links.filter((portalLink) => portalLink.mux.flow !== undefined).length;
  }

  /** Public ports opened for bridges' exposures (for the UI). */
  get publicPorts(): { id: string; name: string; port: number; local: string }[] {
    return this.options.exposures?.openPorts ?? [];
  }

  /** Open sessions per live link, control excluded. */
  linkLoads(): number[] {
    return this.links.map((portalLink) => portalLink.activeSessions);
  }

  process(session: Session, target: Destination, link: Link): void {
    // Checked first: a public port's connection is never a link, whatever local address it targets.
    const exposure = this.options.exposures?.routeOf(session);
    if (exposure) {
      this.carry(session, target, link, Date.now(), exposure);
      return;
    }
    if (target.address.kind === 'domain' && target.address.value === this.options.domain) {
      this.addLink(link, session);
      return;
    }
    this.carry(session, target, link, Date.now());
  }

  private addLink(link: Link, session: Session): void {
    const owner = exposureOwnerOf(session);
    const portalLink = new PortalLink(link, this.options, owner, {
      drained: () => {
        this.drainedLinks += 1;
        this.options.log.info(`link drained after ${PORTAL_DRAIN_AFTER_SESSIONS} sessions; the bridge will open a fresh one`, session.id);
      },
      holds: () => this.wakeWaiting(),
    });
    this.links.push(portalLink);
    this.options.log.info(`bridge link up from ${owner.label} (${this.links.length} live)`, session.id);
    portalLink.mux.onDidClose((error) => {
      const index = this.links.indexOf(portalLink);
      if (index >= 0) this.links.splice(index, 1);
      this.options.log.info(`bridge link down from ${owner.label} (${this.links.length} live)${error ? `: ${formatErrorLine(error)}` : ''}`, session.id);
    });
    this.wakeWaiting();
  }

  private wakeWaiting(): void {
    for (const wake of [...this.waiting]) wake();
  }

  /**
   * Opens a session for an internet connection on the best link (for an exposure's connection:
   * the best of the links that hold it), waiting a little for one if none is up.
   */
  private carry(session: Session, target: Destination, link: Link, since: number, exposure?: ExposureRoute): void {
    const portalLink = this.pick(exposure);
    if (portalLink) {
      const stream = portalLink.mux.openStream(target);
      void pumpBoth(link, stream);
      return;
    }
    const waitMs = (this.options.waitForLinkMs ?? PORTAL_WAIT_FOR_LINK_MS) - (Date.now() - since);
    if (waitMs <= 0 || link.destroyed || this.closed) {
      if (exposure) {
        this.options.log.summarised('warning', `no link of ${exposure.description}`, `no link of ${exposure.description} for ${formatDestination(target)}: resetting the connection`, session.id);
        abortStream(link);
        return;
      }
      this.options.log.summarised('warning', 'no bridge link', `no bridge link for ${formatDestination(target)}: resetting the connection`, session.id);
      abortStream(link);
      return;
    }
    const wake = () => {
      clearTimeout(timer);
      this.waiting.delete(wake);
      link.off('close', wake);
      this.carry(session, target, link, since, exposure);
    };
    const timer = setTimeout(wake, waitMs);
    this.waiting.add(wake);
    link.once('close', wake);
  }

  /**
   * The live non-draining link with the fewest sessions; if all drain, the least loaded of those.
   * For an exposure's connection, only links that hold the exposure are candidates.
   */
  private pick(exposure?: ExposureRoute): PortalLink | undefined {
    let best: PortalLink | undefined;
    for (const candidate of this.links) {
      if (candidate.mux.closed || (exposure && !exposure.accepts(candidate))) continue;
      if (!best || (best.draining && !candidate.draining) || (best.draining === candidate.draining && candidate.activeSessions < best.activeSessions)) {
        best = candidate;
      }
    }
    return best;
  }

  private closeIdleDrainedLinks(): void {
    for (const portalLink of [...this.links]) portalLink.closeIfIdle();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idleCheck.dispose();
    await this.options.exposures?.close();
    this.wakeWaiting();
    for (const portalLink of [...this.links]) portalLink.mux.close();
    this.links.length = 0;
  }
}
