/**
 * UDP as the engine uses it: a connected datagram socket per session (freedom), and the pump that
 * moves datagrams between such a socket and a packet link (one datagram per chunk). UDP has no
 * backpressure: when the link is this far behind, further datagrams are dropped, as a full
 * socket buffer would drop them.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { PortholeError } from '../common/errors.js';
import type { Link } from './link.js';

/** Datagrams a link may hold unread before more are dropped. */
export const MAX_QUEUED_DATAGRAMS = 256;

/** A UDP socket connected to host:port (a name is resolved as `connect` resolves it). */
export function dialUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const onError = (error: Error) => {
      socket.close();
      reject(new PortholeError('PH_DIAL_FAILED', `udp ${host}:${port}`, { cause: error }));
    };
    socket.once('error', onError);
    socket.connect(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Writes a datagram to a packet link unless it is too far behind; true when written. */
export function offerDatagram(link: Link, datagram: Buffer): boolean {
  if (link.destroyed || link.writableEnded || link.writableLength >= MAX_QUEUED_DATAGRAMS) return false;
  link.write(datagram);
  return true;
}

/**
 * Moves datagrams both ways between a connected socket and a packet link until either closes;
 * resolves then. The socket is closed at the end.
 */
export function pumpDatagrams(socket: dgram.Socket, link: Link): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.off('message', fromSocket);
      link.off('data', fromLink);
      try {
        socket.close();
      } catch {
        // Already closed.
      }
      if (!link.destroyed) link.destroy();
      resolve();
    };
    const fromSocket = (datagram: Buffer) => { offerDatagram(link, datagram); };
    const fromLink = (datagram: Buffer) => { socket.send(datagram); };
    socket.on('message', fromSocket);
    socket.once('error', finish);
    socket.once('close', finish);
    link.on('data', fromLink);
    // UDP has no half-close: the session ends when either side is done.
    link.once('end', finish);
    link.once('close', finish);
  });
}
