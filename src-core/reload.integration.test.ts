/**
 * Config reload keeps what did not change: reloading a portal with the same config, or with one
 * more inbound, leaves the bridge's link up and its connections open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xor5a } from '../test/support/data.js';
import { freePort, waitForPort, waitUntil } from '../test/support/ports.js';
import { portalConfig, startPair, type RunningPair } from '../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../test/support/upstream.js';
import type { PortholeConfig } from './config/index.js';

let upstream: RunningServer;
let pair: RunningPair;
beforeAll(async () => {
  upstream = await startXorEcho();
  pair = await startPair('porthole', 'porthole', upstream.port);
});
afterAll(async () => {
  await pair.stop();
  await upstream.close();
});

async function works(port: number): Promise<boolean> {
  const echoed = await echoThrough(port, Buffer.from('hi'), { closeAfterEcho: true, timeoutMs: 2000 }).catch(() => undefined);
  return echoed?.equals(xor5a(Buffer.from('hi'))) ?? false;
}

describe('Instance.reload', () => {
  it('keeps the link and open connections when their config is unchanged, and adds what is new', async () => {
    const instance = pair.portal.instance!;
    await waitUntil(() => works(pair.ports.publicPort), 20_000, 'the tunnel');
    const portal = instance.portals[0]!;
    const lostBefore = pair.bridge.logLines.filter((line) => line.includes('link to the portal lost')).length;

    // Same config: nothing restarts.
    const same = await instance.reload(portalConfig(pair.ports));
    expect(same.started).toEqual([]);
    expect(same.stopped).toEqual([]);
    expect(instance.portals[0]).toBe(portal);

    // One more public port: it starts; the link and everything else stay.
    const extraPort = await freePort();
    const base = portalConfig(pair.ports);
    const extra = base.inbounds.find((inbound) => inbound.tag === 'external')!;
    const next: PortholeConfig = {
      ...base,
      inbounds: [...base.inbounds, { ...extra, tag: 'external2', port: { from: extraPort, to: extraPort } }],
      routing: { ...base.routing, rules: [{ inboundTag: ['external2'], outboundTag: 'portal' }, ...base.routing.rules] },
    };
    const grown = await instance.reload(next);
    expect(grown.started).toEqual(['inbound external2']);
    expect(grown.stopped).toEqual([]);
    await waitForPort(extraPort);
    expect(await works(extraPort)).toBe(true);
    expect(await works(pair.ports.publicPort)).toBe(true);
    expect(instance.portals[0]).toBe(portal);
    expect(portal.linkCount).toBe(1);
    // The bridge never saw its link drop.
    expect(pair.bridge.logLines.filter((line) => line.includes('link to the portal lost')).length).toBe(lostBefore);

    // And back: the extra port closes, the rest stays.
    const shrunk = await instance.reload(base);
    expect(shrunk.stopped).toEqual(['inbound external2']);
    expect(await works(pair.ports.publicPort)).toBe(true);
  }, 60_000);
});
