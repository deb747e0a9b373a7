/**
 * VMess server (V2Ray's `proxy/vmess/inbound`): authenticates each connection's request header
 * (AEAD, or legacy MD5 for users with alterId > 0), dispatches its target, and carries the body
 * both ways. A portal's bridge links arrive here.
 *
 * On a failed handshake nothing is written back: like 4.34, the connection is drained (read and
 * discarded up to a per-inbound random length, within the handshake timeout) and then closed, so
 * a prober cannot tell a VMess server from anything else by its reaction.
 *
 * A reload that changes only the users (`updateUsers`) keeps the listener and every connection:
 * new handshakes see the new users; connections of removed users are closed at once.
 */
import { createHash } from 'node:crypto';
import { formatErrorLine } from '../../common/errors.js';
import type { Destination } from '../../common/net.js';
import { MuxServer } from '../../common/mux/server.js';
import { newSession, type Session } from '../../common/session.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import type { InboundHandler, InboundUsersUpdate } from '../../features/inbound.js';
import { errorKindOf, type ComponentLogger } from '../../features/log.js';
import type { PolicyManager } from '../../features/policy.js';
import type { StreamSettings } from '../../config/types.js';
import { listen, summariseRejections, type Connection, type Listener, type LiveServerCertificate } from '../../transport/internet/index.js';
import { createVmessUser, parseUuid, type VmessUser } from './account.js';
import { VmessBodyStream, type BodyCodec } from './body-stream.js';
import { WIDE_CHUNK_WIRE_BYTES, type BodyDecoder } from './body.js';
import { COMMAND } from './consts.js';
import { LegacyUserValidator } from './legacy.js';
import { AuthIdReplayFilter, SessionHistory } from './replay.js';
import { ServerHandshake, createServerHandshakeContext, type ServerHandshakeContext, type ServerResponse } from './server-handshake.js';
import { Roster } from '../../common/roster.js';
import { ConnectionsByUser } from '../../common/connections-by-user.js';

export interface VmessInboundUser {
  id: string;
  alterId: number;
  level: number;
  email?: string;
}

export interface VmessInboundSettings {
  listenHost: string;
  listenPort: number;
  users: readonly VmessInboundUser[];
  disableInsecureEncryption: boolean;
  /** How connections arrive (`streamSettings`); plain TCP when omitted. */
  stream?: StreamSettings;
  /** `tlsSettings.acme`'s certificate, shared by the listeners of one inbound. */
  certificate?: LiveServerCertificate;
}

interface UserInfo {
  email?: string;
  level: number;
  /** `Session.userKey`: who this is, without the UUID (a credential) leaving this file. */
  key: string;
}

/** A digest of the user's UUID: equal for equal UUIDs however they are written, and safe to log. */
export function userKeyOf(uuid: Buffer): string {
  return createHash('sha256').update('porthole vmess user\0').update(uuid).digest('hex').slice(0, 16);
}

function toVmessUser(user: VmessInboundUser): VmessUser<UserInfo> {
  const uuid = parseUuid(user.id);
  return createVmessUser(uuid, { alterId: user.alterId, tag: { level: user.level, key: userKeyOf(uuid), ...(user.email ? { email: user.email } : {}) } });
}

