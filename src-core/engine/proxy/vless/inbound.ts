/**
 * VLESS server (V2Ray 4.34 `proxy/vless/inbound`): reads the request header, looks the UUID up,
 * dispatches the target, and carries the body both ways (raw bytes for TCP, length-prefixed
 * packets for UDP, Mux.Cool sessions for command 0x03). A portal's bridge links can arrive here.
 * Connections arrive through `transport/internet` (TCP, TLS, WebSocket, as `streamSettings` say).
 *
 * Not VLESS, or an unknown user: with `fallbacks`, the connection (every byte read so far
 * included) is relayed to the chosen fallback, so the port also serves e.g. a web site; without,
 * it is closed with one log line naming the peer. 4.34 drains nothing here (unlike VMess). The
 * fallback is chosen by the ALPN protocol TLS negotiated (only when TLS carries VLESS directly,
 * not under WebSocket, as in 4.34) and by the request path of the first bytes.
 *
 * A reload that changes only the users (`updateUsers`) keeps the listener and every connection:
 * new requests are looked up among the new users; connections of removed users are closed at once.
 */
import { formatErrorLine, type PortholeError } from '../../common/errors.js';
import { MuxServer } from '../../common/mux/server.js';
import type { Destination } from '../../common/net.js';
import { Roster } from '../../common/roster.js';
import { ConnectionsByUser } from '../../common/connections-by-user.js';
import { newSession, type Session } from '../../common/session.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import type { InboundHandler, InboundUsersUpdate } from '../../features/inbound.js';
import { errorKindOf, type ComponentLogger } from '../../features/log.js';
import type { PolicyManager } from '../../features/policy.js';
import type { StreamSettings } from '../../config/types.js';
import { listen, summariseRejections, type Connection, type Listener, type LiveServerCertificate } from '../../transport/internet/index.js';
import { pumpBoth } from '../../transport/pump.js';
import { userKeyOf, uuidBytes } from './account.js';
import { encodeResponseHeader, parseRequestHeader, type VlessRequest } from './codec.js';
import { COMMAND, FALLBACK_MIN_FIRST_BYTES, MAX_REQUEST_HEADER_BYTES } from './consts.js';
import { dialFallback } from './fallback-dial.js';
import { buildFallbackTable, pickFallback, type FallbackTable, type FallbackTarget } from './fallback.js';
import { VlessStream } from './stream.js';

export interface VlessInboundUser {
  id: string;
  level: number;
  email?: string;
}

export interface VlessInboundSettings {
  listenHost: string;
  listenPort: number;
  users: readonly VlessInboundUser[];
  fallbacks: readonly FallbackTarget[];
  /** How connections arrive (`streamSettings`); plain TCP when omitted. */
  stream?: StreamSettings;
  /** `tlsSettings.acme`'s certificate, shared by the listeners of one inbound. */
  certificate?: LiveServerCertificate;
}

interface UserInfo {
  level: number;
  email?: string;
  key: string;
}

/**
 * The ALPN protocol of a connection that TLS carries directly (a tls.TLSSocket says it); none for
 * plain TCP, and none under WebSocket, where 4.34's connection is not a `*tls.Conn` either.
 */
/** The users by UUID (hex), as the request header is looked up. */
function usersByUuid(users: readonly VlessInboundUser[]): Map<string, UserInfo> {
  const byUuid = new Map<string, UserInfo>();
  for (const user of users) {
    const uuid = uuidBytes(user.id);
    byUuid.set(uuid.toString('hex'), { level: user.level, key: userKeyOf(uuid), ...(user.email ? { email: user.email } : {}) });
  }
  return byUuid;
}

function alpnOf(socket: Connection): string | undefined {
  const alpn = (socket as { alpnProtocol?: string | false | null }).alpnProtocol;
  return typeof alpn === 'string' ? alpn : undefined;
}

export class VlessInbound implements InboundHandler {
  private server: Listener | undefined;
  private readonly sockets = new Roster<Connection>();
  private users: Map<string, UserInfo>;
  /** Authenticated connections by user, so a removed user's can be closed. */
  private readonly authenticated = new ConnectionsByUser<Connection>();
  private readonly fallbacks: FallbackTable | undefined;

