/**
 * A UDP listener that turns datagrams into sessions, as V2Ray's UDP inbound worker does: the
 * first datagram from a source address opens a session (a `UdpSessionStream` handed to `open`),
 * later ones from that address are read from it, and what is written to it is sent to that
 * address. A session ends when its stream closes (the outbound gave up, or the idle timeout hit).
 */
import dgram, { type RemoteInfo } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { PortholeError } from '../common/errors.js';
import type { SourceEndpoint } from '../common/session.js';
import { PACKET_LINK_BUFFER } from './link.js';
import { MAX_QUEUED_DATAGRAMS } from './udp.js';

/**
 * One source address's datagrams as a packet stream (one datagram per chunk): reading yields what
 * the source sent, writing sends to it. Counts its bytes as a socket does.
 */
export class UdpSessionStream extends Duplex {
  bytesRead = 0;
  bytesWritten = 0;

  constructor(private readonly socket: dgram.Socket, private readonly to: RemoteInfo) {
    // UDP has no half-close: when the far side is done, so is the session (see _final).
    super({ objectMode: true, highWaterMark: PACKET_LINK_BUFFER, allowHalfOpen: true });
  }

  /** A datagram from the source; dropped while the reader is far behind, as a full socket buffer would drop it. */
  offer(datagram: Buffer): void {
    if (this.destroyed || this.readableLength >= MAX_QUEUED_DATAGRAMS) return;
    this.bytesRead += datagram.length;
    this.push(datagram);
  }

  override _read(): void {}

  override _write(datagram: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytesWritten += datagram.length;
    this.socket.send(datagram, this.to.port, this.to.address);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
    this.destroy();
  }
}

export class UdpSessions {
  private readonly sessions = new Map<string, UdpSessionStream>();

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly open: (source: SourceEndpoint, stream: UdpSessionStream) => boolean,
  ) {
    socket.on('message', (datagram, from) => this.receive(datagram, from));
    // A send to a source that went away reports ICMP errors here; the listener goes on.
    socket.on('error', () => {});
  }

  /** Binds host:port (`::` takes IPv4 and IPv6, falling back to `0.0.0.0` without IPv6). */
  /** `open` takes a new source's session and says whether it did (else the datagram is dropped, and the next one tries again). */
  static async listen(options: { host: string; port: number }, open: (source: SourceEndpoint, stream: UdpSessionStream) => boolean): Promise<UdpSessions> {
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
    for (const stream of this.sessions.values()) stream.destroy();
    this.sessions.clear();
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }

  private receive(datagram: Buffer, from: RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let stream = this.sessions.get(key);
    if (!stream) {
      stream = new UdpSessionStream(this.socket, from);
      if (!this.open({ address: from.address, port: from.port }, stream)) {
        stream.destroy();
        return;
      }
      this.attach(key, stream);
    }
    stream.offer(datagram);
  }

  private attach(key: string, stream: UdpSessionStream): void {
    this.sessions.set(key, stream);
    stream.once('close', () => {
      if (this.sessions.get(key) === stream) this.sessions.delete(key);
    });
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
