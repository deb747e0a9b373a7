/**
 * The socks inbound's `timeout` (V2Ray 4.34 `proxy/socks/server.go` `policy()`): with `userLevel`
 * 0 it replaces the level's `connIdle` for the inbound's own inactivity timer of a CONNECT (not the
 * handshake timeout); with any other level it is ignored. Real sockets on 127.0.0.1: an idle tunnel
 * through an inbound with `timeout: 1` is cut, one that keeps talking is not, and the same setting
 * at `userLevel` 1 leaves an idle tunnel open. No wall-clock time is asserted: the windows are wide.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { Instance } from '../../instance.js';
import { freePorts } from '../../../../test/support/ports.js';
import { startXorEcho } from '../../../../test/support/upstream.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<{ levelZero: number; levelOne: number; echo: number }> {
  const echo = await startXorEcho();
  cleanups.push(() => echo.close());
  const [levelZero = 0, levelOne = 0] = await freePorts(2);
  const config = {
    log: { loglevel: 'none' },
    policy: { levels: { 0: { connIdle: 300 }, 1: { connIdle: 300 } } },
    inbounds: [
      { listen: '127.0.0.1', port: levelZero, protocol: 'socks', settings: { timeout: 1 } },
      { listen: '127.0.0.1', port: levelOne, protocol: 'socks', settings: { timeout: 1, userLevel: 1 } },
    ],
    outbounds: [{ protocol: 'freedom' }],
  };
  const instance = new Instance(loadConfig([{ name: 'c.json', text: JSON.stringify(config) }], { env: {} }));
  await instance.start();
  cleanups.push(() => instance.close());
  return { levelZero, levelOne, echo: echo.port };
}

/** A SOCKS 5 CONNECT to 127.0.0.1:`target`, resolved once the reply and a first echo arrived. */
async function tunnel(port: number, target: number): Promise<{ socket: net.Socket; closed: Promise<void>; isClosed(): boolean }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  cleanups.push(() => { socket.destroy(); });
  let closed = false;
  const closedPromise = new Promise<void>((resolve) => socket.once('close', () => { closed = true; resolve(); }));
  socket.on('error', () => {});
  let received = 0;
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= 2 + 10 + 2) resolve();
    });
    socket.once('connect', () => socket.write(Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 0xff, 0x01, 0x02])));
  });
  return { socket, closed: closedPromise, isClosed: () => closed };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('socks timeout', () => {
  it('with userLevel 0, cuts a CONNECT idle for `timeout` seconds; traffic keeps it; another level ignores it', async () => {
    const { levelZero, levelOne, echo } = await start();
    const idle = await tunnel(levelZero, echo);
    const talking = await tunnel(levelZero, echo);
    const otherLevel = await tunnel(levelOne, echo);
    // The talking tunnel sends a byte every 300 ms until the idle one is cut.
    const chatter = setInterval(() => talking.socket.write('x'), 300);
    cleanups.push(() => clearInterval(chatter));
    const cut = await Promise.race([idle.closed.then(() => true), sleep(8000).then(() => false)]);
    expect(cut).toBe(true);
    // At least another second with the talking one active: still open, and so is the level-1 tunnel, idle all along.
    await sleep(1500);
    clearInterval(chatter);
    expect(talking.isClosed()).toBe(false);
    expect(otherLevel.isClosed()).toBe(false);
    const echoed = new Promise<Buffer>((resolve) => otherLevel.socket.once('data', resolve));
    otherLevel.socket.write('still here');
    expect((await echoed).toString()).toBe(Buffer.from('still here').map((byte) => byte ^ 0x5a).toString());
  }, 20_000);
});
