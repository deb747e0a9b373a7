/**
 * dokodemo-door (V2Ray's `proxy/dokodemo`): every accepted TCP connection, and every UDP source
 * address (a session of datagrams), is dispatched to the fixed `address:port` from the config.
 * A portal's public port is usually one of these.
 */
import type net from 'node:net';
import { formatErrorLine } from '../../common/errors.js';
import type { Destination } from '../../common/net.js';
import { newSession, type SourceEndpoint } from '../../common/session.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import type { InboundHandler } from '../../features/inbound.js';
import { errorKindOf, type ComponentLogger } from '../../features/log.js';
import { abortStream } from '../../transport/abort.js';
import { closeServer, listenTcp } from '../../transport/tcp.js';
import { UdpSessions, type UdpSessionStream } from '../../transport/udp-sessions.js';
import { Roster } from '../../common/roster.js';

export interface DokodemoSettings {
  listenHost: string;
  listenPort: number;
  /** Undefined when the config has no `address`: V2Ray accepts that, and every connection fails. */
  target?: Destination;
  level: number;
  /** `network` includes tcp: listen for TCP connections. */
  acceptsTcp: boolean;
  /** `network` includes udp: listen for datagrams, one session per source address. */
  acceptsUdp?: boolean;
  /** Skip routing and send every connection to this outbound (an exposure's public port does). */
  outboundTag?: string;
}

export class DokodemoInbound implements InboundHandler {
  private server: net.Server | undefined;
  private udp: UdpSessions | undefined;
  private readonly sockets = new Roster<net.Socket>();

  constructor(
    readonly tag: string,
    private readonly settings: DokodemoSettings,
    private readonly dispatcher: Dispatcher,
    private readonly log: ComponentLogger,
  ) {}

  async start(): Promise<void> {
    const { listenHost, listenPort, acceptsTcp, acceptsUdp } = this.settings;
    if (acceptsTcp || !acceptsUdp) {
      // At most one line per retry: the wait between them doubles while listening again fails.
      const onAcceptError = (error: Error, retryInMs: number) => this.log.warning(`failed to accept connections > ${formatErrorLine(error)}; listening again in ${retryInMs} ms`);
      this.server = await listenTcp({ host: listenHost, port: listenPort, onAcceptError }, (socket) => this.accept(socket));
    }
    if (acceptsUdp) {
      try {
        this.udp = await UdpSessions.listen({ host: listenHost, port: this.address()?.port ?? listenPort }, (source, stream) => this.dispatchDatagrams(source, stream));
      } catch (error) {
        await this.close();
        throw error;
      }
    }
  }

  address(): { host: string; port: number } | undefined {
    const bound = this.server?.address() ?? this.udp?.address();
    return bound && typeof bound === 'object' ? { host: bound.address, port: bound.port } : undefined;
  }

  /** A new UDP source: its datagrams become one session to the target. Returns whether it was dispatched. */
  private dispatchDatagrams(source: SourceEndpoint, stream: UdpSessionStream): boolean {
    const { target } = this.settings;
    const session = newSession({
      inboundTag: this.tag,
      level: this.settings.level,
      source,
      ...(this.settings.outboundTag === undefined ? {} : { outboundTag: this.settings.outboundTag }),
    });
    if (!target) {
      this.log.summarised('warning', 'no address', 'unable to get destination: the inbound has no "address"', session.id);
      return false;
    }
    try {
      this.dispatcher.dispatch(session, { ...target, network: 'udp' }, stream);
      return true;
    } catch (error) {
      this.log.summarised('warning', `dispatch ${errorKindOf(error)}`, `dispatch failed > ${formatErrorLine(error)}`, session.id);
      return false;
    }
  }

  private accept(socket: net.Socket): void {
    const membership = this.sockets.add(socket);
    socket.once('close', () => membership.remove());
    socket.on('error', () => {});
    const session = newSession({
      inboundTag: this.tag,
      level: this.settings.level,
      source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      ...(this.settings.outboundTag === undefined ? {} : { outboundTag: this.settings.outboundTag }),
    });
    const { target } = this.settings;
    if (!target) {
      this.log.summarised('warning', 'no address', 'unable to get destination: the inbound has no "address"', session.id);
      abortStream(socket);
      return;
    }
    try {
      this.dispatcher.dispatch(session, target, socket);
    } catch (error) {
      this.log.summarised('warning', `dispatch ${errorKindOf(error)}`, `dispatch failed > ${formatErrorLine(error)}`, session.id);
      abortStream(socket);
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Connections still open are cut: their clients are reset, not told the answer ended.
    for (const socket of this.sockets.toArray()) abortStream(socket);
    if (server) await closeServer(server);
    const udp = this.udp;
    this.udp = undefined;
    udp?.close();
  }
}
