/**
 * The portal (V2Ray's `app/reverse/portal.go`, wire doc §5.2–§5.4): an outbound handler named by
 * the portal's tag. A connection whose target is the portal domain is a bridge link: the portal
 * becomes its Mux client, opens the control session and heartbeats on it. Every other connection
 * becomes a new session on the least-loaded live link.
 *
 * Better than 4.34: a dead link leaves the picker at once (4.34 keeps picking it for up to 30 s),
 * and an internet connection that arrives while no link is up waits briefly for one instead of
 * failing at once.
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
import { pumpBoth } from '../../transport/pump.js';
import { DEFAULT_FLOW_WINDOW } from '../../common/mux/flow.js';
import { ControlState, encodeControl } from './control.js';
import type { ExposureHolder, ExposureHost } from './exposure-host.js';
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

/** One bridge link as the portal sees it. */
export class PortalLink implements ExposureHolder {
  readonly mux: MuxClient;
  private readonly control: MuxStream;
  private heartbeat: Disposable | undefined;
  draining = false;

  constructor(link: Link, options: PortalOptions, private readonly onDrained: (portalLink: PortalLink) => void) {
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

  /** ExposureHolder: answers go back in a Control message (ACTIVE, as a heartbeat would say). */
  reply(reply: ExposureReply): void {
    if (this.mux.closed || this.draining) return;
    this.control.write(encodeControl(ControlState.Active, undefined, { exposureReplies: [encodeExposureReply(reply)] }));
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
      this.onDrained(this);
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
    if (target.address.kind === 'domain' && target.address.value === this.options.domain) {
      this.addLink(link, session);
      return;
    }
    this.carry(session, target, link, Date.now());
  }

  private addLink(link: Link, session: Session): void {
    const portalLink = new PortalLink(link, this.options, () => {
      this.drainedLinks += 1;
      this.options.log.info(`link drained after ${PORTAL_DRAIN_AFTER_SESSIONS} sessions; the bridge will open a fresh one`, session.id);
    });
    this.links.push(portalLink);
    this.options.log.info(`bridge link up (${this.links.length} live)`, session.id);
    portalLink.mux.onDidClose((error) => {
      const index = this.links.indexOf(portalLink);
      if (index >= 0) this.links.splice(index, 1);
      this.options.log.info(`bridge link down (${this.links.length} live)${error ? `: ${formatErrorLine(error)}` : ''}`, session.id);
    });
    for (const wake of [...this.waiting]) wake();
  }

  /** Opens a session for an internet connection on the best link, waiting a little for one if none is up. */
  private carry(session: Session, target: Destination, link: Link, since: number): void {
    const portalLink = this.pick();
    if (portalLink) {
      const stream = portalLink.mux.openStream(target);
      void pumpBoth(link, stream);
      return;
    }
    const waitMs = (this.options.waitForLinkMs ?? PORTAL_WAIT_FOR_LINK_MS) - (Date.now() - since);
    if (waitMs <= 0 || link.destroyed || this.closed) {
      this.options.log.warning(`no bridge link for ${formatDestination(target)}: closing the connection`, session.id);
      link.destroy();
      return;
    }
    const wake = () => {
      clearTimeout(timer);
      this.waiting.delete(wake);
      link.off('close', wake);
      this.carry(session, target, link, since);
    };
    const timer = setTimeout(wake, waitMs);
    this.waiting.add(wake);
    link.once('close', wake);
  }

  /** The live non-draining link with the fewest sessions; if all drain, the least loaded of those. */
  private pick(): PortalLink | undefined {
    let best: PortalLink | undefined;
    for (const candidate of this.links) {
      if (candidate.mux.closed) continue;
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
    for (const wake of [...this.waiting]) wake();
    for (const portalLink of [...this.links]) portalLink.mux.close();
    this.links.length = 0;
  }
}
