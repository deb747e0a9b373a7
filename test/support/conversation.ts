/**
 * Scripted conversations on real sockets (the request inspector's byte-exact tests): a visitor
 * and a service take turns sending fixed bytes, each waiting until it has received all of the
 * other's turns so far. Each side records every byte it read, so a test can check that both saw
 * exactly what the other sent, and nothing else.
 */
import net from 'node:net';

export interface Turn {
  readonly from: 'visitor' | 'service';
  readonly bytes: Buffer;
}

export interface ConversationResult {
  /** What the service's socket read. */
  serviceReceived: Buffer;
  /** What the visitor's socket read. */
  visitorReceived: Buffer;
}

export function sentBy(turns: readonly Turn[], side: 'visitor' | 'service'): Buffer {
  return Buffer.concat(turns.filter((turn) => turn.from === side).map((turn) => turn.bytes));
}

/** Plays `turns` from one side; resolves with what it read once the other side ended. */
function play(socket: net.Socket, side: 'visitor' | 'service', turns: readonly Turn[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    let receivedBytes = 0;
    let next = 0;
    const otherBytesThrough = (last: number) => turns.slice(0, last + 1).reduce((sum, turn) => sum + (turn.from === side ? 0 : turn.bytes.length), 0);
    const advance = () => {
      for (let turn = turns[next]; turn; turn = turns[next]) {
        if (turn.from !== side && receivedBytes < otherBytesThrough(next)) return;
        if (turn.from === side) socket.write(turn.bytes);
        next += 1;
      }
      if (!socket.writableEnded) socket.end();
    };
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      receivedBytes += chunk.length;
      advance();
    });
    socket.once('end', () => resolve(Buffer.concat(received)));
    socket.once('error', reject);
    advance();
  });
}

export interface ScriptedService {
  readonly port: number;
  /** Queues the script of the next connection; resolves with what the service read on it. */
  expect(turns: readonly Turn[]): Promise<Buffer>;
  close(): Promise<void>;
}

/** A TCP service that plays one queued script per connection (its service turns). */
export async function startScriptedService(): Promise<ScriptedService> {
  const queue: Array<{ turns: readonly Turn[]; done: (received: Buffer) => void; failed: (error: unknown) => void }> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const script = queue.shift();
    if (!script) {
      socket.destroy();
      return;
    }
    play(socket, 'service', script.turns).then(script.done, script.failed);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    expect: (turns) => new Promise((done, failed) => queue.push({ turns, done, failed })),
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The visitor connects to `port` and plays its turns; `service` (a script queued now) answers. */
export async function converse(service: ScriptedService, port: number, turns: readonly Turn[]): Promise<ConversationResult> {
  const serviceDone = service.expect(turns);
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const [visitorReceived, serviceReceived] = await Promise.all([play(socket, 'visitor', turns), serviceDone]);
  socket.destroy();
  return { serviceReceived, visitorReceived };
}
