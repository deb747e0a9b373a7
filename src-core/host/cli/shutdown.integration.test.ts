/**
 * `porthole run` stops on SIGTERM, whatever its links carried. A Porthole portal that had carried
 * traffic from a V2Ray bridge spun forever in Node's exit clean-up (a request that never
 * completed) after stopping the engine; the CLI now exits once the engine is stopped.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeerProcess } from '../../../test/support/reverse-pair.js';
import { v2rayAvailable, type V2RayProcess } from '../../../test/support/v2ray.js';

/**
 * Uploaded, then downloaded, per connection. The upstream answers once it has the whole upload: a
 * V2Ray bridge cuts a session whose upload is still running 2 s after its download ended (policy
 * uplinkOnly), which a loaded machine reached when both ran at once (a reset mid-download).
 */
const SIZE = 8 << 20;
const UPLOAD = 1 << 20;
const started: V2RayProcess[] = [];
let upstream: net.Server | undefined;

afterEach(async () => {
  await Promise.all(started.splice(0).map((peer) => peer.stop()));
  upstream?.close();
});

/** Sends UPLOAD and receives SIZE bytes through the tunnel; resolves with the bytes received. */
function exchange(port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = 0;
    socket.on('data', (chunk: Buffer) => { received += chunk.length; });
    socket.on('close', () => resolve(received));
    socket.on('error', () => resolve(received));
    socket.end(Buffer.alloc(UPLOAD));
  });
}

/** How the process ended, or 'still running' after `limitMs` (it never ended by itself). */
function exitOf(child: ChildProcess, limitMs: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still running'), limitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? `exit ${code}`);
    });
  });
}

describe.skipIf(!v2rayAvailable())('porthole run stops on SIGTERM', () => {
  it('a portal whose V2Ray bridge carried traffic and went away exits by itself', { timeout: 90_000 }, async () => {
    upstream = net.createServer((socket) => {
      socket.on('error', () => {});
      let uploaded = 0;
      socket.on('data', (chunk: Buffer) => {
        const before = uploaded;
        uploaded += chunk.length;
        if (before < UPLOAD && uploaded >= UPLOAD) socket.end(Buffer.alloc(SIZE));
      });
    });
    await new Promise<void>((resolve) => upstream!.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (upstream.address() as net.AddressInfo).port;
    const [publicPort = 0, linkPort = 0] = await freePorts(2);
    const portal = startPeerProcess('porthole', portalConfig({ publicPort, linkPort, upstreamPort }));
    started.push(portal);
    await waitForPort(linkPort);
    const bridge = startPeerProcess('v2ray', bridgeConfig({ publicPort, linkPort, upstreamPort }));
    started.push(bridge);
    await waitUntil(async () => (await exchange(publicPort)) === SIZE, 20_000, 'a first exchange through the tunnel');
    for (let round = 0; round < 5; round += 1) {
      expect(await Promise.all([1, 2, 3, 4].map(() => exchange(publicPort)))).toEqual([SIZE, SIZE, SIZE, SIZE]);
    }

    await bridge.stop();
    portal.child.kill('SIGTERM');
    // A bound for the suite, not a speed claim: before the fix the process never ended.
    expect(await exitOf(portal.child, 30_000)).toBe('exit 0');
  });
});
