/**
 * TCP as the engine uses it: listeners and dials with half-close on, Nagle off, and dial errors
 * turned into PortholeErrors whose codes say why (refused, timed out, reset).
 */
import net from 'node:net';
import { PortholeError, type ErrorCode } from '../common/errors.js';

/**
 * Write buffer of the engine's TCP sockets before `write()` asks for backpressure (Node's default
 * is 16 KiB). A pump stops reading its source once its destination reports full and waits a loop
 * turn for 'drain'; at 16 KiB a 4.34 peer's 8 KiB Mux frames then reached a service socket two at
 * a time. At 64 KiB a socket read's worth goes out in one writev.
 */
export const SOCKET_WRITE_BUFFER_BYTES = 64 * 1024;

export interface ListenOptions {
  host: string;
  port: number;
}

/**
 * Starts a TCP listener; resolves once it is bound (so port 0 gets its real port). `::` (all
 * addresses, both families) falls back to `0.0.0.0` on a host without IPv6.
 */
export async function listenTcp(options: ListenOptions, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  try {
    return await listenOnce(options, onConnection);
  } catch (error) {
    const code = ((error as PortholeError).cause as { code?: string } | undefined)?.code;
    if (options.host === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) return listenOnce({ ...options, host: '0.0.0.0' }, onConnection);
    throw error;
  }
}

function listenOnce(options: ListenOptions, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, highWaterMark: SOCKET_WRITE_BUFFER_BYTES }, onConnection);
    const onError = (error: Error) => reject(new PortholeError('PH_DIAL_FAILED', `listen on ${options.host}:${options.port}`, { cause: error }));
    server.once('error', onError);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/** The error code for a failed dial, from Node's errno. */
export function dialErrorCode(error: unknown): ErrorCode {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'PH_DIAL_REFUSED';
    case 'ETIMEDOUT':
    case 'PH_DIAL_TIMEOUT':
      return 'PH_DIAL_TIMEOUT';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'PH_CONNECTION_RESET';
    default:
      return 'PH_DIAL_FAILED';
  }
}

/** Dials host:port; resolves with the connected socket or rejects with a coded PortholeError. */
export function dialTcp(host: string, port: number, timeoutMs = 10_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // net.Socket hands Duplex options on to its stream; @types/node does not list them.
    const options: net.TcpNetConnectOpts & { writableHighWaterMark: number } = { host, port, allowHalfOpen: true, noDelay: true, writableHighWaterMark: SOCKET_WRITE_BUFFER_BYTES };
    const socket = net.connect(options);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new PortholeError('PH_DIAL_TIMEOUT', `dial ${host}:${port}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(new PortholeError(dialErrorCode(error), `dial ${host}:${port}`, { cause: error }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
