/**
 * VLESS client (V2Ray 4.34 `proxy/vless/outbound`): dials a server of `vnext` (round robin, the
 * next one on failure), sends the request header with the first payload, strips the response
 * header, and carries the body both ways, over what `streamSettings` say (`transport/internet`:
 * TCP, TLS, WebSocket). With the outbound's `mux` on, connections become
 * sessions of Mux.Cool links that go out as command 0x03 (mux-pool.ts), as 4.34's outbound
 * handler does for every proxy.
 */
import { PortholeError, formatErrorLine } from '../../common/errors.js';
import { formatDestination, type Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import { errorKindOf, type ComponentLogger } from '../../features/log.js';
import type { OutboundHandler } from '../../features/outbound.js';
import type { PolicyManager } from '../../features/policy.js';
import type { Link } from '../../transport/link.js';
import { pumpBoth } from '../../transport/pump.js';
import type { StreamSettings } from '../../config/types.js';
import { dial, prepareDialer, type Connection } from '../../transport/internet/index.js';
import { uuidBytes } from './account.js';
import { commandFor, encodeRequestHeader, parseResponseHeader } from './codec.js';
import { COMMAND, REQUEST_FLUSH_WAIT_MS } from './consts.js';
import { VlessMuxPool } from './mux-pool.js';
import { VlessStream } from './stream.js';

export interface VlessServerSpec {
  address: string;
  port: number;
  users: ReadonlyArray<{ id: string; level: number }>;
}

export interface VlessOutboundSettings {
  servers: readonly VlessServerSpec[];
  /** Mux.Cool: at most this many sessions per link; absent when mux is off. */
  muxConcurrency?: number;
  dialTimeoutMs?: number;
  /** How the connections to the servers are carried (`streamSettings`); plain TCP when omitted. */
  stream?: StreamSettings;
}

interface PreparedServer {
  address: string;
  port: number;
  users: Array<{ uuid: Buffer; level: number }>;
}

export class VlessOutbound implements OutboundHandler {
  private readonly servers: PreparedServer[];
  private nextServer = 0;
  private readonly mux: VlessMuxPool | undefined;

  constructor(
    readonly tag: string,
    private readonly settings: VlessOutboundSettings,
    private readonly policies: PolicyManager,
    private readonly log: ComponentLogger,
  ) {
    // A certificate file that cannot be read fails here, at start, with its config place.
    prepareDialer(settings.stream);
    this.servers = settings.servers.map((server) => ({
      address: server.address,
      port: server.port,
      users: server.users.map((user) => ({ uuid: uuidBytes(user.id), level: user.level })),
    }));
    this.mux = settings.muxConcurrency === undefined ? undefined : new VlessMuxPool({
      concurrency: settings.muxConcurrency,
      streamBufferBytes: this.policies.forLevel(0).bufferBytes,
      log,
      openLink: (session, target) => this.openStream(session, target),
    });
  }

  process(session: Session, target: Destination, link: Link): void {
    if (this.mux) {
      this.mux.process(session, target, link);
      return;
    }
    this.openStream(session, target).then(
      (stream) => {
        if (link.destroyed) stream.destroy();
        else void pumpBoth(stream, link);
      },
      (error: unknown) => link.destroy(error as Error),
    );
  }

  /** A VLESS connection to `target` as a stream of its body; rejects (logged) when no server answers. */
  async openStream(session: Session, target: Destination): Promise<VlessStream> {
    const { socket, server } = await this.dial(session, target);
    const account = server.users[Math.floor(Math.random() * server.users.length)]!;
    const command = commandFor(target);
    const header = encodeRequestHeader(account.uuid, command, target);
    const stream = new VlessStream(socket, {
      highWaterMark: this.policies.forLevel(account.level).bufferBytes,
      packet: command === COMMAND.udp,
      prefix: { bytes: header, flushAfterMs: REQUEST_FLUSH_WAIT_MS },
      expectHeader: parseResponseHeader,
      onDroppedDatagram: (length) => this.log.warning(`dropped a ${length}-byte datagram: VLESS carries at most 2046`, session.id),
    });
    const peer = `${server.address}:${server.port}`;
    stream.on('error', (error) => {
      // A misconfigured link fails every redial the same way: one summarised warning per server.
      if (stream.closedBeforeHeader) this.log.summarised('warning', `unanswered ${this.tag} ${peer}`, `connection to ${peer} failed: ${formatErrorLine(error)}`, session.id);
      else this.log.info(`connection to ${peer} ended: ${formatErrorLine(error)}`, session.id);
    });
    return stream;
  }

  private async dial(session: Session, target: Destination): Promise<{ socket: Connection; server: PreparedServer }> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.servers.length; attempt += 1) {
      const index = (this.nextServer + attempt) % this.servers.length;
      const server = this.servers[index]!;
      try {
        const socket = await dial(server.address, server.port, this.settings.stream, this.settings.dialTimeoutMs);
        this.nextServer = index;
        return { socket, server };
      } catch (error) {
        lastError = error;
      }
    }
    const error = new PortholeError('PH_DIAL_FAILED', `vless: failed to reach a server for ${formatDestination(target)}`, { cause: lastError, connectionId: session.id });
    // A server that is down fails every dial (a bridge redials it): summarised per outbound and cause.
    this.log.summarised('warning', `unreachable ${this.tag} ${errorKindOf(lastError)}`, formatErrorLine(error), session.id);
    throw lastError instanceof PortholeError ? lastError : error;
  }

  async close(): Promise<void> {
    this.mux?.close();
  }
}
