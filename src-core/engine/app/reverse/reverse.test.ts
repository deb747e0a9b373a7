/**
 * Bridge and portal joined in memory (no VMess, no sockets): the bridge's link dispatch goes
 * straight to the portal, and sessions out of the tunnel reach an XOR echo service.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { destination, type Destination } from '../../common/net.js';
import { newSession, type Session } from '../../common/session.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import type { ComponentLogger } from '../../features/log.js';
import { createLinkPair, type Link } from '../../transport/link.js';
import { Bridge } from './bridge.js';
import { Portal } from './portal.js';

const log: ComponentLogger = { debug() {}, info() {}, warning() {}, error() {}, summarised() {}, enabled: () => false, access() {} };
const DOMAIN = 'test.v2ray.com';

function xor(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i += 1) out[i] = (data[i] ?? 0) ^ 0x5a;
  return out;
}

function xorEchoService(link: Link): void {
  link.on('data', (chunk: Buffer) => {
    if (!link.write(xor(chunk))) {
      link.pause();
      link.once('drain', () => link.resume());
    }
  });
  link.on('end', () => link.end());
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function setUp() {
  const portal = new Portal({ tag: 'portal', domain: DOMAIN, log, streamBufferBytes: 64 * 1024, waitForLinkMs: 2000 });
  const targets: Destination[] = [];
  const bridgeDispatcher: Dispatcher = {
    dispatch(session: Session, target: Destination, connection: CountedStream): void {
      if (target.address.value === DOMAIN) portal.process(session, target, connection);
      else {
        targets.push(target);
        xorEchoService(connection);
      }
    },
  };
  const bridge = new Bridge({ tag: 'bridge', domain: DOMAIN, dispatcher: bridgeDispatcher, log, streamBufferBytes: 64 * 1024 });
  cleanup.push(() => bridge.close(), () => portal.close());
  const connect = (port: number): Link => {
    const { inboundEnd, outboundEnd } = createLinkPair();
    portal.process(newSession({ inboundTag: 'external', level: 0 }), destination('tcp', '127.0.0.1', port), outboundEnd);
    return inboundEnd;
  };
  return { portal, bridge, connect, targets };
}

describe('reverse proxy in memory', () => {
  it('carries 16 parallel connections through the tunnel, both ways, with half-close', async () => {
    const { bridge, connect, portal, targets } = setUp();
    await bridge.start();
    const payloads = Array.from({ length: 16 }, (_, i) => randomBytes(256 * 1024 + i));
    const echoed = await Promise.all(payloads.map((payload, i) => {
      const link = connect(9000 + i);
      const done = readAll(link);
      link.end(payload);
      return done;
    }));
    expect(echoed.map((data, i) => data.equals(xor(payloads[i] ?? Buffer.alloc(0))))).toEqual(payloads.map(() => true));
    expect(targets.map((target) => target.port).sort()).toEqual(payloads.map((_, i) => 9000 + i).sort());
    expect(portal.linkCount).toBe(1);
    expect(bridge.activeLinks).toBe(1);
  });

  it('waits for a link when a connection arrives before the bridge', async () => {
    const { bridge, connect } = setUp();
    const link = connect(80);
    const done = readAll(link);
    link.end(Buffer.from('early'));
    await bridge.start();
    expect((await done).equals(xor(Buffer.from('early')))).toBe(true);
  });
});

describe('link scaling and draining', () => {
  it('opens a second link once the first carries more than 16 sessions', async () => {
    const { bridge, connect, portal } = setUp();
    await bridge.start();
    // 17 open connections + the control session: 18 sessions on one link (> 16).
    const links = Array.from({ length: 17 }, (_, i) => connect(10_000 + i));
    for (const link of links) link.write(Buffer.from('x'));
    await waitFor(() => portal.linkCount === 2, 6000);
    expect(bridge.activeLinks).toBe(2);
    for (const link of links) link.destroy();
  }, 10_000);

  it('drains a link after 256 sessions and the bridge replaces it', async () => {
    const { bridge, connect, portal } = setUp();
    await bridge.start();
    for (let i = 0; i < 260; i += 1) {
      const link = connect(20_000 + i);
      const done = readAll(link);
      link.end(Buffer.from([i & 0xff]));
      await done;
    }
    // At the next heartbeat the portal sends DRAIN; the bridge dials a fresh link at once.
    await waitFor(() => portal.drainedLinks === 1 && bridge.activeLinks === 1, 6000);
    const link = connect(30_000);
    const done = readAll(link);
    link.end(Buffer.from('after drain'));
    expect((await done).equals(xor(Buffer.from('after drain')))).toBe(true);
  }, 15_000);
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
