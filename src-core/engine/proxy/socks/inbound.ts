/**
 * SOCKS server (V2Ray 4.34 `proxy/socks/server.go`): SOCKS 4, 4a and 5 on one port, CONNECT
 * dispatched as a TCP connection, and, with `udp`, UDP ASSOCIATE answered and datagrams taken on
 * the same port (as 4.34 listens there whenever `udp` is on, the association's TCP connection only
 * drained until the client closes it). Each source's datagrams are dispatched per destination,
 * as 4.34's `udp.Dispatcher` does; a destination quiet for 4 s is let go.
 *
 * Replies are 4.34's: CONNECT succeeds before the destination is dialled, naming the inbound's
 * listen address and port; UDP ASSOCIATE names `ip`, else a loopback client's own address, else
 * the listen address. A bad greeting, a refused method or password, or an unserved command closes
 * that connection (after 4.34's refusal bytes, where it sends some) with one log line naming the peer.
 */
import net from 'node:net';
import type { StreamSettings } from '../../config/types.js';
import { formatErrorLine, PortholeError } from '../../common/errors.js';
import { formatDestination, parseAddress, type Address, type Destination } from '../../common/net.js';
import { Roster } from '../../common/roster.js';
import { newSession, type SourceEndpoint } from '../../common/session.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import type { InboundHandler } from '../../features/inbound.js';
import { errorKindOf, type ComponentLogger } from '../../features/log.js';
import type { PolicyManager } from '../../features/policy.js';
import { abortStream } from '../../transport/abort.js';
import { listen, summariseRejections, type Connection, type Listener } from '../../transport/internet/index.js';
import { createLinkPair } from '../../transport/link.js';
import { pumpBoth } from '../../transport/pump.js';
import { UdpSessions, type UdpSessionStream } from '../../transport/udp-sessions.js';
import {
  encodeMethodChoice, encodePasswordStatus, encodeReply, encodeSocks4Reply, encodeUdpDatagram, parseAddressPort, parseGreeting, parseRequestHead,
  parseUdpDatagram, parseUserPassword, type Parse,
} from './codec.js';
import { AUTH, COMMAND, PASSWORD_STATUS, REPLY, SOCKS4_VERSION } from './consts.js';

/** 4.34's `udp.Dispatcher` lets a destination go after this long without a datagram. */
export const UDP_DESTINATION_IDLE_MS = 4_000;

export interface SocksInboundSettings {
  listenHost: string;
  listenPort: number;
  /** The configured listen address: what CONNECT replies name (4.34's inbound gateway). */
  gateway: string;
  auth: 'noauth' | 'password';
  accounts: ReadonlyMap<string, string>;
  udp: boolean;
  /** `ip`: the address UDP ASSOCIATE replies name. */
  udpAddress?: string;
  /** Seconds; with level 0 replaces `connIdle` for a CONNECT's inactivity (see `applyTimeout`); 0: off. */
  timeout: number;
  level: number;
  stream?: StreamSettings;
}

const ANY_IP: Address = { kind: 'ipv4', value: '0.0.0.0' };

/** `::ffff:127.0.0.1` (a dual-stack listener's IPv4 peer) is 127.0.0.1. */
function plainAddress(text: string): string {
  return text.startsWith('::ffff:') && net.isIPv4(text.slice(7)) ? text.slice(7) : text;
}

type Stage = 'greeting' | 'password' | 'request' | 'address';

export class SocksInbound implements InboundHandler {
  private server: Listener | undefined;
  private udp: UdpSessions | undefined;
  private readonly connections = new Roster<Connection>();

  constructor(
    readonly tag: string,
    private readonly settings: SocksInboundSettings,
    private readonly dispatcher: Dispatcher,
    private readonly policies: PolicyManager,
    private readonly log: ComponentLogger,
  ) {}

  async start(): Promise<void> {
    const { listenHost, listenPort, stream } = this.settings;
    this.server = await listen({
      host: listenHost,
      port: listenPort,
      stream,
      onAcceptError: (error, retryInMs) => this.log.warning(`failed to accept connections > ${formatErrorLine(error)}; listening again in ${retryInMs} ms`),
      onRejected: summariseRejections(this.log),
    }, (connection) => this.accept(connection));
    if (this.settings.udp) {
      try {
        this.udp = await UdpSessions.listen({ host: listenHost, port: this.server.address().port }, (source, datagrams) => this.associate(source, datagrams));
      } catch (error) {
        await this.close();
        throw error;
      }
    }
  }

