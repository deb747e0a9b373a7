/**
 * Sized downloads through a tunnel from the bench's upstream (`startMixedUpstream`), each told
 * apart as whole, cut with a clean end (a lie the client would take for the whole file), or cut
 * with a reset.
 */
import net from 'node:net';
import { DOWNLOAD, sizedHeader } from '../../bench/lib/protocol.js';

export interface DownloadOutcome {
  size: number;
  received: number;
  /** How the stream ended: a clean FIN, or a reset / error / the time running out. */
  ending: 'end' | 'reset';
}

export function download(port: number, size: number, timeoutMs: number): Promise<DownloadOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = 0;
    let settled = false;
    const settle = (ending: DownloadOutcome['ending']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ size, received, ending });
    };
    const timer = setTimeout(() => settle('reset'), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.once('end', () => settle('end'));
    socket.once('error', () => settle('reset'));
    socket.once('close', () => settle('reset'));
    socket.once('connect', () => socket.write(sizedHeader(DOWNLOAD, size)));
  });
}

/** `count` concurrent downloads of 16, 64 and 256 KiB in turn. */
export function downloads(count: number, port: number, timeoutMs = 90_000): Promise<DownloadOutcome[]> {
  const sizes = [16 * 1024, 64 * 1024, 256 * 1024];
  return Promise.all(Array.from({ length: count }, (_, i) => download(port, sizes[i % sizes.length]!, timeoutMs)));
}

export function summarise(outcomes: readonly DownloadOutcome[]): { whole: number; cutWithFin: number; cutWithReset: number } {
  let whole = 0;
  let cutWithFin = 0;
  let cutWithReset = 0;
  for (const outcome of outcomes) {
    if (outcome.received === outcome.size && outcome.ending === 'end') whole += 1;
    else if (outcome.ending === 'end') cutWithFin += 1;
    else cutWithReset += 1;
  }
  return { whole, cutWithFin, cutWithReset };
}