  constructor(
    readonly tag: string,
    private readonly settings: VlessInboundSettings,
    private readonly dispatcher: Dispatcher,
    private readonly policies: PolicyManager,
    private readonly log: ComponentLogger,
  ) {
    this.users = usersByUuid(settings.users);
    this.fallbacks = settings.fallbacks.length > 0 ? buildFallbackTable(settings.fallbacks) : undefined;
  }

  async start(): Promise<void> {
    this.server = await listen({
      host: this.settings.listenHost,
      port: this.settings.listenPort,
      stream: this.settings.stream,
      certificate: this.settings.certificate,
      onRejected: summariseRejections(this.log),
    }, (socket) => this.accept(socket));
  }

  get liveCertificate(): LiveServerCertificate | undefined {
    return this.settings.certificate;
  }

  address(): { host: string; port: number } | undefined {
    return this.server?.address();
  }

  /**
   * Takes a reload's users in place of the current ones: requests from now on are looked up among
   * them. Connections of users no longer listed are closed now; everyone else's carry on.
   */
  updateUsers(users: readonly VlessInboundUser[]): InboundUsersUpdate {
    const before = new Set([...this.users.values()].map((user) => user.key));
    this.users = usersByUuid(users);
    const keys = new Set([...this.users.values()].map((user) => user.key));
    const added = [...keys].filter((key) => !before.has(key)).length;
    const removed = [...before].filter((key) => !keys.has(key)).length;
    const closed = this.authenticated.closeAllExcept(keys);
    this.log.info(`users updated: ${added} added, ${removed} removed${closed ? `, ${closed} of their connections closed` : ''}`);
    return { added, removed, closedConnections: closed };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets.toArray()) socket.destroy();
    if (server) await server.close();
  }

  private accept(socket: Connection): void {
    const membership = this.sockets.add(socket);
    let userMembership: { remove(): void } | undefined;
    socket.once('close', () => {
      membership.remove();
      userMembership?.remove();
    });
    socket.on('error', () => {});
    const source = `${socket.remoteAddress}:${socket.remotePort}`;
    const timeoutMs = this.policies.forLevel(0).handshakeMs;
    const timer = setTimeout(() => {
      this.log.summarised('info', `handshake timeout ${socket.remoteAddress}`, `handshake from ${source} timed out after ${timeoutMs / 1000} s`);
      socket.destroy();
    }, timeoutMs);
    socket.once('close', () => clearTimeout(timer));
    const chunks: Buffer[] = [];
    let received: Buffer = Buffer.alloc(0);
    let first: Buffer | undefined;
    const leave = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
    };
    const reject = (error: PortholeError) => {
      clearTimeout(timer);
      // A scanner repeats this at will: summarised per kind and address.
      this.log.summarised('warning', `rejected ${errorKindOf(error)} ${socket.remoteAddress}`, `rejected a connection from ${source}: ${formatErrorLine(error)}`);
      socket.destroy();
    };
    const toFallback = (why: string) => {
      leave();
      this.fallback(socket, source, Buffer.concat(chunks), first ?? Buffer.alloc(0), why);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      first ??= chunk;
      // 4.34 decides on its first read alone: too short for a VLESS header means a fallback.
      if (this.fallbacks && chunks.length === 1 && chunk.length < FALLBACK_MIN_FIRST_BYTES) {
        toFallback('first read too short for VLESS');
        return;
      }
      received = chunks.length === 1 ? chunk : Buffer.concat([received, chunk]);
      const parsed = parseRequestHeader(received.subarray(0, MAX_REQUEST_HEADER_BYTES), (uuid) => this.users.get(uuid.toString('hex')));
      if (parsed.status === 'need-more') return;
      if (parsed.status === 'fail') {
        if (this.fallbacks && parsed.stage !== 'header') toFallback(parsed.error.message);
        else reject(parsed.error);
        return;
      }
      leave();
      // Looked up just now among the current users, so never one a reload removed.
      userMembership = this.authenticated.add(parsed.request.user.key, socket);
      const headerBytes = Math.min(received.length, MAX_REQUEST_HEADER_BYTES) - parsed.rest.length;
      this.serve(socket, source, parsed.request, received.subarray(headerBytes));
    };
    // A client that ends its side before a whole header has nothing more to say.
    const onEnd = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
  }

  /** Relays the whole connection, `seen` first, to the fallback 4.34 would pick. */
  private fallback(socket: Connection, source: string, seen: Buffer, first: Buffer, why: string): void {
    const pick = pickFallback(this.fallbacks!, first, alpnOf(socket));
    if ('error' in pick) {
      this.log.summarised('warning', `fallback none ${socket.remoteAddress}`, `connection from ${source} is not VLESS (${why}) and has no fallback: ${pick.error}`);
      socket.destroy();
      return;
    }
    const { fallback } = pick;
    this.log.info(`connection from ${source} falls back to ${fallback.dest}${pick.path !== undefined ? ` (path ${pick.path})` : ''}: ${why}`);
    const policy = this.policies.forLevel(0);
    // Outside the dispatcher, so the idle timeout is kept here (4.34: connIdle of level 0): a
    // byte either way restarts it, whatever carries the connection (TCP, TLS, WebSocket).
    const idle = setTimeout(() => socket.destroy(), policy.connectionIdleMs);
    const active = () => idle.refresh();
    socket.on('data', active);
    socket.once('close', () => clearTimeout(idle));
    dialFallback(fallback, () => !socket.destroyed).then(
      (remote) => {
        if (socket.destroyed) {
          remote.destroy();
          return;
        }
        remote.on('data', active);
        remote.write(seen);
        void pumpBoth(socket, remote);
        socket.resume();
      },
      (error: unknown) => {
        this.log.summarised('warning', `fallback dial ${errorKindOf(error)}`, `connection from ${source}: ${formatErrorLine(error)}`);
        socket.destroy();
      },
    );
  }

  private serve(socket: Connection, source: string, request: VlessRequest<UserInfo>, rest: Buffer): void {
    const { user } = request;
    const sessionFields = {
      inboundTag: this.tag,
      level: user.level,
      source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      ...(user.email ? { user: user.email } : {}),
      userKey: user.key,
    };
    const session = newSession(sessionFields);
    const policy = this.policies.forLevel(user.level);
    const body = new VlessStream(socket, {
      highWaterMark: policy.bufferBytes,
      packet: request.command === COMMAND.udp,
      // 4.34 sends the response header with the first response payload.
      prefix: { bytes: encodeResponseHeader() },
      initialBytes: rest,
      onDroppedDatagram: (length) => this.log.summarised('warning', `datagram too large ${socket.remoteAddress}`, `dropped a ${length}-byte datagram: VLESS carries at most 2046`, session.id),
    });
    body.on('error', (error) => this.log.summarised('info', `ended ${errorKindOf(error)} ${socket.remoteAddress}`, `connection from ${source} ended: ${formatErrorLine(error)}`, session.id));
    if (request.command === COMMAND.mux) {
      // Each Mux.Cool session is dispatched as its own connection from this user (4.34's mux server).
      const muxLog = {
        debug: (message: string) => this.log.debug(message),
        warning: (message: string) => this.log.summarised('warning', `mux ${socket.remoteAddress} ${message.replace(/\d+/g, '#')}`, message),
      };
      const mux = new MuxServer(body, { streamBufferBytes: policy.bufferBytes, log: muxLog }, (stream) => this.dispatchTo(newSession(sessionFields), stream.target, stream));
      this.log.debug(`${source} opened a Mux.Cool connection`, session.id);
      mux.onDidClose((error) => this.log.debug(`Mux.Cool connection from ${source} closed${error ? `: ${formatErrorLine(error)}` : ''}`, session.id));
    } else {
      this.dispatchTo(session, request.target, body);
    }
    socket.resume();
  }

  /** Dispatches one connection; a failed dispatch closes that connection only. */
  private dispatchTo(session: Session, target: Destination, from: CountedStream): void {
    try {
      this.dispatcher.dispatch(session, target, from);
    } catch (error) {
      this.log.summarised('warning', `dispatch ${errorKindOf(error)}`, `dispatch failed: ${formatErrorLine(error)}`, session.id);
      from.destroy();
    }
  }
}
