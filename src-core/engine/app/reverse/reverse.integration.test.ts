/**
 * The reverse proxy end to end on 127.0.0.1, in all four pairings of Porthole and the real
 * V2Ray 4.34: the portal and bridge of V2Ray's docs, an XOR echo upstream, 16 parallel
 * connections of 8 MiB each way, every byte checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicBytes, sha256, xor5a } from '../../../../test/support/data.js';
import { waitUntil } from '../../../../test/support/ports.js';
import { startPair, type Peer, type RunningPair } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';
import { v2rayAvailable } from '../../../../test/support/v2ray.js';

const PARALLEL = 16;
const SIZE = 8 * 1024 * 1024;
const hasV2Ray = v2rayAvailable();

const pairings: Array<[Peer, Peer]> = [
  ['porthole', 'porthole'],
  ['v2ray', 'porthole'],
  ['porthole', 'v2ray'],
  ['v2ray', 'v2ray'],
];

let upstream: RunningServer;
beforeAll(async () => {
  upstream = await startXorEcho();
});
afterAll(async () => {
  await upstream.close();
});

/** Polls until a small echo makes it through the tunnel (the bridge's link is up). */
async function waitForTunnel(pair: RunningPair): Promise<void> {
  const probe = Buffer.from('probe');
  await waitUntil(async () => {
    try {
      const echoed = await echoThrough(pair.ports.publicPort, probe, { closeAfterEcho: true, timeoutMs: 3000 });
      return echoed.equals(xor5a(probe));
    } catch {
      return false;
    }
  }, 20_000, 'the tunnel to carry a probe');
}

describe.skipIf(!hasV2Ray)('reverse proxy against real v2ray', () => {
  it.each(pairings)('portal %s ↔ bridge %s: 16 × 8 MiB each way, every byte intact', async (portal, bridge) => {
    const pair = await startPair(portal, bridge, upstream.port);
    try {
      await waitForTunnel(pair);
      const payloads = Array.from({ length: PARALLEL }, (_, i) => deterministicBytes(i + 1, SIZE));
      const echoed = await Promise.all(payloads.map((payload) => echoThrough(pair.ports.publicPort, payload, { closeAfterEcho: true, timeoutMs: 90_000 })));
      expect(echoed.map((data) => sha256(data))).toEqual(payloads.map((payload) => sha256(xor5a(payload))));
    } finally {
      await pair.stop();
    }
  }, 180_000);
});

describe('reverse proxy, Porthole on both sides', () => {
  it('keeps half-close: the client ends at once and still gets the whole echo', async () => {
    const pair = await startPair('porthole', 'porthole', upstream.port);
    try {
      await waitForTunnel(pair);
      const payloads = Array.from({ length: PARALLEL }, (_, i) => deterministicBytes(100 + i, 1024 * 1024));
      const echoed = await Promise.all(payloads.map((payload) => echoThrough(pair.ports.publicPort, payload, { closeAfterEcho: false, timeoutMs: 60_000 })));
      expect(echoed.map((data) => data.length)).toEqual(payloads.map((payload) => payload.length));
      expect(echoed.map((data) => sha256(data))).toEqual(payloads.map((payload) => sha256(xor5a(payload))));
      // Every connection closed on both sides; what stays open is the bridge's link itself.
      const open = () => [pair.portal, pair.bridge].flatMap((peer) => peer.instance?.stats.snapshot().filter((row) => row.closedAt === undefined).map((row) => row.target) ?? []);
      await waitUntil(() => open().length === 2, 5000, 'connections to close');
      expect(open()).toEqual(['tcp:test.v2ray.com:0', 'tcp:test.v2ray.com:0']);
    } finally {
      await pair.stop();
    }
  }, 120_000);
});
