/**
 * Isolation (docs/isolation.md): a client that stops reading a 256 MiB download must not stall
 * the other streams on its link. Between two Porthole peers, flow control parks the stuck stream
 * alone; with a 4.34 bridge (no flow control), the portal closes that stream alone once its reader
 * is too far behind. Either way 200 small transfers on the same link all complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { waitUntil } from '../../../../test/support/ports.js';
import { startPair, type Peer } from '../../../../test/support/reverse-pair.js';
import { mixedEcho, slowDownload, startMixedUpstream, stuckDownload, type RunningServer } from '../../../../test/support/upstream.js';
import { v2rayAvailable } from '../../../../test/support/v2ray.js';

const STUCK_SIZE = 256 * 1024 * 1024;
const SMALL_TRANSFERS = 200;
/**
 * Below the bridge's 16-sessions-per-link threshold (with the stuck stream and the control
 * session), so every transfer shares the stuck stream's link. Each transfer through a 4.34 bridge
 * takes about a second, since its freedom outbound does not pass the half-close on.
 */
const CONCURRENCY = 12;

let upstream: RunningServer;
beforeAll(async () => {
  upstream = await startMixedUpstream();
});
afterAll(async () => {
  await upstream.close();
});

async function runSmallTransfers(port: number): Promise<number> {
  let completed = 0;
  let next = 0;
  const worker = async () => {
    while (next < SMALL_TRANSFERS) {
      const index = next;
      next += 1;
      const payload = deterministicBytes(index + 1, 16 * 1024);
      const echoed = await mixedEcho(port, payload, 20_000);
      if (echoed.equals(xor5a(payload))) completed += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return completed;
}

const cases: Array<{ bridge: Peer; expectStuckClosed: boolean }> = [
  { bridge: 'porthole', expectStuckClosed: false },
  { bridge: 'v2ray', expectStuckClosed: true },
];

describe('one stuck reader does not stall its link', () => {
  it.each(cases)('Porthole portal, $bridge bridge: 200 transfers beside a stuck 256 MiB download', async ({ bridge, expectStuckClosed }) => {
    if (bridge === 'v2ray' && !v2rayAvailable()) return;
    const pair = await startPair('porthole', bridge, upstream.port);
    const portal = pair.portal.instance!.portals[0]!;
    try {
      await waitUntil(async () => (await mixedEcho(pair.ports.publicPort, Buffer.from('up'), 3000).catch(() => undefined))?.equals(xor5a(Buffer.from('up'))) ?? false, 20_000, 'the tunnel');
      const stuck = await stuckDownload(pair.ports.publicPort, STUCK_SIZE);
      // The download is flowing into the portal (and stuck behind its unread socket).
      await waitUntil(() => pair.portal.instance!.stats.snapshot().some((row) => !row.closedAt && row.bytesDown > 1024 * 1024), 10_000, 'the download to start');

      const completed = await runSmallTransfers(pair.ports.publicPort);
      expect(completed).toBe(SMALL_TRANSFERS);
      expect(portal.linkCount).toBe(1);
      expect(portal.flowControlledLinks).toBe(bridge === 'porthole' ? 1 : 0);
      if (expectStuckClosed) {
        expect(pair.portal.logLines.some((line) => line.includes('closing this session only'))).toBe(true);
      } else {
        expect(stuck.destroyed).toBe(false);
      }
      stuck.destroy();
    } finally {
      await pair.stop();
    }
  }, 120_000);
});

describe('a slow but healthy reader', () => {
  it.each<Peer>(['porthole', 'v2ray'])('gets its whole 32 MiB download through a %s bridge', async (bridge) => {
    if (bridge === 'v2ray' && !v2rayAvailable()) return;
    const pair = await startPair('porthole', bridge, upstream.port);
    try {
      await waitUntil(async () => (await mixedEcho(pair.ports.publicPort, Buffer.from('up'), 3000).catch(() => undefined))?.equals(xor5a(Buffer.from('up'))) ?? false, 20_000, 'the tunnel');
      const size = 32 * 1024 * 1024;
      // About 16 MB/s: far slower than the tunnel, never stuck.
      expect(await slowDownload(pair.ports.publicPort, size, 160 * 1024)).toBe(size);
      expect(pair.portal.logLines.some((line) => line.includes('closing this session only'))).toBe(false);
    } finally {
      await pair.stop();
    }
  }, 90_000);
});
