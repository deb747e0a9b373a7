/**
 * The portal's side of one-click exposures: Porthole bridges ask (over the control session, see
 * `exposure-wire.ts`) for a public port for one of their local services; the host opens it from
 * the range the portal's owner allows, sends what arrives there to the portal (as a dokodemo-door
 * inbound whose connections skip routing), and closes it when the bridge withdraws the exposure or
 * when no link that asked for it is left (after a grace period, so a reconnecting bridge keeps its
 * port).
 *
 * An exposure belongs to the bridge user that asked for it (the VMess user that authenticated the
 * link): ids are the bridge's own, so they are kept per user (another user's same id is another
 * exposure, and cannot withdraw or replace this one), each user may hold `maxPerUser` exposures,
 * and the portal carries an exposure's connections only on links that hold it (`routeOf`).
 *
 * It listens on each link's control session as the portal's `PortalExtension`, and asks a
 * `PublicListenerFactory` for its public ports.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { toDisposable, type Disposable } from '../../common/disposable.js';
import { formatErrorLine, type ErrorCode, type PortholeError } from '../../common/errors.js';
import type { Session } from '../../common/session.js';
import { DEFAULT_EXPOSURES_PER_USER, type PortalExposuresConfig, type PortRange } from '../../config/index.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import type { InboundHandler } from '../../features/inbound.js';
import type { ComponentLogger } from '../../features/log.js';
import { parseAddress, type Destination } from '../../common/net.js';
import { newSession } from '../../common/session.js';
import { createLinkPair } from '../../transport/link.js';
import { pumpBoth } from '../../transport/pump.js';
import { addressAllowed } from '../edge/edge-access.js';
import { encodeProxyHeader } from '../edge/proxy-protocol.js';
import { abortStream } from '../../transport/abort.js';
import type { EdgeAccess, EdgeRoute, Visitor } from '../edge/routes.js';
import type { ControlExtension } from '../reverse/control.js';
import type { LinkRoute, PortalControlChannel, PortalExtension } from '../reverse/control-channel.js';
import { decodeBridgeExposureMessage, encodeExposureReply, type ExposeRequest, type ExposureReply } from './exposure-wire.js';
import { NO_NAMES, isRefusal, type ExposureNames } from './exposure-names.js';
import type { PublicListenerFactory } from './public-listener.js';
import { bridgeUserExposureTag, exposureTag } from './tag.js';
import { nodeListenHost } from '../../transport/tcp.js';

/** How long a public port stays open after the last link that asked for it is gone. */
export const EXPOSURE_GRACE_MS = 15_000;
/** Ports tried when the bridge lets the portal pick one. */
const MAX_PICK_ATTEMPTS = 200;

/** Who holds exposures: one bridge user, however many links it has. */
export interface ExposureOwner {
  /** Equal for every link of one user, different between users. */
  readonly key: string;
  /** How logs name it: the user's email, or the start of its key. */
  readonly label: string;
  /**
   * How its exposures' public listeners are tagged (`exposure@<tagName>:<id>`), so two users'
   * same id are two stats rows. Undefined for this instance's own bridge (the built-in local
   * portal): its listeners keep the bare `exposure:<id>` its exposures' outbounds have.
   */
  readonly tagName?: string;
}

/**
 * The owner of a bridge link, from the session its inbound made: the VMess user that
 * authenticated it. A link no inbound authenticated (a bridge in this same instance, or a config
 * that routes an inbound without users to the portal) belongs to that inbound's tag.
 */
export function exposureOwnerOf(session: Session, isOwnBridge: (tag: string) => boolean = () => false): ExposureOwner {
  if (session.userKey !== undefined) {
    // The user key is already a digest, safe to show; logs name the user by its first 8 digits.
    return { key: `user:${session.userKey}`, label: `user ${session.user ?? session.userKey.slice(0, 8)}`, tagName: session.userKey };
  }
  const key = `inbound:${session.inboundTag}`;
  const label = `inbound "${session.inboundTag}"`;
  if (isOwnBridge(session.inboundTag)) return { key, label };
  // An inbound's tag may hold any character; a digest keeps the listener's tag parseable.
  return { key, label, tagName: createHash('sha256').update(key).digest('hex').slice(0, 16) };
}

