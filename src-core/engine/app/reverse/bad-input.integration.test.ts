/**
 * Bad input never costs other connections a byte: while 8 transfers of 4 MiB run through a
 * Porthole portal and bridge, an attacker throws garbage at the VMess port, authenticates with a
 * wrong UUID, replays a valid header, and opens bridge links that send a truncated or oversized
 * Mux frame or vanish mid-frame. Each bad connection is closed with one log line saying why; the
 * process lives; every transfer arrives intact.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicBytes, sha256, xor5a } from '../../../../test/support/data.js';
import { fakeBridgeLink } from '../../../../test/support/fake-bridge-link.js';
import { waitUntil } from '../../../../test/support/ports.js';
import { startPair, type RunningPair } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const WRONG_UUID = '27848739-7e62-4138-9fd3-098a63964b6c';

let upstream: RunningServer;
let pair: RunningPair;
beforeAll(async () => {
  upstream = await startXorEcho();
  pair = await startPair('porthole', 'porthole', upstream.port);
  await waitUntil(async () => {
    const echoed = await echoThrough(pair.ports.publicPort, Buffer.from('up?'), { closeAfterEcho: true, timeoutMs: 3000 }).catch(() => undefined);
    return echoed?.toString() === xor5a(Buffer.from('up?')).toString();
  }, 20_000, 'the tunnel');
});
afterAll(async () => {
  await pair.stop();
  await upstream.close();
});

/** Opens a raw TCP connection to the portal's VMess port, sends `bytes`, and waits until the portal closes it. */
function sendRaw(bytes: Buffer, options: { end?: boolean; destroyAfterMs?: number } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: pair.ports.linkPort });
    socket.on('error', () => {});
    // Read (and drop) what the portal says, or its FIN would wait behind unread bytes.
    socket.resume();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the portal kept a bad connection open for 10 s (${bytes.length} bytes sent; log: ${pair.portal.logLines.slice(-3).join(' | ')})`));
    }, 10_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect', () => {
      socket.write(bytes);
      if (options.end) socket.end();
      if (options.destroyAfterMs !== undefined) setTimeout(() => socket.destroy(), options.destroyAfterMs);
    });
  });
}

function linesSince(start: number): string[] {
  return pair.portal.logLines.slice(start);
}

describe('bad input on a live portal', () => {
  it('closes each bad connection with one log line and loses no byte of the others', async () => {
    const payloads = Array.from({ length: 8 }, (_, i) => deterministicBytes(7000 + i, 4 * 1024 * 1024));
    const transfers = Promise.all(payloads.map((payload) => echoThrough(pair.ports.publicPort, payload, { closeAfterEcho: true, timeoutMs: 60_000 })));
    const logStart = pair.portal.logLines.length;
    // The attack starts once all 8 transfers run on the good link (an authenticated fake bridge
    // link would otherwise be a fair choice for them: it is a bridge as far as the portal knows).
    const flowing = () => pair.bridge.instance?.stats.snapshot().filter((row) => !row.closedAt && row.target === 'tcp:127.0.0.1:80' && row.bytesDown > 0).length ?? 0;
    await waitUntil(() => flowing() >= 8, 20_000, 'the transfers to start');

    // 1. Garbage on the VMess port, then EOF.
    await sendRaw(randomBytes(300), { end: true });
    // 2. A well-formed header for a user the portal does not know.
    const wrong = fakeBridgeLink(WRONG_UUID, Buffer.alloc(0));
    await sendRaw(wrong.header, { end: true });
    // 3. The same valid header twice: the second is a replay.
    const valid = fakeBridgeLink(UUID, Buffer.alloc(0));
    const first = sendRaw(valid.header, { destroyAfterMs: 200 });
    await sendRaw(valid.header, { end: true });
    await first;
    // 4. An authenticated bridge link whose first Mux frame claims 65535 bytes of metadata.
    const oversized = fakeBridgeLink(UUID, Buffer.from([0xff, 0xff, 0, 1, 1, 0]));
    await sendRaw(Buffer.concat([oversized.header, oversized.body]));
    // 5. An authenticated bridge link that sends half a frame and vanishes.
    const truncated = fakeBridgeLink(UUID, Buffer.from([0x00, 0x04, 0x00]));
    await sendRaw(Buffer.concat([truncated.header, truncated.body]), { destroyAfterMs: 100 });

    const echoed = await transfers;
    expect(echoed.map(sha256)).toEqual(payloads.map((payload) => sha256(xor5a(payload))));

    const lines = linesSince(logStart);
    const rejected = lines.filter((line) => line.includes('rejected a connection'));
    expect(rejected.some((line) => line.includes('invalid user'))).toBe(true);
    expect(rejected.some((line) => line.includes('replayed request'))).toBe(true);
    expect(rejected.length).toBeGreaterThanOrEqual(3);
    expect(lines.some((line) => /closing the link: .*metadata length 65535/.test(line))).toBe(true);
    // The good link is still there and still carries traffic.
    const again = await echoThrough(pair.ports.publicPort, Buffer.from('still alive'), { closeAfterEcho: true, timeoutMs: 10_000 });
    expect(again).toEqual(xor5a(Buffer.from('still alive')));
  }, 120_000);
});
