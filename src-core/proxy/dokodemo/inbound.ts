/**
 * dokodemo-door (V2Ray's `proxy/dokodemo`), TCP: every accepted connection is dispatched to the
 * fixed `address:port` from the config. A portal's public port is usually one of these.
 */
import type net from 'node:net';
import { formatErrorLine } from '../../common/errors.js';
import type { Destination } from '../../common/net.js';
import { newSession } from '../../common/session.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import type { InboundHandler } from '../../features/inbound.js';
import type { ComponentLogger } from '../../features/log.js';
import { pumpBoth } from '../../transport/pump.js';
import { closeServer, listenTcp } from '../../transport/tcp.js';

export interface DokodemoSettings {
  listenHost: string;
  listenPort: number;
  /** Undefined when the config has no `address`: V2Ray accepts that, and every connection fails. */
  target?: Destination;
  level: number;
  /** False for a UDP-only inbound (UDP is not carried yet): it listens but refuses TCP. */
  acceptsTcp: boolean;
  /** Skip routing and send every connection to this outbound (an exposure's public port does). */
  outboundTag?: string;
}

export class DokodemoInbound implements InboundHandler {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly tag: string,
    private readonly settings: DokodemoSettings,
    private readonly dispatcher: Dispatcher,
    private readonly log: ComponentLogger,
  ) {}

  async start(): Promise<void> {
    this.server = await listenTcp({ host: this.settings.listenHost, port: this.settings.listenPort }, (socket) => this.accept(socket));
  }

  address(): { host: string; port: number } | undefined {
    const bound = this.server?.address();
    return bound && typeof bound === 'object' ? { host: bound.address, port: bound.port } : undefined;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const session = newSession({
      inboundTag: this.tag,
      level: this.settings.level,
      source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      ...(this.settings.outboundTag === undefined ? {} : { outboundTag: this.settings.outboundTag }),
    });
    const { target, acceptsTcp } = this.settings;
    if (!target || !acceptsTcp) {
      this.log.warning(target ? 'this inbound takes UDP only; refusing a TCP connection' : 'unable to get destination: the inbound has no "address"', session.id);
      socket.destroy();
      return;
    }
    try {
      const link = this.dispatcher.dispatch(session, target);
      void pumpBoth(socket, link);
    } catch (error) {
      this.log.warning(`dispatch failed > ${formatErrorLine(error)}`, session.id);
      socket.destroy();
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await closeServer(server);
  }
}