/** One bridge link that asked for exposures; replies go back through it. */
export interface ExposureHolder {
  readonly owner: ExposureOwner;
  /** The link has closed (its `holderGone` has run, or is about to). */
  readonly gone: boolean;
  reply(reply: ExposureReply): void;
}

/** Where the portal may carry a connection that arrived on an exposure's public port: links that hold that exposure now (and so belong to its owner). */
export type ExposureRoute = LinkRoute;

export interface ExposureHostOptions {
  /** The portal's `exposures` config; undefined: every request is refused, saying how to allow it. */
  config: PortalExposuresConfig | undefined;
  portalTag: string;
  dispatcher: Dispatcher;
  log: ComponentLogger;
  /** Opens the public ports (instance.ts: dokodemo-door inbounds). */
  listeners: PublicListenerFactory;
  /** True for the tag of a bridge of this same instance (its links are the instance's own; see ExposureOwner.tagName). */
  isOwnBridge?: (tag: string) => boolean;
  graceMs?: number;
  /** Names at the portal's edge (`exposures.names`); undefined: label requests are refused, saying how to allow them. */
  names?: ExposureNames;
  /** The listeners that serve those names: started and closed with the host. */
  edge?: { start(): Promise<void>; close(): Promise<void> };
}

interface HostedExposure {
  readonly owner: ExposureOwner;
  request: ExposeRequest;
  port: number;
  /** The public listener's tag: connections through the edge carry it too, so stats count them with the port's. */
  tag: string;
  target: Destination;
  /** Names it holds at the edge. */
  names: string[];
  /** Who may visit, from `request` (one object per request, so the edge compiles it once). */
  access: EdgeAccess;
  inbound: InboundHandler;
  holders: Set<ExposureHolder>;
  grace: ReturnType<typeof setTimeout> | undefined;
}

