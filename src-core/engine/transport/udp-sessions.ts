/**
 * A UDP listener that turns datagrams into sessions, as V2Ray's UDP inbound worker does: the
 * first datagram from a source address opens a session (a packet link from `open`), later ones
 * from that address go into it, and what comes back on the link is sent to that address. A
 * session ends when its link closes (the outbound gave up, or the idle timeout hit).
 */
import dgram, { type RemoteInfo } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { PortholeError } from '../common/errors.js';
import type { SourceEndpoint } from '../common/session.js';
import type { Link } from './link.js';
import { offerDatagram } from './udp.js';

export class UdpSessions {
  private readonly sessions = new Map<string, Link>();

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly open: (source: SourceEndpoint) => Link | undefined,
  ) {
    socket.on('message', (datagram, from) => this.receive(datagram, from));
    // A send to a source that went away reports ICMP errors here; the listener goes on.
    socket.on('error', () => {});
  }

  /** Binds host:port (`::` takes IPv4 and IPv6, falling back to `0.0.0.0` without IPv6). */
  static async listen(options: { host: string; port: number }, open: (source: SourceEndpoint) => Link | undefined): Promise<UdpSessions> {
    try {
      return new UdpSessions(await bind(options.host, options.port), open);
    } catch (error) {
      const code = ((error as PortholeError).cause as { code?: string } | undefined)?.code;
      if (options.host === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) return new UdpSessions(await bind('0.0.0.0', options.port), open);
      throw error;
    }
  }

  address(): AddressInfo {
    return this.socket.address();
  }

  /** Sessions open now (for tests). */
  get size(): number {
    return this.sessions.size;
  }

  close(): void {
    for (const link of this.sessions.values()) link.destroy();
    this.sessions.clear();
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }

  private receive(datagram: Buffer, from: RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let link = this.sessions.get(key);
    if (!link) {
      link = this.open({ address: from.address, port: from.port });
      if (!link) return;
      this.attach(key, link, from);
    }
    offerDatagram(link, datagram);
  }

  private attach(key: string, link: Link, to: RemoteInfo): void {
    this.sessions.set(key, link);
    link.on('data', (reply: Buffer) => this.socket.send(reply, to.port, to.address));
    const forget = () => {
      if (this.sessions.get(key) === link) this.sessions.delete(key);
      if (!link.destroyed) link.destroy();
    };
    // UDP has no half-close: when the far side is done, so is the session.
    link.once('end', forget);
    link.once('close', forget);
  }
}

function bind(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const onError = (error: Error) => {
      socket.close();
      reject(new PortholeError('PH_DIAL_FAILED', `listen on udp ${host}:${port}`, { cause: error }));
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
