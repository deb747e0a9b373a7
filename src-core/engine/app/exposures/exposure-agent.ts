/**
 * The bridge's side of one-click exposures. It knows which local services the user exposes and,
 * per portal link:
 * - a Porthole portal offered exposures in its first Control message: the agent asks it for a
 *   public port for each enabled exposure (on every such link, so losing one link loses nothing)
 *   and records the answers;
 * - a V2Ray portal offered nothing: nothing extra goes on the wire, and the exposures wait for
 *   the user to apply Server setup on the portal (`'setup-needed'`).
 * It listens on each link's control session as the bridge's `BridgeExtension`. Connections coming
 * out of the tunnel towards an exposure's local address are recognised by the dispatcher it wraps
 * around the bridge's (`dispatcherFor`), which sends them to that exposure's own outbound,
 * whatever the routing rules.
 */
import { formatErrorLine } from '../../common/errors.js';
import { formatAddress, parseAddress, type Destination } from '../../common/net.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import type { ComponentLogger } from '../../features/log.js';
import type { BridgeControlChannel, BridgeExtension } from '../reverse/control-channel.js';
import { decodeExposureReply, encodeBridgeExposureMessage, type ExposeRequest, type ExposureReply } from './exposure-wire.js';
import { exposureTag } from './tag.js';

/** An exposure as the engine runs it; the service persists them and applies "Pause all". */
export interface ExposureSpec {
  readonly id: string;
  readonly name: string;
  readonly localHost: string;
  readonly localPort: number;
  /** Null lets the portal pick one from its range. */
  readonly publicPort: number | null;
  readonly enabled: boolean;
  /** A name at a Porthole portal's edge: `<label>.<its domain>`. */
  readonly label?: string;
  /** A full name of the user's own, where the portal serves them. */
  readonly customDomain?: string;
  /** Visitors by name must send these credentials (checked at the portal). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** Visitors' addresses must be in these CIDRs (checked at the portal). */
  readonly allow?: readonly string[];
  /** The portal writes a PROXY protocol header (v1 or v2) before each visitor's bytes on the public port. */
  readonly proxyProtocol?: 1 | 2;
}

export type AgentExposureState = 'disabled' | 'offline' | 'requesting' | 'live' | 'setup-needed' | 'refused';

export interface AgentExposureStatus {
  state: AgentExposureState;
  /** `host:port`, once live; for a V2Ray portal, where Server setup puts it. */
  publicAddress: string | null;
  /** Where visitors reach it by name (`https://app.tunnel.example.com`), once live at a portal with names. */
  urls: string[];
  problem: { code: string; message: string } | null;
}

/** A link on which the portal offered exposures. */
export interface ExposureLink {
  send(message: Buffer): void;
}

/** What a V2Ray portal's dokodemo-door gets when the user chose no port: 80 → 8080, 3000 → 3000. */
export function defaultPublicPort(localPort: number): number {
  return localPort < 1024 ? 8000 + localPort : localPort;
}

/** How often a refusal that may pass (a public port another program held) is asked again. */
export const EXPOSURE_RETRY_MS = 30_000;

/**
 * Refusals that can end without anyone changing the exposure: a port another program held, or the
 * user's allowance on the portal (`maxPerUser`), which frees up when one of its exposures goes.
 */
const RETRIED_CODES = new Set(['PH_EXPOSE_PORT_TAKEN', 'PH_EXPOSE_LIMIT']);

export interface ExposureAgentOptions {
  log: ComponentLogger;
  /** The host the bridge dials the portal at (for public addresses); undefined when in-process. */
  serverHost: () => string | undefined;
  retryMs?: number;
}

interface Answer {
  /** The request the answer is for: a changed exposure is asked again. */
  request: ExposeRequest;
  reply: ExposureReply | undefined;
}