  address(): { host: string; port: number } | undefined {
    return this.server?.address();
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const connection of this.connections.toArray()) abortStream(connection);
    if (server) await server.close();
    const udp = this.udp;
    this.udp = undefined;
    udp?.close();
  }

  private get port(): number {
    return this.server?.address().port ?? this.settings.listenPort;
  }

  private accept(connection: Connection): void {
    const membership = this.connections.add(connection);
    connection.once('close', () => membership.remove());
    connection.on('error', () => {});
    const peer = plainAddress(connection.remoteAddress ?? '');
    const source = `${peer}:${connection.remotePort}`;
    const timeoutMs = this.policies.forLevel(this.settings.level).handshakeMs;
    const timer = setTimeout(() => {
      this.log.summarised('info', `handshake timeout ${peer}`, `handshake from ${source} timed out after ${timeoutMs / 1000} s`);
      connection.destroy();
    }, timeoutMs);
    connection.once('close', () => clearTimeout(timer));

    let stage: Stage = 'greeting';
    let received: Buffer = Buffer.alloc(0);
    let user: string | undefined;
    let command = 0;
    const leave = () => {
      clearTimeout(timer);
      // Without a 'readable' listener the connection is neither flowing nor paused: the outbound's
      // 'data' listener starts it, so no byte is read before someone takes it.
      connection.off('readable', onReadable);
      connection.off('end', onEnd);
    };
    /** Closes after `answer` (4.34's refusal bytes, if any) with one line naming the peer. */
    const refuse = (error: PortholeError, answer?: Buffer) => {
      leave();
      this.log.summarised('warning', `rejected ${errorKindOf(error)} ${peer}`, `rejected a connection from ${source}: ${formatErrorLine(error)}`);
      if (answer) connection.end(answer, () => connection.destroy());
      else connection.destroy();
    };
    const step = <T>(parsed: Parse<T>): (Parse<T> & { status: 'ok' }) | undefined => {
      if (parsed.status === 'need-more') return undefined;
      if (parsed.status === 'fail') {
        refuse(parsed.error);
        return undefined;
      }
      received = received.subarray(parsed.used);
      return parsed;
    };
    const advance = (): void => {
      for (;;) {
        if (stage === 'greeting') {
          // 4.34 refuses SOCKS 4 under a password as soon as it has read VER and CMD.
          if (received.length >= 2 && received[0] === SOCKS4_VERSION && this.settings.auth === 'password') {
            return refuse(authError('socks 4 is not allowed when auth is required'), encodeSocks4Reply(false));
          }
          const parsed = step(parseGreeting(received));
          if (!parsed) return;
          const { greeting } = parsed;
          if (greeting.version === 4) {
            if (greeting.command !== COMMAND.connect) return refuse(requestError(`unsupported command: ${greeting.command}`), encodeSocks4Reply(false));
            connection.write(encodeSocks4Reply(true));
            leave();
            return this.connect(connection, source, { network: 'tcp', address: greeting.address, port: greeting.port }, received);
          }
          const expected = this.settings.auth === 'password' ? AUTH.password : AUTH.none;
          if (!greeting.methods.includes(expected)) return refuse(authError('no matching auth method'), encodeMethodChoice(AUTH.noAcceptable));
          connection.write(encodeMethodChoice(expected));
          stage = expected === AUTH.password ? 'password' : 'request';
        } else if (stage === 'password') {
          const parsed = step(parseUserPassword(received));
          if (!parsed) return;
          if (!parsed.utf8 || this.settings.accounts.get(parsed.user) !== parsed.password) {
            return refuse(authError(`invalid username or password (user ${JSON.stringify(parsed.user)})`), encodePasswordStatus(PASSWORD_STATUS.refused));
          }
          connection.write(encodePasswordStatus(PASSWORD_STATUS.ok));
          user = parsed.user;
          stage = 'request';
        } else if (stage === 'request') {
          const parsed = step(parseRequestHead(received));
          if (!parsed) return;
          command = parsed.command;
          const refusal = encodeReply(REPLY.commandNotSupported, ANY_IP, 0);
          if (command === COMMAND.udpAssociate && !this.settings.udp) return refuse(requestError('UDP is not enabled'), refusal);
          if (command === COMMAND.bind) return refuse(requestError('TCP bind is not supported'), refusal);
          if (command !== COMMAND.connect && command !== COMMAND.udpAssociate && command !== COMMAND.torResolve && command !== COMMAND.torResolvePtr) {
            return refuse(requestError(`unknown command ${command}`), refusal);
          }
          stage = 'address';
        } else {
          const parsed = step(parseAddressPort(received, 0));
          if (!parsed) return;
          leave();
          if (command === COMMAND.udpAssociate) return this.holdAssociation(connection, source, peer);
          connection.write(encodeReply(REPLY.succeeded, parseAddress(this.settings.gateway), this.port));
          return this.connect(connection, source, { network: 'tcp', address: parsed.address, port: parsed.port }, received, user);
        }
      }
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = connection.read() as Buffer | null) !== null) received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      advance();
    };
    // A client that ends its side before a whole request has nothing more to say.
    const onEnd = () => {
      clearTimeout(timer);
      connection.destroy();
    };
    connection.on('readable', onReadable);
    connection.once('end', onEnd);
  }

  /** UDP ASSOCIATE: answered, then the connection is only read until the client closes it. */
  private holdAssociation(connection: Connection, source: string, peer: string): void {
    const { udpAddress, gateway } = this.settings;
    const loopback = peer === '127.0.0.1' || peer === '::1';
    const answer = parseAddress(udpAddress ?? (loopback ? peer : gateway));
    connection.write(encodeReply(REPLY.succeeded, answer, this.port));
    this.log.debug(`${source} holds a UDP association`);
    connection.on('data', () => {});
    connection.once('end', () => connection.end());
    connection.resume();
  }

  private connect(connection: Connection, source: string, target: Destination, rest: Buffer, user?: string): void {
    const session = newSession({
      inboundTag: this.tag,
      level: this.settings.level,
      source: { address: plainAddress(connection.remoteAddress ?? ''), port: connection.remotePort ?? 0 },
      ...(user ? { user } : {}),
    });
    this.log.info(`TCP Connect request from ${source} to ${formatDestination(target)}`, session.id);
    if (rest.length > 0) connection.unshift(rest);
    this.applyTimeout(connection);
    try {
      this.dispatcher.dispatch(session, target, counted(connection));
    } catch (error) {
      this.log.summarised('warning', `dispatch ${errorKindOf(error)}`, `dispatch failed: ${formatErrorLine(error)}`, session.id);
      abortStream(connection);
    }
  }

  /**
   * 4.34's `timeout` with level 0: the inbound's inactivity timer of a CONNECT runs for `timeout`
   * seconds instead of `connIdle` (the dispatcher's watch keeps the level's, as 4.34's outbound
   * keeps its own: the shorter cuts). Once either direction has ended, 4.34 switches that timer to
   * `downlinkOnly`/`uplinkOnly`, which the dispatcher's watch applies, so this one stops.
   */
  private applyTimeout(connection: Connection): void {
    const { timeout, level } = this.settings;
    if (timeout <= 0 || level !== 0 || !(connection instanceof net.Socket)) return;
    connection.setTimeout(timeout * 1000, () => abortStream(connection));
    const stop = () => connection.setTimeout(0);
    connection.once('end', stop);
    connection.once('finish', stop);
  }

  /** One source address's datagrams: each destination is its own dispatched UDP connection. */
  private associate(source: SourceEndpoint, datagrams: UdpSessionStream): boolean {
    const from = `${plainAddress(source.address)}:${source.port}`;
    const destinations = new Map<string, { send(payload: Buffer): void }>();
    datagrams.on('data', (datagram: Buffer) => {
      const parsed = parseUdpDatagram(datagram);
      if ('error' in parsed) {
        this.log.summarised('info', `udp ${errorKindOf(parsed.error)} ${source.address}`, `dropped a datagram from ${from}: ${formatErrorLine(parsed.error)}`);
        return;
      }
      if (parsed.payload.length === 0) return;
      const target: Destination = { network: 'udp', address: parsed.address, port: parsed.port };
      const key = formatDestination(target);
      let entry = destinations.get(key);
      if (!entry) {
        entry = this.openDestination(source, target, datagrams, () => {
          destinations.delete(key);
          if (destinations.size === 0) datagrams.destroy();
        });
        if (!entry) return;
        destinations.set(key, entry);
      }
      entry.send(parsed.payload);
    });
    return true;
  }

  private openDestination(source: SourceEndpoint, target: Destination, datagrams: UdpSessionStream, onClosed: () => void): { send(payload: Buffer): void } | undefined {
    const session = newSession({ inboundTag: this.tag, level: this.settings.level, source: { address: plainAddress(source.address), port: source.port } });
    const { inboundEnd, outboundEnd } = createLinkPair({ packet: true });
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => inboundEnd.destroy(), UDP_DESTINATION_IDLE_MS);
    };
    try {
      this.dispatcher.dispatch(session, target, outboundEnd);
    } catch (error) {
      this.log.summarised('warning', `dispatch ${errorKindOf(error)}`, `dispatch failed: ${formatErrorLine(error)}`, session.id);
      inboundEnd.destroy();
      return undefined;
    }
    inboundEnd.on('data', (payload: Buffer) => {
      touch();
      if (!datagrams.destroyed) datagrams.write(encodeUdpDatagram(target.address, target.port, payload));
    });
    inboundEnd.once('close', () => {
      if (idle) clearTimeout(idle);
      onClosed();
    });
    touch();
    return {
      send: (payload) => {
        touch();
        // A full link drops the datagram, as a full socket buffer would.
        if (!inboundEnd.destroyed && inboundEnd.writableLength < inboundEnd.writableHighWaterMark) inboundEnd.write(payload);
      },
    };
  }
}

function requestError(message: string): PortholeError {
  return new PortholeError('PH_SOCKS_BAD_REQUEST', `socks: ${message}`, { severity: 'warning' });
}

function authError(message: string): PortholeError {
  return new PortholeError('PH_SOCKS_AUTH_FAILED', `socks: ${message}`, { severity: 'warning' });
}

/**
 * The connection as the dispatcher takes it: a socket (TCP, TLS) counts its own bytes; any other
 * carrier (WebSocket) is joined to a link pair whose outbound end counts them.
 */
export function counted(connection: Connection): CountedStream {
  if (connection instanceof net.Socket) return connection;
  const { inboundEnd, outboundEnd } = createLinkPair();
  void pumpBoth(connection, inboundEnd);
  return outboundEnd;
}
