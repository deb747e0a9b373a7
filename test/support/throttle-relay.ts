/**
 * A TCP relay on loopback that stands in for a slow or stalled network between two peers: the
 * forward direction (client → target) can be throttled to a byte rate, and the whole relay can
 * be frozen (nothing read either way) as if the far process were stopped.
 */
import net from 'node:net';

export interface ThrottleRelay {
  port: number;
  /** Stops moving bytes both ways until `resume` (the sockets stay open). */
  freeze(): void;
  resume(): void;
  close(): Promise<void>;
}

export interface ThrottleOptions {
  targetPort: number;
  /** Bytes per second from the relay's client towards the target; undefined: unthrottled. */
  forwardBytesPerSecond?: number;
}

const TICK_MS = 10;

/** Moves `from` → `to`, at most `bytesPerSecond` (in 10 ms slices), never while `frozen()`. */
function meter(from: net.Socket, to: net.Socket, bytesPerSecond: number | undefined, frozen: () => boolean, timers: Set<NodeJS.Timeout>): void {
  const queue: Buffer[] = [];
  let ended = false;
  const perTick = bytesPerSecond === undefined ? Infinity : Math.max(1, Math.floor((bytesPerSecond * TICK_MS) / 1000));
  const flush = () => {
    if (frozen() || to.destroyed) return;
    let budget = perTick;
    while (queue.length > 0 && budget > 0) {
      const head = queue[0]!;
      const piece = head.length <= budget ? head : head.subarray(0, budget);
      if (piece === head) queue.shift();
      else queue[0] = head.subarray(budget);
      budget -= piece.length;
      to.write(piece);
    }
    if (queue.length === 0 && ended && !to.writableEnded) to.end();
    // Keep roughly a tick's worth queued: the sender feels the slow link as backpressure.
    if (queue.length < 4 && from.isPaused() && !ended) from.resume();
  };
  const ticker = setInterval(flush, TICK_MS);
  timers.add(ticker);
  from.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= 4) from.pause();
  });
  from.on('end', () => {
    ended = true;
  });
  from.once('close', () => {
    if (!ended) to.destroy();
  });
  to.once('close', () => {
    clearInterval(ticker);
    timers.delete(ticker);
  });
}

export async function startThrottleRelay(options: ThrottleOptions): Promise<ThrottleRelay> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const isFrozen = () => frozen;
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const target = net.connect({ host: '127.0.0.1', port: options.targetPort, allowHalfOpen: true });
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        target.destroy();
      });
      socket.once('close', () => sockets.delete(socket));
    }
    meter(client, target, options.forwardBytesPerSecond, isFrozen, timers);
    meter(target, client, undefined, isFrozen, timers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    freeze: () => {
      frozen = true;
    },
    resume: () => {
      frozen = false;
    },
    close: () => new Promise<void>((resolve) => {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
