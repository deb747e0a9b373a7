/**
 * `listen(host, port, streamSettings, onConnection)`: V2Ray's `internet.ListenTCP`. A TCP listener
 * (tcp.ts: accept errors survived), each connection then through TLS and the WebSocket upgrade
 * as `stream` says; `onConnection` gets only connections that completed them. One that fails is
 * reported to `onRejected` (for the inbound's log) and closed; the others carry on.
 */
import type net from 'node:net';
import type { StreamSettings } from '../../config/types.js';
import { closeServer, listenTcp } from '../tcp.js';
import type { Connection, Listener } from './connection.js';
import { describeServerTlsError, prepareServerTls, tlsErrorIsMismatch, type LiveServerCertificate } from './tls.js';
import { createWebSocketAcceptor } from './websocket.js';

/** How long a client has for the TLS handshake (4.34 gives the whole VMess handshake 4 s). */
export const TLS_HANDSHAKE_MS = 8_000;

export type RejectSeverity = 'info' | 'warning';

export interface ListenOptions {
  host: string;
  port: number;
  /** Plain TCP when undefined. */
  stream?: StreamSettings | undefined;
  /** The TCP listener stopped accepting and listens again in `retryInMs` (tcp.ts keepListening). */
  onAcceptError?: (error: Error, retryInMs: number) => void;
  /**
   * A connection failed TLS or the WebSocket upgrade: who, why (one line), and how much it says:
   * `warning` for a client that speaks something else, `info` for one that only went away.
   */
  onRejected?: (source: string, why: string, severity: RejectSeverity) => void;
  /** `stream.tls.acme`'s certificate, obtained while the inbound runs; opened here, closed with the listener. */
  certificate?: LiveServerCertificate | undefined;
}

/**
 * The `onRejected` every inbound uses: a failed TLS or WebSocket handshake is a scanner or a
 * misconfigured client, so its line is summarised per address.
 */
export function summariseRejections(log: { summarised(level: RejectSeverity, key: string, message: string): void }): NonNullable<ListenOptions['onRejected']> {
  return (source, why, severity) => log.summarised(severity, `transport ${source.replace(/:\d+$/, '')}`, `rejected a connection from ${source}: ${why}`);
}

export async function listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
  const { stream } = options;
  const onRejected = options.onRejected ?? (() => {});
  // Prepared before binding: a bad certificate fails the inbound's start with its config place.
  const serverTls = stream?.tls ? prepareServerTls(stream.tls, options.certificate) : undefined;
  const certificate = stream?.tls ? options.certificate : undefined;
  const acceptor = stream?.ws ? createWebSocketAcceptor(stream.ws, onConnection, onRejected) : undefined;
  // Connections still in their TLS handshake belong to no inbound yet: closing the listener ends them.
  const handshaking = new Set<net.Socket>();
  const carry = (socket: net.Socket, raw: net.Socket) => {
    if (acceptor) acceptor.handle(socket, raw);
    else onConnection(socket);
  };
  await certificate?.open();
  const server = await listenTcp({ host: options.host, port: options.port, ...(options.onAcceptError ? { onAcceptError: options.onAcceptError } : {}) }, (raw) => {
    if (!serverTls) {
      carry(raw, raw);
      return;
    }
    raw.on('error', () => {});
    const source = `${raw.remoteAddress}:${raw.remotePort}`;
    handshaking.add(raw);
    serverTls.accept(raw, TLS_HANDSHAKE_MS).then(
      (secure) => {
        handshaking.delete(raw);
        carry(secure, raw);
      },
      (error: unknown) => {
        if (!handshaking.delete(raw)) return;
        onRejected(source, describeServerTlsError(error), tlsErrorIsMismatch(error) ? 'warning' : 'info');
      },
    );
  }).catch(async (error: unknown) => {
    await certificate?.close();
    throw error;
  });
  return {
    address() {
      const bound = server.address() as net.AddressInfo;
      return { host: bound.address, port: bound.port };
    },
    async close() {
      for (const raw of handshaking) raw.destroy();
      handshaking.clear();
      acceptor?.close();
      await closeServer(server);
      await certificate?.close();
    },
  };
}
