/**
 * Exposures' names through the engine service, with real portals on 127.0.0.1: the built-in
 * portal's `http://<label>.localhost:<port>` (a request with that Host reaches the service),
 * editing the label, basic auth and the allowlist at the portal, a Porthole server without names
 * (the exposure still goes live by port, with the sslip.io hint) and one with names, where a
 * label another exposure holds is refused with the portal's reason and the old name kept.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExposureStatus } from '../api/index.js';
import { exportV2RayConfig, type PortholeConfig } from '../../engine/config/index.js';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer } from '../../../test/support/reverse-pair.js';
import { startHttp } from '../../../test/support/upstream.js';
import { createLocalEngineService, type LocalEngineService } from './local-engine-service.js';
import { quietServiceOptions } from '../../../test/support/engine-service.js';

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function service(): Promise<LocalEngineService> {
  const root = mkdtempSync(join(tmpdir(), 'porthole-names-'));
  const created = await createLocalEngineService(quietServiceOptions(root));
  cleanups.push(async () => {
    await created.close();
    rmSync(root, { recursive: true, force: true });
  });
  return created;
}

async function site(body: string) {
  const server = await startHttp(body);
  cleanups.push(() => server.close());
  return server;
}

/** GET `url` sent to 127.0.0.1 with its host as the Host header (as a browser resolving `*.localhost` would). */
function getByName(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: Number(port || 80), path: '/', headers: { host: `${hostname}:${port}`, ...headers }, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url}`)));
    outgoing.end();
  });
}

async function until(engine: LocalEngineService, id: string, check: (status: ExposureStatus) => boolean, what: string): Promise<ExposureStatus> {
  let last: ExposureStatus | undefined;
  await waitUntil(async () => {
    last = (await engine.listExposures()).find((status) => status.id === id);
    return last !== undefined && check(last);
  }, 10_000, `${what} (last: ${JSON.stringify(last)})`);
  return last as ExposureStatus;
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('exposure names in the engine service', () => {
  it('the built-in portal: http://<label>.localhost:<port> at once, an edited label moves it, access is checked there', async () => {
    const web = await site('hello by name');
    const engine = await service();
    const added = await engine.addExposure({ localPort: web.port });
    // At once: the answer the click gets already carries the URL.
    const url = added.urls?.[0] ?? '';
    expect(url).toMatch(new RegExp(`^http://app-${web.port}\\.localhost:210[89]\\d$`));
    expect(added.label).toBe(`app-${web.port}`);
    expect((await engine.getSnapshot()).localPortal).toMatchObject({ namesPort: Number(new URL(url).port), namesProblem: null });
    expect(await getByName(url)).toEqual({ status: 200, body: 'hello by name' });
    // The host:port address stays (other machines, with the LAN setting, cannot use *.localhost).
    const live = await until(engine, added.id, (status) => status.state === 'live', 'live');
    expect(live.publicAddress).toMatch(/^127\.0\.0\.1:20\d\d\d$/);

    const renamed = await engine.updateExposure(added.id, { label: 'shop' });
    const shop = renamed.urls?.[0] ?? '';
    expect(shop).toBe(url.replace(`app-${web.port}.`, 'shop.'));
    expect(await getByName(shop)).toEqual({ status: 200, body: 'hello by name' });
    expect((await getByName(url)).status).toBe(404);

    const locked = await engine.updateExposure(added.id, { access: { basicAuth: { user: 'ann', password: 'open sesame' } } });
    expect(locked.access).toEqual({ basicAuth: { user: 'ann' }, allow: [], proxyProtocol: null });
    expect(JSON.stringify(await engine.listExposures())).not.toContain('open sesame');
    expect((await getByName(shop)).status).toBe(401);
    expect((await getByName(shop, basic('ann', 'wrong'))).status).toBe(401);
    expect(await getByName(shop, basic('ann', 'open sesame'))).toEqual({ status: 200, body: 'hello by name' });

    // Only 10.0.0.0/8 may visit: this machine (127.0.0.1) may not, credentials or not.
    await engine.updateExposure(added.id, { access: { allow: ['10.0.0.0/8'] } });
    expect((await getByName(shop, basic('ann', 'open sesame'))).status).toBe(403);
    await engine.updateExposure(added.id, { access: { allow: [], basicAuth: null } });
    expect((await getByName(shop)).status).toBe(200);
  });

  it('a Porthole server without names: live by port, with the sslip.io line; with names: its URL, and a taken label refused with the reason', async () => {
    const web = await site('served through the server');
    const [publicPort = 0, linkPort = 0, allowed = 0, second = 0, httpPort = 0] = await freePorts(5);
    const ports = { publicPort, linkPort, upstreamPort: 9 };
    const portal = portalConfig(ports) as Mutable<PortholeConfig>;
    const exposures = { ports: [{ from: allowed, to: allowed }, { from: second, to: second }], listen: '127.0.0.1' };
    if (portal.reverse.portals[0]) portal.reverse.portals[0].exposures = exposures;
    let server = await startPeer('porthole', portal);
    cleanups.push(() => server.stop());
    await waitForPort(linkPort);
    const engine = await service();
    await engine.saveProfile('vps', JSON.stringify(exportV2RayConfig(bridgeConfig(ports))));
    await engine.activateProfile('vps');
    const added = await engine.addExposure({ localPort: web.port, name: 'Web' });
    const live = await until(engine, added.id, (status) => status.state === 'live' && status.portalKind === 'porthole', 'live by port');
    expect(live.problem).toBeNull();
    expect(live.urls).toEqual([]);
    expect(live.namesHint).toEqual({ snippet: '"names": {"domain": "127-0-0-1.sslip.io", "acme": {}}', domain: '127-0-0-1.sslip.io', wildcardDns: true });

    // The owner turns names on and restarts the portal: the label is asked for again.
    await server.stop();
    if (portal.reverse.portals[0]) portal.reverse.portals[0].exposures = { ...exposures, names: { domain: 'tunnel.test', httpPort, certificates: [], customDomains: false } };
    server = await startPeer('porthole', portal);
    const named = await until(engine, added.id, (status) => status.state === 'live' && (status.urls?.length ?? 0) > 0, 'named');
    expect([named.urls, named.namesHint]).toEqual([[`http://web.tunnel.test:${httpPort}`], null]);
    expect(await getByName(`http://web.tunnel.test:${httpPort}`)).toEqual({ status: 200, body: 'served through the server' });

    // Another bridge of the same user holds "other": asking for it is refused with the portal's reason, and "web" stays.
    const neighbour = await service();
    await neighbour.saveProfile('vps', JSON.stringify(exportV2RayConfig(bridgeConfig(ports))));
    await neighbour.activateProfile('vps');
    const theirs = await neighbour.addExposure({ localPort: web.port, name: 'Other', label: 'other' });
    await until(neighbour, theirs.id, (status) => status.urls?.[0] === `http://other.tunnel.test:${httpPort}`, 'the neighbour named');
    await expect(engine.updateExposure(added.id, { label: 'other' })).rejects.toMatchObject({
      code: 'PH_EXPOSURE_BAD_INPUT', message: expect.stringMatching(/name "other\.tunnel\.test" is already taken by your exposure "Other".*\(the name stays "web"\)/),
    });
    const kept = await until(engine, added.id, (status) => status.state === 'live', 'live again');
    expect([kept.label, kept.urls]).toEqual(['web', [`http://web.tunnel.test:${httpPort}`]]);
  });
});
