/** A long-lived client connection through the portal that keeps sending and checks the XOR echo. */
import net from 'node:net';
import { deterministicBytes, xor5a } from '../../test/support/data.js';

export interface TrafficClient {
  readonly received: number;
  readonly closedByPeer: Promise<void>;
  /** Echo bytes that did not match what the upstream should have sent. */
  readonly mismatches: number;
  stop(): void;
}

/** Connects to the portal's public port and sends `chunkBytes` every `everyMs` until stopped or closed. */
export function startTraffic(port: number, chunkBytes = 32 * 1024, everyMs = 150): Promise<TrafficClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const sent: Buffer[] = [];
    let sentOffset = 0;
    let received = 0;
    let mismatches = 0;
    let seed = 1;
    let timer: ReturnType<typeof setInterval> | undefined;
    let markClosed: () => void = () => {};
    const closedByPeer = new Promise<void>((done) => { markClosed = done; });
    socket.on('data', (chunk: Buffer) => {
      // Compare each byte with what was sent, XOR 0x5a.
      let at = 0;
      while (at < chunk.length && sent.length > 0) {
        const head = sent[0] as Buffer;
        const take = Math.min(head.length - sentOffset, chunk.length - at);
        const expected = xor5a(head.subarray(sentOffset, sentOffset + take));
        if (!expected.equals(chunk.subarray(at, at + take))) mismatches += 1;
        at += take;
        sentOffset += take;
        if (sentOffset === head.length) {
          sent.shift();
          sentOffset = 0;
        }
      }
      received += chunk.length;
    });
    socket.once('close', () => {
      if (timer) clearInterval(timer);
      markClosed();
    });
    socket.once('error', (error) => {
      if (!timer) reject(error);
    });
    socket.once('connect', () => {
      timer = setInterval(() => {
        const payload = deterministicBytes(seed++, chunkBytes);
        sent.push(payload);
        socket.write(payload);
      }, everyMs);
      resolve({
        get received() { return received; },
        get mismatches() { return mismatches; },
        closedByPeer,
        stop: () => {
          if (timer) clearInterval(timer);
          socket.destroy();
        },
      });
    });
  });
}
