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

/** V2Ray's 0.0.0.0 listens on IPv4 and IPv6; Node needs `::` for that (listenTcp falls back when IPv6 is off). */
export function nodeListenHost(listen: string): string {
  return listen === '0.0.0.0' ? '::' : listen;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** The listener stopped accepting (see keepListening) and listens again in `retryInMs`; for the log. */
  onAcceptError?: (error: Error, retryInMs: number) => void;
}

/**
 * Starts a TCP listener; resolves once it is bound (so port 0 gets its real port). `::` (all
 * addresses, both families) falls back to `0.0.0.0` on a host without IPv6.
 */
export async function listenTcp(options: ListenOptions, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  let server: net.Server;
  try {
    server = await listenOnce(options, onConnection);
  } catch (error) {
    const code = ((error as PortholeError).cause as { code?: string } | undefined)?.code;
    if (!(options.host === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL'))) throw error;
    server = await listenOnce({ ...options, host: '0.0.0.0' }, onConnection);
  }
  keepListening(server, options.onAcceptError);
  return server;
}

/**
 * The wait before listening again after an accept error (V2Ray's TCP hub sleeps 500 ms on
 * "too many open files"), doubled while listening again fails, up to the cap.
 */
export const ACCEPT_RETRY_MIN_MS = 500;
export const ACCEPT_RETRY_MAX_MS = 8_000;

/** A listener's pending re-listen, cancelled by closeServer. */
const relistens = new WeakMap<net.Server, { timer: NodeJS.Timeout | undefined; closed: boolean }>();

/**
 * Keeps a bound listener accepting through accept errors (issue "Survival II": a portal out of
 * file descriptors). On Linux and macOS with Node 20 (libuv 1.46) such errors never reach
 * JavaScript: libuv sheds the load itself (it closes a reserved descriptor, accepts and at once
 * closes every pending connection, then reserves it again), so connections that arrive while the
 * process is out of descriptors are closed, and accepting resumes as soon as one is free. Where
 * libuv does report one as the server's 'error', it has stopped listening (Windows, when no socket
 * can be made) or would call again in a loop that never yields (libuv before 1.45); without a
 * listener for that 'error' the process died. So: close the handle (the existing connections stay),
 * wait, and listen again on the same address and port. listenTcp does this for every engine
 * listener; other servers (the dashboard's) can call it once bound.
 */
export function keepListening(server: net.Server, onAcceptError?: ListenOptions['onAcceptError']): void {
  const { address, port } = server.address() as net.AddressInfo;
  const state: { timer: NodeJS.Timeout | undefined; closed: boolean } = { timer: undefined, closed: false };
  relistens.set(server, state);
  let retryMs = ACCEPT_RETRY_MIN_MS;
  const listenAgain = () => {
    state.timer = undefined;
    if (state.closed) return;
    // An IP address: bound at once, and a failure (the port taken meanwhile, no descriptor for the socket) is another 'error'.
    server.listen({ host: address, port }, () => {
      if (state.closed) server.close();
      else retryMs = ACCEPT_RETRY_MIN_MS;
    });
  };
  server.on('error', (error: Error) => {
    if (server.listening) server.close();
    if (state.closed || state.timer) return;
    onAcceptError?.(error, retryMs);
    state.timer = setTimeout(listenAgain, retryMs);
    state.timer.unref();
    retryMs = Math.min(retryMs * 2, ACCEPT_RETRY_MAX_MS);
  });
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
  const relisten = relistens.get(server);
  if (relisten) {
    relisten.closed = true;
    clearTimeout(relisten.timer);
  }
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