export class ExposureHost implements PortalExtension {
  /** By owner and id (`holdingKey`): ids are chosen by bridges, so only the owner's are its own. */
  private readonly hosted = new Map<string, HostedExposure>();
  /** The holder each portal link is, once it has been added. */
  private readonly holders = new WeakMap<PortalControlChannel, ExposureHolder>();
  private readonly routeListeners = new Set<() => void>();
  /** The exposure each connection from a public port arrived on, for `routeOf`. */
  private readonly arrivals = new WeakMap<Session, HostedExposure>();
  /** The edge's route to each hosted exposure (routeTo). */
  private readonly routes = new WeakMap<HostedExposure, EdgeRoute>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ExposureHostOptions) {}

  /** Public ports open now, by exposure id (for the UI and tests). */
  get openPorts(): { id: string; name: string; port: number; local: string }[] {
    return [...this.hosted.values()].map((hosted) => ({ id: hosted.request.id, name: hosted.request.name, port: hosted.port, local: `${hosted.request.localHost}:${hosted.request.localPort}` }));
  }

  /** Exposures held now per owner (`ExposureOwner.tagName`, a bridge user's key), for the portal owner's users list. */
  exposureCountsByOwner(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const hosted of this.hosted.values()) {
      const owner = hosted.owner.tagName;
      if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * For a connection that arrived on an exposure's public port: which links may carry it (only
   * those that hold the exposure, never another bridge's). Undefined for any other connection.
   */
  routeOf(session: Session): ExposureRoute | undefined {
    const hosted = this.arrivals.get(session);
    if (!hosted) return undefined;
    const key = holdingKey(hosted.owner, hosted.request.id);
    return {
      // Read only when no link takes the connection: not built for every connection.
      get description() {
        return `exposure "${hosted.request.name}" (${hosted.request.id}) of ${hosted.owner.label}`;
      },
      accepts: (channel) => {
        const holder = this.holders.get(channel);
        return holder !== undefined && this.hosted.get(key) === hosted && hosted.holders.has(holder) && holder.owner.key === hosted.owner.key;
      },
    };
  }

  /** PortalExtension: every Porthole portal offers exposures (without `exposures` in its config it refuses them, saying how to allow them). */
  offer(): ControlExtension {
    return { exposureOffer: true };
  }

  /** PortalExtension: a bridge link is up; its owner is the user its inbound authenticated. */
  linkAdded(channel: PortalControlChannel): void {
    const holder: ExposureHolder = {
      owner: exposureOwnerOf(channel.session, this.options.isOwnBridge),
      get gone() {
        return channel.retired;
      },
      reply: (reply) => {
        // Answers go back in a Control message (ACTIVE, as a heartbeat would say).
        channel.send({ exposureReplies: [encodeExposureReply(reply)] });
        if (reply.publicPort > 0 && !channel.retired) for (const listener of [...this.routeListeners]) listener();
      },
    };
    this.holders.set(channel, holder);
    channel.onMessage((bytes) => this.handleMessage(holder, bytes));
    channel.onDidClose(() => this.holderGone(holder));
  }

  /** PortalExtension: fires when a link starts holding an exposure (connections waiting for one may go). */
  onDidChangeRoutes(listener: () => void): Disposable {
    this.routeListeners.add(listener);
    return toDisposable(() => this.routeListeners.delete(listener));
  }

  /** What a Porthole bridge wrote on the control session: requests and withdrawals. */
  private handleMessage(holder: ExposureHolder, bytes: Buffer): void {
    try {
      const message = decodeBridgeExposureMessage(bytes);
      for (const request of message.expose) void this.expose(holder, request);
      for (const id of message.unexpose) void this.unexpose(holder, id);
    } catch (error) {
      // Only this message is dropped: the link and everything on it go on.
      this.options.log.warning(`ignoring an exposure message that does not parse: ${formatErrorLine(error)}`);
    }
  }

  /** Opens (or confirms) the public port for `request`; always answers through `holder`. */
  expose(holder: ExposureHolder, request: ExposeRequest): Promise<void> {
    return this.serial(async () => {
      const reply = await this.exposeNow(holder, request);
      // A link that closed while its request waited must not hold the port (and the user's place) for ever.
      if (holder.gone) this.holderGone(holder);
      else holder.reply(reply);
    });
  }

  /** The bridge withdrew the exposure: its port closes now. Only the owner's own id counts. */
  unexpose(holder: ExposureHolder, id: string): Promise<void> {
    return this.serial(async () => {
      await this.remove(holdingKey(holder.owner, id), 'withdrawn by the bridge');
    });
  }

  /** A link closed: exposures no other link holds close after the grace period. */
  holderGone(holder: ExposureHolder): void {
    for (const [key, hosted] of this.hosted) {
      if (!hosted.holders.delete(holder) || hosted.holders.size > 0 || hosted.grace) continue;
      const graceMs = this.options.graceMs ?? EXPOSURE_GRACE_MS;
      hosted.grace = setTimeout(() => {
        void this.serial(async () => {
          if (this.hosted.get(key) === hosted && hosted.holders.size === 0) await this.remove(key, 'the bridge is gone');
        });
      }, graceMs);
      hosted.grace.unref();
    }
  }

  /** Starts the edge, if the portal has names; a port it cannot have is the error. */
  async start(): Promise<void> {
    await this.options.edge?.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.serial(async () => {
      for (const key of [...this.hosted.keys()]) await this.remove(key, 'the portal stops');
    });
    await this.options.edge?.close();
  }

  /** One request at a time: two bridges asking for the same port cannot both get it. */
  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task).catch((error: unknown) => {
      this.options.log.warning(`exposure request failed: ${formatErrorLine(error)}`);
    });
    this.queue = run;
    return run;
  }

  private async exposeNow(holder: ExposureHolder, request: ExposeRequest): Promise<ExposureReply> {
    const { config } = this.options;
    const refuse = (errorCode: ErrorCode, error: string): ExposureReply => {
      this.options.log.warning(`refused to expose "${request.name}" (${request.id}) of ${holder.owner.label}: ${error}`);
      return { id: request.id, publicPort: 0, errorCode, error };
    };
    if (this.closed) return refuse('PH_EXPOSE_NOT_ALLOWED', 'the portal is stopping');
    if (!config) {
      return refuse('PH_EXPOSE_NOT_ALLOWED', `this portal allows no exposures: its owner can add "exposures": {"ports": "20000-20099"} to reverse.portals "${this.options.portalTag}"`);
    }
    const key = holdingKey(holder.owner, request.id);
    const existing = this.hosted.get(key);
    if (existing) {
      const same = existing.request.localHost === request.localHost && existing.request.localPort === request.localPort
        && (request.publicPort === 0 || request.publicPort === existing.port);
      const names = this.checkNames(key, holder, request);
      if (same && !isRefusal(names)) {
        existing.holders.add(holder);
        if (existing.grace) clearTimeout(existing.grace);
        existing.grace = undefined;
        existing.request = request;
        existing.access = accessOf(request);
        this.claimNames(key, existing, names.names);
        return this.liveReply(existing);
      }
      await this.remove(key, 'changed by the bridge');
    }
    const names = this.checkNames(key, holder, request);
    if (isRefusal(names)) return refuse(names.notOffered ? 'PH_EXPOSE_NO_NAMES' : 'PH_EXPOSE_NAME', names.error);
    // One user cannot take the whole range (a replaced exposure was removed above, so it does not count).
    const allowed = config.maxPerUser ?? DEFAULT_EXPOSURES_PER_USER;
    const held = [...this.hosted.values()].filter((hosted) => hosted.owner.key === holder.owner.key).length;
    if (held >= allowed) {
      return refuse('PH_EXPOSE_LIMIT', `this portal allows ${allowed} exposure${allowed === 1 ? '' : 's'} per user, and you already have ${held}: remove one first, or ask the portal's owner to raise "maxPerUser"`);
    }
    if (request.publicPort !== 0) {
      if (!inRanges(config.ports, request.publicPort)) {
        return refuse('PH_EXPOSE_OUT_OF_RANGE', `public port ${request.publicPort} is outside the range this portal allows (${describeRanges(config.ports)})`);
      }
      const taken = this.atPort(request.publicPort);
      if (taken) {
        // Another user's exposure is not named to this one.
        const by = taken.owner.key === holder.owner.key ? `exposure "${taken.request.name}"` : 'another exposure';
        return refuse('PH_EXPOSE_PORT_TAKEN', `public port ${request.publicPort} is already taken by ${by}`);
      }
      try {
        return this.listening(holder, request, await this.listen(holder.owner, request, request.publicPort), names.names);
      } catch (error) {
        return refuse('PH_EXPOSE_PORT_TAKEN', listenFailure(request.publicPort, error));
      }
    }
    let attempts = 0;
    for (const port of portsOf(config.ports)) {
      if (this.atPort(port)) continue;
      if (++attempts > MAX_PICK_ATTEMPTS) break;
      try {
        return this.listening(holder, request, await this.listen(holder.owner, request, port), names.names);
      } catch {
        // In use by another program: try the next one.
      }
    }
    return refuse('PH_EXPOSE_PORT_TAKEN', `no free public port left in ${describeRanges(config.ports)}`);
  }

  private listening(holder: ExposureHolder, request: ExposeRequest, hosted: HostedExposure, names: string[]): ExposureReply {
    hosted.holders.add(holder);
    const key = holdingKey(holder.owner, request.id);
    this.hosted.set(key, hosted);
    this.claimNames(key, hosted, names);
    const listen = this.options.config?.listen ?? '0.0.0.0';
    const named = names.length > 0 ? ` and as ${names.join(', ')}` : '';
    this.options.log.info(`exposure "${request.name}" (${request.id}) of ${holder.owner.label} is public on ${listen}:${hosted.port}${named} → bridge's ${request.localHost}:${request.localPort}`);
    return this.liveReply(hosted);
  }

  private liveReply(hosted: HostedExposure): ExposureReply {
    const publicHost = this.options.config?.publicHost;
    const urls = hosted.names.map((name) => this.options.names?.urlOf(name) ?? name);
    return { id: hosted.request.id, publicPort: hosted.port, ...(publicHost ? { publicHost } : {}), ...(urls.length > 0 ? { urls } : {}) };
  }

  private checkNames(key: string, holder: ExposureHolder, request: ExposeRequest): ReturnType<ExposureNames['check']> {
    if (request.label === undefined && request.customDomain === undefined) return { names: [] };
    const wanted = {
      ...(request.label === undefined ? {} : { label: request.label }),
      ...(request.customDomain === undefined ? {} : { customDomain: request.customDomain }),
    };
    if (!this.options.names) return { error: NO_NAMES, notOffered: true };
    return this.options.names.check(key, holder.owner.key, wanted);
  }

  private claimNames(key: string, hosted: HostedExposure, names: string[]): void {
    hosted.names = names;
    const table = this.options.names;
    if (!table) return;
    if (names.length === 0) {
      table.release(key);
      return;
    }
    table.claim({
      key,
      describe: (askingOwnerKey) => (askingOwnerKey === hosted.owner.key ? `your exposure "${hosted.request.name}"` : 'another exposure'),
      route: this.routeTo(hosted),
    }, names);
  }

  /**
   * How the edge reaches `hosted`: a stream dispatched as if it had arrived on its public port.
   * One route per exposure, whatever re-claims its names: the edge keeps a visitor's stream while
   * the route it was opened for stays the same object.
   */
  private routeTo(hosted: HostedExposure): EdgeRoute {
    let route = this.routes.get(hosted);
    if (!route) {
      route = this.newRoute(hosted);
      this.routes.set(hosted, route);
    }
    return route;
  }

  private newRoute(hosted: HostedExposure): EdgeRoute {
    const { dispatcher, portalTag } = this.options;
    return {
      get hostname() {
        return hosted.names[0] ?? '';
      },
      ownerKey: hosted.owner.key,
      get access() {
        return hosted.access;
      },
      open: (visitor: Visitor) => {
        const { inboundEnd, outboundEnd } = createLinkPair();
        const session = newSession({ inboundTag: hosted.tag, level: 0, source: { address: visitor.address, port: visitor.port }, outboundTag: portalTag });
        this.arrivals.set(session, hosted);
        try {
          dispatcher.dispatch(session, hosted.target, outboundEnd);
        } catch (error) {
          inboundEnd.destroy(error as Error);
        }
        return inboundEnd;
      },
    };
  }

  private async listen(owner: ExposureOwner, request: ExposeRequest, port: number): Promise<HostedExposure> {
    const listen = this.options.config?.listen ?? '0.0.0.0';
    const local = parseAddress(request.localHost);
    const { dispatcher } = this.options;
    // Each connection is marked with its exposure on its way to the portal, which asks `routeOf`.
    const marking: Dispatcher = {
      dispatch: (session, target, connection) => {
        const refusal = rawPortRefusal(hosted.access, session.source?.address ?? '');
        if (refusal) {
          this.options.log.summarised('info', `raw port refused ${hosted.request.id}`, `a visitor to public port ${hosted.port} of exposure "${hosted.request.name}" was turned away: ${refusal}`, session.id);
          abortStream(connection);
          return;
        }
        this.arrivals.set(session, hosted);
        const version = hosted.request.proxyProtocol;
        dispatcher.dispatch(session, target, version && connection instanceof net.Socket ? withProxyHeader(version, connection) : connection);
      },
    };
    const tag = owner.tagName === undefined ? exposureTag(request.id) : bridgeUserExposureTag(owner.tagName, request.id);
    // The bridge recognises its exposure by this target (the local address it asked for).
    const target: Destination = { network: 'tcp', address: local, port: request.localPort };
    const inbound = this.options.listeners.create(tag, {
      listenHost: nodeListenHost(listen),
      listenPort: port,
      target,
      outboundTag: this.options.portalTag,
    }, marking);
    const hosted: HostedExposure = { owner, request, port, tag, target, names: [], access: accessOf(request), inbound, holders: new Set(), grace: undefined };
    await inbound.start();
    return hosted;
  }

  private atPort(port: number): HostedExposure | undefined {
    for (const hosted of this.hosted.values()) if (hosted.port === port) return hosted;
    return undefined;
  }

  private async remove(key: string, why: string): Promise<void> {
    const hosted = this.hosted.get(key);
    if (!hosted) return;
    this.hosted.delete(key);
    this.options.names?.release(key);
    if (hosted.grace) clearTimeout(hosted.grace);
    await hosted.inbound.close();
    this.options.log.info(`exposure "${hosted.request.name}" (${hosted.request.id}) of ${hosted.owner.label} closed public port ${hosted.port}: ${why}`);
  }
}

