/**
 * Config reload keeps what did not change: reloading a portal with the same config, or with one
 * more inbound, leaves the bridge's link up and its connections open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xor5a } from '../../test/support/data.js';
import { freePort, waitForPort, waitUntil } from '../../test/support/ports.js';
import { portalConfig, startPair, type RunningPair } from '../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../test/support/upstream.js';
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

describe('Instance.reload and log files', () => {
  it('reopens log files by path, so lines after logrotate moved the file go to a fresh one', async () => {
    const { mkdtempSync, readFileSync, renameSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadConfig } = await import('./config/index.js');
    const { Instance } = await import('./instance.js');
    const folder = mkdtempSync(join(tmpdir(), 'porthole-logs-'));
    const errorLog = join(folder, 'error.log');
    const config = loadConfig([{ name: 'c.json', text: JSON.stringify({ log: { loglevel: 'info', error: errorLog } }) }]);
    const instance = new Instance(config);
    try {
      instance.logger.log('info', 'test', 'before rotation');
      await instance.reload(config);
      renameSync(errorLog, `${errorLog}.1`);
      await instance.reload(config);
      instance.logger.log('info', 'test', 'after rotation');
      await instance.close();
      expect(readFileSync(`${errorLog}.1`, 'utf8')).toContain('before rotation');
      expect(readFileSync(errorLog, 'utf8')).toContain('after rotation');
      expect(readFileSync(errorLog, 'utf8')).not.toContain('before rotation');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