function userKeysOf(users: readonly VmessUser<UserInfo>[]): Set<string> {
  return new Set(users.map((user) => user.tag.key));
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class VmessInbound implements InboundHandler {
  private server: Listener | undefined;
  private readonly sockets = new Roster<Connection>();
  /** Authenticated connections by user, so a removed user's can be closed. */
  private readonly authenticated = new ConnectionsByUser<Connection>();
  private context: ServerHandshakeContext<UserInfo>;
  private userKeys: Set<string>;

  constructor(
    readonly tag: string,
    private readonly settings: VmessInboundSettings,
    private readonly dispatcher: Dispatcher,
    private readonly policies: PolicyManager,
    private readonly log: ComponentLogger,
  ) {
    const users = settings.users.map(toVmessUser);
    this.userKeys = userKeysOf(users);
    this.context = createServerHandshakeContext({
      users,
      replayFilter: new AuthIdReplayFilter(),
      sessionHistory: new SessionHistory(),
      legacy: new LegacyUserValidator(users),
      disableInsecureEncryption: settings.disableInsecureEncryption,
    });
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
   * Takes a reload's users in place of the current ones. New handshakes authenticate against them;
   * the replay filter, the session history and the drain sizes stay (4.34 fixes its behaviour seed
   * once used, so a prober sees no change). Connections of users no longer listed are closed now;
   * everyone else's carry on.
   */
  updateUsers(users: readonly VmessInboundUser[]): InboundUsersUpdate {
    const next = users.map(toVmessUser);
    const keys = userKeysOf(next);
    const added = [...keys].filter((key) => !this.userKeys.has(key)).length;
    const removed = [...this.userKeys].filter((key) => !keys.has(key)).length;
    this.context = createServerHandshakeContext({ ...this.context, users: next, legacy: new LegacyUserValidator(next) });
    this.userKeys = keys;
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
    const context = this.context;
    const handshake = new ServerHandshake(context);
    const timeoutMs = this.policies.forLevel(0).handshakeMs;
    const timer = setTimeout(() => {
      this.log.summarised('info', `handshake timeout ${socket.remoteAddress}`, `handshake from ${source} timed out after ${timeoutMs / 1000} s`);
      socket.destroy();
    }, timeoutMs);
    // A socket that closes during the handshake must not leave its timer behind.
    socket.once('close', () => clearTimeout(timer));
    let received = 0;
    let drainUntil: number | undefined;
    const stop = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (drainUntil !== undefined) {
        if (received >= drainUntil) stop();
        return;
      }
      const result = handshake.push(chunk, nowSeconds());
      if (result.status === 'need-more') return;
      if (result.status === 'fail') {
        // A scanner or a misconfigured client repeats this at will: summarised per kind and address.
        this.log.summarised('warning', `rejected ${errorKindOf(result.error)} ${socket.remoteAddress}`, `rejected a connection from ${source}: ${formatErrorLine(result.error)}`);
        // Like 4.34, answer nothing: read and discard up to the drain length, then close.
        if (result.drain && received < result.drainTotal) drainUntil = result.drainTotal;
        else stop();
        return;
      }
      const user = result.user.tag;
      // Users changed during this handshake: one removed meanwhile is refused as unknown.
      if (context !== this.context && !this.userKeys.has(user.key)) {
        this.log.summarised('warning', `rejected removed user ${socket.remoteAddress}`, `rejected a connection from ${source}: invalid user > removed by a reload`);
        stop();
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', stop);
      socket.pause();
      userMembership = this.authenticated.add(user.key, socket);
      this.serve(socket, source, user, result);
    };
    socket.on('data', onData);
    // A client that ends its side before the handshake completed has nothing more to say.
    socket.once('end', stop);
  }

  private serve(
    socket: Connection,
    source: string,
    user: UserInfo,
    handshake: Extract<ReturnType<ServerHandshake<UserInfo>['push']>, { status: 'done' }>,
  ): void {
    const { header, session: vmess, rest } = handshake;
    const sessionFields = {
      inboundTag: this.tag,
      level: user.level,
      source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      ...(user.email ? { user: user.email } : {}),
      userKey: user.key,
    };
    const session = newSession(sessionFields);
    const policy = this.policies.forLevel(user.level);
    const decoder = vmess.createRequestBodyDecoder();
    const response = vmess.createResponse();
    // Any 4.34 client reads chunks this large (see BodyEncoder.widenChunks).
    response.encoder.widenChunks(WIDE_CHUNK_WIRE_BYTES);
    const body = new VmessBodyStream(socket, new ServerBodyCodec(decoder, response), {
      highWaterMark: policy.bufferBytes,
      initialBytes: rest,
      packet: header.command === COMMAND.udp,
      onDroppedDatagram: (error) => this.log.summarised('warning', `datagram ${errorKindOf(error)} ${socket.remoteAddress}`, `dropped a datagram: ${formatErrorLine(error)}`, session.id),
    });
    body.on('error', (error) => this.log.summarised('info', `ended ${errorKindOf(error)} ${socket.remoteAddress}`, `connection from ${source} ended: ${formatErrorLine(error)}`, session.id));
    body.once('close', () => this.log.debug(`connection from ${source} closed (socket destroyed: ${socket.destroyed})`, session.id));
    if (header.command === COMMAND.mux) {
      // A mux-enabled client (`"mux": {"enabled": true}`): the body is a Mux.Cool connection, and
      // each of its sessions is dispatched as its own connection from this user (V2Ray's mux server).
      // A client's bad frames close its link with a line each: summarised per address and message (numbers aside).
      const muxLog = {
        debug: (message: string) => this.log.debug(message),
        warning: (message: string) => this.log.summarised('warning', `mux ${socket.remoteAddress} ${message.replace(/\d+/g, '#')}`, message),
      };
      const mux = new MuxServer(body, { streamBufferBytes: policy.bufferBytes, log: muxLog }, (stream) => this.dispatchTo(newSession(sessionFields), stream.target, stream));
      this.log.debug(`${source} opened a Mux.Cool connection`, session.id);
      mux.onDidClose((error) => this.log.debug(`Mux.Cool connection from ${source} closed${error ? `: ${formatErrorLine(error)}` : ''}`, session.id));
    } else {
      const target: Destination = { network: header.command === COMMAND.udp ? 'udp' : 'tcp', address: header.address, port: header.port };
      this.dispatchTo(session, target, body);
    }
    socket.resume();
  }

  /** Dispatches one connection (a VMess body, or a Mux.Cool session); a failed dispatch closes that connection only. */
  private dispatchTo(session: Session, target: Destination, from: CountedStream): void {
    try {
      this.dispatcher.dispatch(session, target, from);
    } catch (error) {
      this.log.summarised('warning', `dispatch ${errorKindOf(error)}`, `dispatch failed: ${formatErrorLine(error)}`, session.id);
      from.destroy();
    }
  }
}

/**
 * The server side's body codec: the request body in, the response (its header first) out. A class,
 * so that every connection's codec shares the same methods (see chunk-cipher.ts on closures per connection).
 */
class ServerBodyCodec implements BodyCodec {
  private headerSent = false;

  constructor(private readonly decoder: BodyDecoder, private readonly response: ServerResponse) {}

  decode(chunk: Buffer): Buffer[] {
    return this.decoder.push(chunk);
  }

  decodedEnd(): boolean {
    return this.decoder.ended;
  }

  encode(plain: Buffer | readonly Buffer[]): Buffer {
    return this.withHeader(this.response.encoder.encode(plain));
  }

  encodeEnd(): Buffer {
    return this.withHeader(this.response.encoder.end());
  }

  /** The response header goes out with the first response chunk, as 4.34 sends it. */
  private withHeader(wire: Buffer): Buffer {
    if (this.headerSent) return wire;
    this.headerSent = true;
    return Buffer.concat([this.response.headerBytes, wire]);
  }
}
