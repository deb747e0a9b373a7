/**
 * The http inbound's head cap (codec.ts MAX_HEAD_BYTES; 4.34 reads on without one): a client whose
 * head grows past it is closed without an answer and one log line names it, while a normal request
 * on another connection is still answered. Real sockets on 127.0.0.1.
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { Instance } from '../../instance.js';
import { freePorts, waitUntil } from '../../../../test/support/ports.js';
import { MAX_HEAD_BYTES } from './codec.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Writes `bytes` and collects the answer until the proxy closes. */
function send(port: number, bytes: Buffer): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    cleanups.push(() => { socket.destroy(); });
    let answer = '';
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('latin1'); });
    socket.on('error', () => {});
    socket.once('close', () => resolve({ answer, closed: true }));
    socket.once('connect', () => socket.write(bytes));
  });
}

it(`closes a client whose head passes ${MAX_HEAD_BYTES} bytes, without an answer, and serves the others`, async () => {
  const [port = 0] = await freePorts(1);
  const lines: string[] = [];
  const config = { log: { loglevel: 'warning' }, inbounds: [{ listen: '127.0.0.1', port, protocol: 'http' }], outbounds: [{ protocol: 'blackhole' }] };
  const instance = new Instance(loadConfig([{ name: 'c.json', text: JSON.stringify(config) }], { env: {} }), { logSinks: { error: { write: (line: string) => { lines.push(line); } }, access: { write: () => {} } } });
  await instance.start();
  cleanups.push(() => instance.close());
  const huge = Buffer.from(`GET http://example.com/ HTTP/1.1\r\n${'X-Filler: 0123456789abcdef\r\n'.repeat(Math.ceil(MAX_HEAD_BYTES / 26) + 10)}`);
  expect(await send(port, huge)).toEqual({ answer: '', closed: true });
  await waitUntil(() => lines.some((line) => line.includes(`http: head larger than ${MAX_HEAD_BYTES} bytes`)), 2000, 'the log line');
  // A request that is not for a proxy still gets 4.34's 400: the inbound carries on.
  expect((await send(port, Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))).answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
});
