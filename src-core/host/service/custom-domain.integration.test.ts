/**
 * An exposure's own domain through the engine service, with a real Porthole portal on 127.0.0.1:
 * one that serves own domains (plain HTTP names: a GET with that Host reaches the service, and a
 * domain another user holds is refused with the old one kept), and one that does not (the portal's
 * reason shown with the domain, the exposure still live by its label).
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
  const root = mkdtempSync(join(tmpdir(), 'porthole-domain-'));
  const created = await createLocalEngineService(quietServiceOptions(root));
  cleanups.push(async () => {
    await created.close();
    rmSync(root, { recursive: true, force: true });
  });
  return created;
}

/** GET / sent to 127.0.0.1:`port` with `host` as the Host header (as a browser resolving the name to the server would). */
function getAs(host: string, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: '/', headers: { host: `${host}:${port}` }, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${host}:${port}`)));
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

/** A Porthole portal with HTTP names under tunnel.test on `httpPort`; own domains as `customDomains` says. */
async function portalWithNames(customDomains: boolean) {
  const [publicPort = 0, linkPort = 0, exposed = 0, second = 0, httpPort = 0] = await freePorts(5);
  const ports = { publicPort, linkPort, upstreamPort: 9 };
  const portal = portalConfig(ports) as Mutable<PortholeConfig>;
  if (portal.reverse.portals[0]) {
    portal.reverse.portals[0].exposures = {
      ports: [{ from: exposed, to: exposed }, { from: second, to: second }],
      listen: '127.0.0.1',
      names: { domain: 'tunnel.test', httpPort, certificates: [], customDomains },
    };
  }
  const server = await startPeer('porthole', portal);
  cleanups.push(() => server.stop());
  await waitForPort(linkPort);
  return { ports, httpPort };
}

async function bridgeTo(ports: Parameters<typeof bridgeConfig>[0]): Promise<LocalEngineService> {
  const engine = await service();
  await engine.saveProfile('vps', JSON.stringify(exportV2RayConfig(bridgeConfig(ports))));
  await engine.activateProfile('vps');
  return engine;
}

describe('an exposure\'s own domain at a Porthole portal', () => {
  it('served by its own domain beside the label; a domain another user holds is refused and the old one kept', async () => {
    const web = await startHttp('hello by my own name');
    cleanups.push(() => web.close());
    const { ports, httpPort } = await portalWithNames(true);
    const engine = await bridgeTo(ports);
    const added = await engine.addExposure({ localPort: web.port, name: 'Web', customDomain: 'shop.example.com' });
    const live = await until(engine, added.id, (status) => status.state === 'live' && (status.urls?.length ?? 0) === 2, 'live by both names');
    expect([live.urls, live.customDomain, live.customDomainProblem]).toEqual([
      [`http://web.tunnel.test:${httpPort}`, `http://shop.example.com:${httpPort}`], 'shop.example.com', null,
    ]);
    expect(await getAs('shop.example.com', httpPort)).toEqual({ status: 200, body: 'hello by my own name' });
    expect(await getAs('web.tunnel.test', httpPort)).toEqual({ status: 200, body: 'hello by my own name' });

    // Another bridge holds "other.example.com": asking for it is refused with the portal's reason.
    const neighbour = await bridgeTo(ports);
    const theirs = await neighbour.addExposure({ localPort: web.port, name: 'Other', customDomain: 'other.example.com' });
    await until(neighbour, theirs.id, (status) => status.state === 'live' && (status.urls?.length ?? 0) === 2, 'the neighbour live');
    await expect(engine.updateExposure(added.id, { customDomain: 'other.example.com' })).rejects.toMatchObject({
      code: 'PH_EXPOSURE_BAD_INPUT', message: expect.stringMatching(/other\.example\.com.*already taken.*\(the domain stays "shop\.example\.com"\)/),
    });
    const kept = await until(engine, added.id, (status) => status.state === 'live' && (status.urls?.length ?? 0) === 2, 'live again');
    expect(kept.customDomain).toBe('shop.example.com');

    // Cleared: only the label is left, and the domain no longer reaches it.
    const cleared = await engine.updateExposure(added.id, { customDomain: null });
    expect('customDomain' in cleared).toBe(false);
    await until(engine, added.id, (status) => status.urls?.length === 1, 'the label only');
    expect((await getAs('shop.example.com', httpPort)).status).toBe(404);
  });

  it('a portal that serves no own domains: the reason beside the domain, the exposure live by its label', async () => {
    const web = await startHttp('still served');
    cleanups.push(() => web.close());
    const { ports, httpPort } = await portalWithNames(false);
    const engine = await bridgeTo(ports);
    const added = await engine.addExposure({ localPort: web.port, name: 'Web', customDomain: 'shop.example.com' });
    const live = await until(engine, added.id, (status) => status.state === 'live', 'live by its label');
    expect([live.urls, live.customDomain, live.problem]).toEqual([[`http://web.tunnel.test:${httpPort}`], 'shop.example.com', null]);
    expect(live.customDomainProblem).toBe('this portal does not serve names of your own: ask its owner to set "customDomains": true');
    expect(await getAs('web.tunnel.test', httpPort)).toEqual({ status: 200, body: 'still served' });
    expect((await getAs('shop.example.com', httpPort)).status).toBe(404);
  });
});