export class ExposureAgent implements BridgeExtension {
  private specs: ExposureSpec[] = [];
  private readonly links = new Set<ExposureLink>();
  private readonly answers = new Map<string, Answer>();
  /** Null until a portal has spoken: then whether it is Porthole (took the offer) or V2Ray. */
  private portal: 'porthole' | 'v2ray' | null = null;
  private retryTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: ExposureAgentOptions) {}

  get portalKind(): 'porthole' | 'v2ray' | null {
    return this.portal;
  }

  /** The exposures to keep, in order; asks for new or changed ones and withdraws the rest. */
  setExposures(specs: readonly ExposureSpec[]): void {
    const before = new Map(this.specs.map((spec) => [spec.id, spec]));
    this.specs = [...specs];
    const expose: ExposeRequest[] = [];
    const unexpose: string[] = [];
    for (const spec of specs) {
      const previous = before.get(spec.id);
      before.delete(spec.id);
      if (!spec.enabled) {
        if (previous?.enabled) unexpose.push(spec.id);
        this.answers.delete(spec.id);
        continue;
      }
      const request = requestOf(spec);
      const answered = this.answers.get(spec.id);
      if (answered && sameRequest(answered.request, request)) continue;
      this.answers.set(spec.id, { request, reply: undefined });
      expose.push(request);
    }
    for (const gone of before.values()) {
      this.answers.delete(gone.id);
      if (gone.enabled) unexpose.push(gone.id);
    }
    this.broadcast(expose, unexpose);
    // A withdrawn exposure frees a place in the user's allowance: ask again at once for those
    // refused for the limit, in a message of its own (a message's requests go before its withdrawals).
    if (unexpose.length > 0) this.broadcast(this.refusedRequests('PH_EXPOSE_LIMIT'), []);
  }

  /**
   * BridgeExtension: the portal's first Control message says whether it takes exposures (a
   * Porthole portal offers them; a V2Ray portal says nothing, and nothing is written to it).
   */
  linkAdded(channel: BridgeControlChannel): void {
    const link: ExposureLink = { send: (bytes) => channel.send(bytes) };
    let heard = false;
    channel.onControl((control) => {
      if (!heard) {
        heard = true;
        if (control.exposureOffer) this.linkOffered(link);
        else this.linkWithoutOffer();
      }
      for (const reply of control.exposureReplies ?? []) {
        try {
          this.reply(decodeExposureReply(reply));
        } catch (error) {
          // Only this answer is dropped: the link and everything on it go on.
          this.options.log.warning(`ignoring an exposure reply that does not parse: ${formatErrorLine(error)}`);
        }
      }
    });
    channel.onDidRetire(() => this.linkGone(link));
  }

  /**
   * The bridge's dispatcher, with one change: a session out of the tunnel towards an enabled
   * exposure's local address goes to that exposure's own outbound (its counters are the
   * exposure's traffic); everything else, and a switched-off exposure's address, is routed as
   * V2Ray would.
   */
  dispatcherFor(dispatcher: Dispatcher): Dispatcher {
    return {
      dispatch: (session, target, connection) => {
        const exposure = this.match(target);
        dispatcher.dispatch(exposure?.enabled ? { ...session, outboundTag: exposureTag(exposure.id) } : session, target, connection);
      },
    };
  }

  /** A Porthole portal offered exposures on this link: ask it for every enabled one. */
  linkOffered(link: ExposureLink): void {
    this.portal = 'porthole';
    this.links.add(link);
    const requests = this.specs.filter((spec) => spec.enabled).map(requestOf);
    for (const request of requests) {
      const answer = this.answers.get(request.id);
      if (!answer?.reply?.publicPort) this.answers.set(request.id, { request, reply: answer?.reply });
    }
    if (requests.length > 0) link.send(encodeBridgeExposureMessage({ expose: requests, unexpose: [] }));
  }

  /** The portal's first Control message carried no offer: it is V2Ray (or a Porthole that predates exposures). */
  linkWithoutOffer(): void {
    if (this.portal === null || this.links.size === 0) this.portal = 'v2ray';
  }

  /** The link closed or drains: it carries no more requests. */
  linkGone(link: ExposureLink): void {
    this.links.delete(link);
  }

  reply(reply: ExposureReply): void {
    const answer = this.answers.get(reply.id);
    if (!answer) return;
    if (reply.publicPort === 0 && RETRIED_CODES.has(reply.errorCode ?? '')) this.scheduleRetries();
    const first = answer.reply === undefined || answer.reply.publicPort !== reply.publicPort || answer.reply.error !== reply.error
      || String(answer.reply.urls) !== String(reply.urls);
    answer.reply = reply;
    if (!first) return;
    const named = reply.urls?.length ? ` and ${reply.urls.join(', ')}` : '';
    if (reply.publicPort > 0) this.options.log.info(`exposure "${answer.request.name}" is live at ${this.publicHost(reply)}:${reply.publicPort}${named}`);
    else this.options.log.warning(`the portal refused exposure "${answer.request.name}": ${reply.error ?? 'no reason given'}`);
  }

  /** Stops asking again (the engine stops). */
  close(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Asks again, now and then, for exposures refused for a reason that may pass; stops when none is left. */
  private scheduleRetries(): void {
    if (this.retryTimer) return;
    this.retryTimer = setInterval(() => {
      const retried = this.refusedRequests(...RETRIED_CODES);
      if (retried.length === 0) {
        this.close();
        return;
      }
      this.broadcast(retried, []);
    }, this.options.retryMs ?? EXPOSURE_RETRY_MS);
    this.retryTimer.unref();
  }

  /** The requests whose last answer was a refusal with one of `codes`. */
  private refusedRequests(...codes: string[]): ExposeRequest[] {
    return [...this.answers.values()]
      .filter(({ reply }) => reply !== undefined && reply.publicPort === 0 && codes.includes(reply.errorCode ?? ''))
      .map(({ request }) => request);
  }

  /** The enabled or disabled exposure whose local address `target` is, if any. */
  match(target: Destination): ExposureSpec | undefined {
    if (target.network !== 'tcp') return undefined;
    const host = formatAddress(target.address);
    return this.specs.find((spec) => spec.localPort === target.port && formatAddress(parseAddress(spec.localHost)) === host);
  }

  status(id: string): AgentExposureStatus {
    const spec = this.specs.find((candidate) => candidate.id === id);
    if (!spec) return { state: 'offline', publicAddress: null, urls: [], problem: null };
    if (!spec.enabled) return { state: 'disabled', publicAddress: null, urls: [], problem: null };
    if (this.portal === 'v2ray') {
      const host = this.options.serverHost() ?? '127.0.0.1';
      return { state: 'setup-needed', publicAddress: `${host}:${spec.publicPort ?? defaultPublicPort(spec.localPort)}`, urls: [], problem: null };
    }
    const reply = this.answers.get(id)?.reply;
    if (this.links.size === 0) {
      return { state: 'offline', publicAddress: null, urls: [], problem: null };
    }
    if (!reply) return { state: 'requesting', publicAddress: null, urls: [], problem: null };
    if (reply.publicPort === 0) {
      return { state: 'refused', publicAddress: null, urls: [], problem: { code: reply.errorCode ?? 'PH_EXPOSE_NOT_ALLOWED', message: reply.error ?? 'the portal refused' } };
    }
    return { state: 'live', publicAddress: `${this.publicHost(reply)}:${reply.publicPort}`, urls: reply.urls ?? [], problem: null };
  }

  private publicHost(reply: ExposureReply): string {
    return reply.publicHost ?? this.options.serverHost() ?? '127.0.0.1';
  }

  private broadcast(expose: ExposeRequest[], unexpose: string[]): void {
    if (expose.length === 0 && unexpose.length === 0) return;
    const message = encodeBridgeExposureMessage({ expose, unexpose });
    for (const link of this.links) link.send(message);
  }
}

function requestOf(spec: ExposureSpec): ExposeRequest {
  return {
    id: spec.id, localHost: spec.localHost, localPort: spec.localPort, publicPort: spec.publicPort ?? 0, name: spec.name,
    ...(spec.label ? { label: spec.label } : {}),
    ...(spec.customDomain ? { customDomain: spec.customDomain } : {}),
    ...(spec.basicAuth ? { basicAuth: { ...spec.basicAuth } } : {}),
    ...(spec.allow?.length ? { allow: [...spec.allow] } : {}),
    ...(spec.proxyProtocol ? { proxyProtocol: spec.proxyProtocol } : {}),
  };
}

function sameRequest(a: ExposeRequest, b: ExposeRequest): boolean {
  return a.localHost === b.localHost && a.localPort === b.localPort && a.publicPort === b.publicPort
    && a.label === b.label && a.customDomain === b.customDomain && a.proxyProtocol === b.proxyProtocol
    && a.basicAuth?.user === b.basicAuth?.user && a.basicAuth?.password === b.basicAuth?.password
    && String(a.allow ?? []) === String(b.allow ?? []);
}
