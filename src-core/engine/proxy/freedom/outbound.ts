/**
 * freedom (V2Ray's `proxy/freedom`): connects to the target directly, or to `redirect`'s host
 * and port when set (a reverse bridge uses it to reach the local service). TCP targets get a
 * TCP connection, UDP targets a connected UDP socket.
 */
import { formatErrorLine } from '../../common/errors.js';
import { formatDestination, parseAddress, type Address, type Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import { errorKindOf, type ComponentLogger } from '../../features/log.js';
import type { OutboundHandler } from '../../features/outbound.js';
import type { Link } from '../../transport/link.js';
import { abortStream } from '../../transport/abort.js';
import { pumpBoth } from '../../transport/pump.js';
import { dialTcp } from '../../transport/tcp.js';
import { dialUdp, pumpDatagrams } from '../../transport/udp.js';

export interface FreedomSettings {
  /** Replaces the target's host when set (V2Ray ignores an empty host or 0.0.0.0). */
  redirectHost?: string;
  /** Replaces the target's port when non-zero. */
  redirectPort?: number;
  /** Dial timeout. */
  dialTimeoutMs?: number;
  /**
   * Porthole's request inspector (app/inspector), for an exposure's outbound: shown each TCP
   * connection once dialled, before the pump, so it may watch the chunks pass. It adds listeners
   * only while capture is on; it never throws and never changes the bytes.
   */
  observe?: (connectionId: number, visitor: Link, service: Link) => void;
}

/** Where freedom really connects: the target with `redirect` applied as V2Ray applies it. */
export function applyRedirect(target: Destination, settings: FreedomSettings): Destination {
  let address: Address = target.address;
  if (settings.redirectHost && settings.redirectHost !== '0.0.0.0') address = parseAddress(settings.redirectHost);
  const port = settings.redirectPort ? settings.redirectPort : target.port;
  return { network: target.network, address, port };
}

export class FreedomOutbound implements OutboundHandler {
  constructor(
    readonly tag: string,
    private readonly settings: FreedomSettings,
    private readonly log: ComponentLogger,
  ) {}

  process(session: Session, target: Destination, link: Link): void {
    const destination = applyRedirect(target, this.settings);
    if (destination.network === 'udp') {
      this.processUdp(session, destination, link);
      return;
    }
    dialTcp(destination.address.value, destination.port, this.settings.dialTimeoutMs).then(
      (socket) => {
        if (link.destroyed) {
          socket.destroy();
          return;
        }
        this.log.debug(`connected to ${formatDestination(destination)}`, session.id);
        // The stats count the client's bytes where they reach the service (default-dispatcher.ts).
        session.delivery = socket;
        this.settings.observe?.(session.id, link, socket);
        void pumpBoth(socket, link);
      },
      (error: unknown) => {
        this.failed(session, destination, error);
        // The client is reset: a service that cannot be reached is not an empty answer.
        abortStream(link);
      },
    );
  }

  /** UDP: one connected socket per session; datagrams cross one per link chunk. */
  private processUdp(session: Session, destination: Destination, link: Link): void {
    dialUdp(destination.address.value, destination.port).then(
      (socket) => {
        if (link.destroyed) {
          socket.close();
          return;
        }
        this.log.debug(`sending datagrams to ${formatDestination(destination)}`, session.id);
        void pumpDatagrams(socket, link);
      },
      (error: unknown) => {
        this.failed(session, destination, error);
        link.destroy();
      },
    );
  }

  /** A local service that is down fails every connection sent to it: summarised per target and cause. */
  private failed(session: Session, destination: Destination, error: unknown): void {
    const target = formatDestination(destination);
    this.log.summarised('warning', `open ${target} ${errorKindOf(error)}`, `failed to open ${target} > ${formatErrorLine(error)}`, session.id);
  }

  async close(): Promise<void> {}
}
