/**
 * Exposures through the engine service, as the UI drives them: the one click with no server (the
 * built-in local portal), persistence across a restart, pointing the same exposure at a Porthole
 * server, a local port with nothing listening, pause/resume, and Server setup applied to the real
 * `v2ray` as the portal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExposureStatus } from '../api/index.js';
import { exportV2RayConfig, type PortholeConfig } from '../../engine/config/index.js';
import { freePort, freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer } from '../../../test/support/reverse-pair.js';
import { startHttp } from '../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable, v2rayTest } from '../../../test/support/v2ray.js';
import { createLocalEngineService, type LocalEngineService } from './local-engine-service.js';
import { quietServiceOptions } from '../../../test/support/engine-service.js';

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const path = mkdtempSync(join(tmpdir(), 'porthole-exposures-'));
  cleanups.push(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

async function service(root: string): Promise<LocalEngineService> {
  const created = await createLocalEngineService(quietServiceOptions(root));
  cleanups.push(() => created.close());
  return created;
}

async function page(body: string) {
  const server = await startHttp(body);
  cleanups.push(() => server.close());
  return server;
}

async function get(address: string): Promise<string> {
  const response = await fetch(`http://${address}/`, { signal: AbortSignal.timeout(10_000) });
  return response.text();
}

async function until(engine: LocalEngineService, id: string, check: (status: ExposureStatus) => boolean, what: string): Promise<ExposureStatus> {
  let last: ExposureStatus | undefined;
  await waitUntil(async () => {
    last = (await engine.listExposures()).find((status) => status.id === id);
    return last !== undefined && check(last);
  }, 10_000, `${what} (last: ${JSON.stringify(last)})`);
  return last as ExposureStatus;
}

describe('exposures in the engine service', () => {
  it('one click with no server: the built-in local portal makes it live on this machine, and it survives a restart', async () => {
    const root = folder();
    const site = await page('hello from port 80 stand-in');
    const first = await service(root);
    const added = await first.addExposure({ localPort: site.port });
    expect(added).toMatchObject({ localHost: '127.0.0.1', localPort: site.port, enabled: true, name: `localhost:${site.port}` });
    const live = await until(first, added.id, (status) => status.state === 'live', 'live');
    expect(live.portalKind).toBe('local');
    expect(live.publicAddress).toMatch(/^127\.0\.0\.1:20\d\d\d$/);
    expect(await get(live.publicAddress ?? '')).toBe('hello from port 80 stand-in');
    await until(first, added.id, (status) => status.bytesDown > 0 && status.localReachable === true, 'traffic counted');
    // The same click again returns the same exposure.
    expect((await first.addExposure({ localPort: site.port })).id).toBe(added.id);
    await first.close();

    const second = await service(root);
    expect((await second.listExposures()).map((status) => status.id)).toEqual([added.id]);
    await second.startEngine();
    const again = await until(second, added.id, (status) => status.state === 'live', 'live after restart');
    expect(await get(again.publicAddress ?? '')).toBe('hello from port 80 stand-in');
  });

  it('keeps the exposure when pointed at a Porthole server, which hands out a port from its range', async () => {
    const root = folder();
    const site = await page('served through the VPS');
    const engine = await service(root);
    const exposure = await engine.addExposure({ localPort: site.port, name: 'site' });
    await until(engine, exposure.id, (status) => status.state === 'live', 'local first');

    const [publicPort = 0, linkPort = 0, allowed = 0] = await freePorts(3);
    const ports = { publicPort, linkPort, upstreamPort: 9 };
    const portal = portalConfig(ports) as Mutable<PortholeConfig>;
    if (portal.reverse.portals[0]) portal.reverse.portals[0].exposures = { ports: [{ from: allowed, to: allowed }], listen: '127.0.0.1' };
    const server = await startPeer('porthole', portal);
    cleanups.push(() => server.stop());
    await waitForPort(linkPort);
    await engine.saveProfile('vps', JSON.stringify(exportV2RayConfig(bridgeConfig(ports))));
    await engine.activateProfile('vps');
    const live = await until(engine, exposure.id, (status) => status.state === 'live' && status.portalKind === 'porthole', 'live on the server');
    expect(live.publicAddress).toBe(`127.0.0.1:${allowed}`);
    expect(await get(`127.0.0.1:${allowed}`)).toBe('served through the VPS');

    // A second exposure asking for a port outside the range is refused with the portal's reason; the first goes on.
    const other = await engine.addExposure({ localPort: site.port + 0, localHost: 'localhost', publicPort: allowed === 1 ? 2 : 1 });
    const refused = await until(engine, other.id, (status) => status.state === 'refused', 'refused');
    expect(refused.problem?.message).toMatch(/outside the range this portal allows/);
    expect(await get(`127.0.0.1:${allowed}`)).toBe('served through the VPS');
  });

  it('says when nothing listens on the local port, keeps the exposure, and notices when something does', async () => {
    const root = folder();
    const port = await freePort();
    const engine = await service(root);
    const exposure = await engine.addExposure({ localPort: port });
    const waiting = await until(engine, exposure.id, (status) => status.localReachable === false, 'unreachable');
    expect(waiting.enabled).toBe(true);
    expect(waiting.problem?.message).toBe(`nothing is listening on 127.0.0.1:${port}: the exposure stays on and works once something does`);
    const logs = await engine.recentLogs();
    expect(logs.some((line) => line.message.includes(`nothing is listening on 127.0.0.1:${port}`))).toBe(true);

    const http = await import('node:http');
    const late = http.createServer((_request, response) => response.end('late start'));
    await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => late.close(() => resolve())));
    const live = await until(engine, exposure.id, (status) => status.localReachable === true && status.state === 'live', 'reachable');
    expect(await get(live.publicAddress ?? '')).toBe('late start');
  });

  it('pause all switches every exposure off, resume brings them back; disable and remove close the public port', async () => {
    const root = folder();
    const site = await page('paused?');
    const engine = await service(root);
    const exposure = await engine.addExposure({ localPort: site.port });
    const address = (await until(engine, exposure.id, (status) => status.state === 'live', 'live')).publicAddress ?? '';
    await engine.setExposuresPaused(true);
    await waitUntil(async () => (await engine.getSnapshot()).exposuresPaused, 5000, 'the snapshot says paused');
    await until(engine, exposure.id, (status) => status.state === 'disabled' && status.enabled, 'paused');
    await expect(get(address)).rejects.toThrow();
    await engine.setExposuresPaused(false);
    await until(engine, exposure.id, (status) => status.state === 'live', 'resumed');
    expect(await get(address)).toBe('paused?');

    await engine.updateExposure(exposure.id, { enabled: false, name: 'renamed' });
    await until(engine, exposure.id, (status) => status.state === 'disabled' && status.name === 'renamed', 'disabled');
    await expect(get(address)).rejects.toThrow();
    await engine.removeExposure(exposure.id);
    expect(await engine.listExposures()).toEqual([]);
    await expect(engine.removeExposure(exposure.id)).rejects.toMatchObject({ code: 'PH_EXPOSURE_NOT_FOUND' });
  });

  it.skipIf(!v2rayAvailable())('with a V2Ray portal: Server setup passes `v2ray -test`, and applied on the server, the GET works', async () => {
    const root = folder();
    const site = await page('behind a V2Ray portal');
    const engine = await service(root);
    const [linkPort = 0, chosenPublic = 0] = await freePorts(2);
    const ports = { publicPort: 9, linkPort, upstreamPort: 9 };
    await engine.saveProfile('v2ray server', JSON.stringify(exportV2RayConfig(bridgeConfig(ports))));
    await engine.activateProfile('v2ray server');
    const exposure = await engine.addExposure({ localPort: site.port, name: 'My site', publicPort: chosenPublic });

    const setup = await engine.getServerSetup('v2ray server');
    expect(setup.serverAddress).toBe(`127.0.0.1:${linkPort}`);
    expect(setup.exposures).toEqual([`127.0.0.1:${chosenPublic} → 127.0.0.1:${site.port} (My site)`]);
    expect(v2rayTest(setup.v2ray.text)).toMatchObject({ status: 0 });
    expect(setup.v2ray.command).toBe('v2ray -config v2ray-portal.json');
    const portal = startV2Ray(JSON.parse(setup.v2ray.text));
    cleanups.push(() => portal.stop());

    const waiting = await until(engine, exposure.id, (status) => status.state === 'setup-needed', 'setup-needed');
    expect(waiting.portalKind).toBe('v2ray');
    expect(waiting.publicAddress).toBe(`127.0.0.1:${chosenPublic}`);
    let body = '';
    await waitUntil(async () => {
      body = await get(waiting.publicAddress ?? '').catch(() => '');
      return body !== '';
    }, 10_000, 'GET through the V2Ray portal');
    expect(body).toBe('behind a V2Ray portal');
    await until(engine, exposure.id, (status) => status.bytesDown > 0, 'traffic counted');
    expect(portal.output()).not.toMatch(/\[(Warning|Error)\](?! v2ray\.com\/core: V2Ray [\d.]+ started)/);
  });

  it('while no link to the portal is up, says why (here: refused)', async () => {
    const engine = await service(folder());
    const closedPort = await freePort();
    await engine.saveProfile('down', JSON.stringify(exportV2RayConfig(bridgeConfig({ publicPort: 9, linkPort: closedPort, upstreamPort: 9 }))));
    await engine.activateProfile('down');
    const exposure = await engine.addExposure({ localPort: 9 });
    const offline = await until(engine, exposure.id, (status) => status.state === 'offline' && status.problem !== null, 'offline with a reason');
    expect(offline.problem).toEqual({ code: 'PH_DIAL_REFUSED', message: expect.stringMatching(/^could not open a link to the portal: .*ECONNREFUSED.*: is the portal running/) });
  });

  it('Server setup refuses a profile without a bridge, and rejects unknown exposures', async () => {
    const engine = await service(folder());
    await engine.saveProfile('portal only', JSON.stringify(exportV2RayConfig(portalConfig({ publicPort: 1, linkPort: 2, upstreamPort: 3 }))));
    await expect(engine.getServerSetup('portal only')).rejects.toMatchObject({ code: 'PH_SETUP_NO_BRIDGE' });
    await expect(engine.updateExposure('e-00000000', { enabled: true })).rejects.toMatchObject({ code: 'PH_EXPOSURE_NOT_FOUND' });
  });
});