/**
 * Why a visitor on an exposure's public port is turned away, or undefined: the port cannot ask
 * for a password, so an exposure that has one is reached by name only, and its allowlist holds on
 * both ways in.
 */
function rawPortRefusal(access: EdgeAccess, address: string): string | undefined {
  if (access.basicAuth) return 'the exposure has a password, which only its name can ask for';
  if (!addressAllowed(access, address)) return `${address} is not in its allowlist`;
  return undefined;
}

function accessOf(request: ExposeRequest): EdgeAccess {
  const { basicAuth, allow } = request;
  return { ...(basicAuth ? { basicAuth } : {}), ...(allow ? { allow } : {}) };
}

/**
 * `socket` with a PROXY protocol header before its bytes, so the service learns the visitor's
 * address (the tunnel carries bytes only). Costs a pump per connection: only for exposures that opt in.
 */
function withProxyHeader(version: 1 | 2, socket: net.Socket): CountedStream {
  const { inboundEnd, outboundEnd } = createLinkPair();
  inboundEnd.write(encodeProxyHeader(version, {
    source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
    destination: { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
  }));
  void pumpBoth(socket, inboundEnd);
  return outboundEnd;
}

/** The key of `id` in `owner`'s namespace (a JSON pair: no owner or id can make another's). */
function holdingKey(owner: ExposureOwner, id: string): string {
  return JSON.stringify([owner.key, id]);
}

function inRanges(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some((range) => port >= range.from && port <= range.to);
}

function* portsOf(ranges: readonly PortRange[]): Generator<number> {
  for (const range of ranges) for (let port = range.from; port <= range.to; port += 1) yield port;
}

function describeRanges(ranges: readonly PortRange[]): string {
  return ranges.map((range) => (range.from === range.to ? `${range.from}` : `${range.from}-${range.to}`)).join(', ');
}

function listenFailure(port: number, error: unknown): string {
  const code = ((error as PortholeError).cause as { code?: string } | undefined)?.code;
  if (code === 'EADDRINUSE') return `public port ${port} is in use on the portal by another program`;
  if (code === 'EACCES') return `the portal may not listen on port ${port} (ports below 1024 need privileges)`;
  return `the portal cannot listen on port ${port}: ${formatErrorLine(error)}`;
}
