/**
 * Dialling a fallback destination: `host:port` over TCP, or a Unix socket path ("@name" is the
 * Linux abstract namespace, as Go spells it). 4.34 tries 5 times with exponential back-off from
 * 100 ms.
 */
import net from 'node:net';
import { PortholeError } from '../../common/errors.js';
import { dialErrorCode, dialTcp } from '../../transport/tcp.js';
import type { FallbackTarget } from './fallback.js';

const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 100;

/** Go `net.SplitHostPort` for the forms a fallback `dest` takes ("127.0.0.1:80", "[::1]:80", "host:80"). */
export function splitHostPort(dest: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(dest);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

function dialUnix(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: path.startsWith('@') ? `\0${path.slice(1)}` : path, allowHalfOpen: true });
    const onError = (error: Error) => reject(new PortholeError(dialErrorCode(error), `dial unix ${path}`, { cause: error }));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function dialOnce(target: FallbackTarget): Promise<net.Socket> {
  if (target.type === 'unix') return dialUnix(target.dest);
  const hostPort = splitHostPort(target.dest);
  if (!hostPort) return Promise.reject(new PortholeError('PH_DIAL_FAILED', `invalid fallback dest ${JSON.stringify(target.dest)}`));
  return dialTcp(hostPort.host, hostPort.port);
}

export async function dialFallback(target: FallbackTarget, stillWanted: () => boolean): Promise<net.Socket> {
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, FIRST_BACKOFF_MS * 2 ** (attempt - 1)));
    if (!stillWanted()) break;
    try {
      return await dialOnce(target);
    } catch (error) {
      lastError = error;
    }
  }
  throw new PortholeError('PH_DIAL_FAILED', `vless: failed to dial fallback ${target.dest}`, { cause: lastError });
}
