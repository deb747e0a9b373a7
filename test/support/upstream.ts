/**
 * Local services for end-to-end tests: an XOR echo (upload and download checked byte for byte,
 * half-close honoured) and a small HTTP server.
 */
import http from 'node:http';
import net from 'node:net';
import { DOWNLOAD, sizedHeader, writeBulk } from '../../bench/lib/protocol.js';
import { xor5a } from './data.js';

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

function track(server: net.Server): { sockets: Set<net.Socket>; close(): Promise<void> } {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    sockets,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

function listening(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve(typeof address === 'object' && address ? address.port : 0);
  }));
}

/** Echoes every byte XOR 0x5a; ends its side when the client ends its side. */
export async function startXorEcho(): Promise<RunningServer> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (!socket.write(xor5a(chunk))) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
    socket.on('end', () => socket.end());
  });
  const tracked = track(server);
  return { port: await listening(server), close: tracked.close };
}

/** An HTTP server answering every GET with `body`. */
export async function startHttp(body: string): Promise<RunningServer> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
  const tracked = track(server);
  return { port: await listening(server), close: tracked.close };
}

export interface EchoResult {
  sent: number;
  received: Buffer;
}

/**
 * Connects to host:port, sends `payload` while reading the echo; half-closes once the whole echo
 * is back (`closeAfterEcho`) or right after sending, and resolves with everything received up to EOF.
 */
export function echoThrough(port: number, payload: Buffer, options: { closeAfterEcho: boolean; timeoutMs?: number; expectBytes?: number } = { closeAfterEcho: true }): Promise<Buffer> {
  const expected = options.expectBytes ?? payload.length;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`echo through port ${port}: timed out with ${received} of ${expected} bytes back`));
    }, options.timeoutMs ?? 60_000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (options.closeAfterEcho && received >= expected) socket.end();
    });
    socket.once('end', () => {
      clearTimeout(timer);
      if (!socket.writableEnded) socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => {
      socket.write(payload);
      if (!options.closeAfterEcho) socket.end();
    });
  });
}

/**
 * An upstream with two services, picked by the first byte a client sends:
 * 'E' → XOR echo of everything after it; 'D' + uint64 size → that many deterministic bytes, then EOF.
 */
export async function startMixedUpstream(): Promise<RunningServer> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    let mode: 'unknown' | 'echo' | 'download' = 'unknown';
    let header = Buffer.alloc(0);
    const echo = (chunk: Buffer) => {
      if (!socket.write(xor5a(chunk))) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (mode === 'echo') return echo(chunk);
      if (mode === 'download') return;
      header = Buffer.concat([header, chunk]);
      if (header[0] === 0x45) {
        mode = 'echo';
        if (header.length > 1) echo(header.subarray(1));
      } else if (header[0] === DOWNLOAD && header.length >= 9) {
        mode = 'download';
        void sendDownload(socket, Number(header.readBigUInt64BE(1)));
      }
    });
    socket.on('end', () => {
      if (mode === 'echo') socket.end();
    });
  });
  const tracked = track(server);
  return { port: await listening(server), close: tracked.close };
}

/** The bench's download service, as the tests use it: `size` bytes, then EOF (nothing more once the client is gone). */
async function sendDownload(socket: net.Socket, size: number): Promise<void> {
  try {
    await writeBulk(socket, size);
  } catch {
    return;
  }
  if (!socket.destroyed) socket.end();
}

/** Asks the mixed upstream (through `port`) for a download and never reads it. */
export function stuckDownload(port: number, size: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(sizedHeader(DOWNLOAD, size));
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** An 'E'-prefixed XOR echo through the mixed upstream; resolves with the echoed bytes. */
export function mixedEcho(port: number, payload: Buffer, timeoutMs = 30_000): Promise<Buffer> {
  return echoThrough(port, Buffer.concat([Buffer.from('E'), payload]), { closeAfterEcho: true, timeoutMs, expectBytes: payload.length });
}

/** Downloads `size` bytes from the mixed upstream, reading at most `bytesPerTick` every 10 ms; resolves with the byte count. */
export function slowDownload(port: number, size: number, bytesPerTick: number, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = 0;
    let budget = bytesPerTick;
    const ticker = setInterval(() => {
      budget = bytesPerTick;
      if (socket.isPaused()) socket.resume();
    }, 10);
    const timer = setTimeout(() => finish(new Error(`slow download: ${received} of ${size} bytes after ${timeoutMs} ms`)), timeoutMs);
    const finish = (error?: Error) => {
      clearInterval(ticker);
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(received);
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      budget -= chunk.length;
      if (received >= size) finish();
      else if (budget <= 0) socket.pause();
    });
    socket.once('close', () => { if (received < size) finish(new Error(`slow download closed after ${received} of ${size} bytes`)); });
    socket.once('connect', () => {
      socket.write(sizedHeader(DOWNLOAD, size));
    });
  });
}

/**
 * A local service for steady-rate checks: on `get SIZE RATE` it sends SIZE bytes paced at RATE
 * bytes a second (0: as fast as it can), then ends; on `hold` it keeps the connection open, silent.
 */
export function startPacedSite(): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', (request) => {
        const [kind, sizeText, rateText] = request.toString().trim().split(' ');
        if (kind === 'hold') return;
        const size = Number(sizeText);
        const rate = Number(rateText);
        const chunk = Buffer.alloc(16 * 1024, 7);
        const started = Date.now();
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            if (rate > 0 && sent >= ((Date.now() - started) / 1000) * rate) {
              setTimeout(pump, 5);
              return;
            }
            const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
            sent += piece.length;
            if (!socket.write(piece)) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end();
        };
        pump();
      });
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
