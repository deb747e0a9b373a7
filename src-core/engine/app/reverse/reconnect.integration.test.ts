/**
 * Reconnect: the bridge comes back by itself when the portal restarts, and a bridge whose portal
 * rejects it says why. Recovery time is printed (never asserted: shared machines are noisy).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xor5a } from '../../../../test/support/data.js';
import { waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { portalConfig, startPair, startPeer } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';

let upstream: RunningServer;
beforeAll(async () => {
  upstream = await startXorEcho();
});
afterAll(async () => {
  await upstream.close();
});

async function tunnelWorks(port: number): Promise<boolean> {
  const probe = Buffer.from('ping');
  const echoed = await echoThrough(port, probe, { closeAfterEcho: true, timeoutMs: 2000 }).catch(() => undefined);
  return echoed?.equals(xor5a(probe)) ?? false;
}

describe('bridge reconnect', () => {
  it('carries traffic again soon after the portal restarts, and says why it was down', async () => {
    const pair = await startPair('porthole', 'porthole', upstream.port);
    let portal = pair.portal;
    try {
      await waitUntil(() => tunnelWorks(pair.ports.publicPort), 20_000, 'the tunnel');
      const recoveries: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        const refusedBefore = pair.bridge.logLines.filter((line) => line.includes('ECONNREFUSED')).length;
        await portal.stop();
        // Down for a while: the bridge's redials are refused, and it backs off.
        await waitUntil(() => pair.bridge.logLines.filter((line) => line.includes('ECONNREFUSED')).length >= refusedBefore + 3, 10_000, 'refused redials');
        const restartedAt = Date.now();
        portal = await startPeer('porthole', portalConfig(pair.ports));
        await waitForPort(pair.ports.publicPort);
        await waitUntil(() => tunnelWorks(pair.ports.publicPort), 15_000, 'traffic after the restart');
        recoveries.push(Date.now() - restartedAt);
      }
      console.log(`recovery after a portal restart: ${recoveries.map((ms) => `${ms} ms`).join(', ')}`);
      const reasons = pair.bridge.logLines.filter((line) => line.includes('link to the portal lost') || line.includes('could not open a link'));
      expect(reasons.some((line) => line.includes('ECONNREFUSED'))).toBe(true);
      expect(reasons.some((line) => line.includes('link to the portal lost'))).toBe(true);
    } finally {
      await pair.bridge.stop();
      await portal.stop();
    }
  }, 90_000);
});
