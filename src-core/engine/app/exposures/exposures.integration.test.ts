/**
 * One-click exposures on real sockets: a Porthole bridge asks a Porthole portal for public ports
 * (several exposures on one link, a refused one beside them, withdrawal), the built-in local
 * portal (bridge and portal in one instance), and V2Ray peers, which see nothing extra.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortholeConfig } from '../../config/index.js';
import type { Instance } from '../../instance.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { startHttp, type RunningServer } from '../../../../test/support/upstream.js';
import { v2rayAvailable } from '../../../../test/support/v2ray.js';
import type { ExposureSpec } from './exposure-agent.js';

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function http(body: string): Promise<RunningServer> {
  const server = await startHttp(body);
  cleanups.push(() => server.close());
  return server;
}

async function peer(kind: 'porthole' | 'v2ray', config: PortholeConfig): Promise<RunningPeer> {
  const running = await startPeer(kind, config);
  cleanups.push(() => running.stop());
  return running;
}

async function get(address: string): Promise<string> {
  const response = await fetch(`http://${address}/`, { signal: AbortSignal.timeout(10_000) });
  return response.text();
}

/** A V2Ray portal resets connections until a bridge link is up: ask again for a while. */
async function getOnceLinked(address: string): Promise<string> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 40; attempt += 1) {
    try {
      return await get(address);
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw lastError;
}

/** V2Ray's own start line is a [Warning]; anything else at that level is a complaint. */
const V2RAY_COMPLAINT = /\[(Warning|Error)\](?! v2ray\.com\/core: V2Ray [\d.]+ started)/;

function refused(address: string): Promise<boolean> {
  const [host = '', port = '0'] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

function spec(id: string, localPort: number, publicPort: number | null = null, enabled = true): ExposureSpec {
  return { id, name: `service ${id}`, localHost: '127.0.0.1', localPort, publicPort, enabled };
}

/** The doc's pair on loopback, the portal allowing `allowed` public ports (undefined: no `exposures`). */
async function pair(portalKind: 'porthole' | 'v2ray', bridgeKind: 'porthole' | 'v2ray', allowed: number[] | undefined, upstreamPort = 9) {
  const [publicPort = 0, linkPort = 0] = await freePorts(2);
  const ports = { publicPort, linkPort, upstreamPort };
  const portal = portalConfig(ports) as Mutable<PortholeConfig>;
  const first = portal.reverse.portals[0];
  if (first && allowed) first.exposures = { ports: allowed.map((port) => ({ from: port, to: port })), listen: '127.0.0.1' };
  const portalPeer = await peer(portalKind, portal);
  await waitForPort(linkPort);
  const bridgePeer = await peer(bridgeKind, bridgeConfig(ports));
  await waitForPort(publicPort);
  return { ports, portal: portalPeer, bridge: bridgePeer };
}

async function live(instance: Instance, id: string): Promise<string> {
  await waitUntil(() => instance.exposures.status(id).state === 'live', 10_000, `exposure ${id} live (now ${JSON.stringify(instance.exposures.status(id))})`);
  return instance.exposures.status(id).publicAddress ?? '';
}

describe('exposures with a Porthole portal', () => {
  it('opens ports from the range for several exposures on one link, refuses a bad one beside them, and closes a withdrawn one', async () => {
    const [a, b] = [await http('page A'), await http('page B')];
    const allowed = await freePorts(3);
    const { bridge } = await pair('porthole', 'porthole', allowed);
    const engine = bridge.instance as Instance;
    const outside = allowed[0] === 1 ? 2 : 1;
    await engine.setExposures([spec('e-0000000a', a.port), spec('e-0000000b', b.port, allowed[2] ?? 0), spec('e-0000000c', a.port + 0, outside)]);

    const addressA = await live(engine, 'e-0000000a');
    const addressB = await live(engine, 'e-0000000b');
    expect(addressB).toBe(`127.0.0.1:${allowed[2]}`);
    expect(allowed.map((port) => `127.0.0.1:${port}`)).toContain(addressA);
    await waitUntil(() => engine.exposures.status('e-0000000c').state === 'refused', 10_000, 'refusal');
    expect(engine.exposures.status('e-0000000c').problem).toEqual({ code: 'PH_EXPOSE_OUT_OF_RANGE', message: expect.stringContaining(`public port ${outside} is outside the range`) });

    const pages = await Promise.all([get(addressA), get(addressB), get(addressA), get(addressB)]);
    expect(pages).toEqual(['page A', 'page B', 'page A', 'page B']);

    // Withdrawing A closes its public port at once; B goes on.
    await engine.setExposures([spec('e-0000000b', b.port, allowed[2] ?? 0)]);
    await waitUntil(() => refused(addressA), 5000, 'A closed');
    expect(await get(addressB)).toBe('page B');
  });

  it('says why when the portal allows no exposures, and a taken port is refused with a reason', async () => {
    const { bridge } = await pair('porthole', 'porthole', undefined);
    const engine = bridge.instance as Instance;
    await engine.setExposures([spec('e-00000001', 80)]);
    await waitUntil(() => engine.exposures.status('e-00000001').state === 'refused', 10_000, 'refusal');
    expect(engine.exposures.status('e-00000001').problem?.message).toMatch(/allows no exposures.*"exposures": \{"ports"/);
  });

  it('refuses a public port another program holds, keeping the other exposures', async () => {
    const page = await http('page');
    const allowed = await freePorts(2);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(allowed[0], '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const { bridge } = await pair('porthole', 'porthole', allowed);
    const engine = bridge.instance as Instance;
    await engine.setExposures([spec('e-00000001', page.port, allowed[0] ?? 0), spec('e-00000002', page.port + 0, null)]);
    await waitUntil(() => engine.exposures.status('e-00000001').state === 'refused', 10_000, 'refusal');
    expect(engine.exposures.status('e-00000001').problem?.message).toBe(`public port ${allowed[0]} is in use on the portal by another program`);
    // Picking a port skips the taken one.
    expect(await live(engine, 'e-00000002')).toBe(`127.0.0.1:${allowed[1]}`);
    expect(await get(`127.0.0.1:${allowed[1]}`)).toBe('page');
  });
});

describe('the built-in local portal', () => {
  it('is bridge and portal in one instance: the exposure is live on this machine', async () => {
    const page = await http('local page');
    const [allowedPort = 0] = await freePorts(1);
    const { loadConfig } = await import('../../config/index.js');
    const config = loadConfig([{ name: 'local.json', text: JSON.stringify({
      log: { loglevel: 'warning' },
      reverse: {
        bridges: [{ tag: 'local-bridge', domain: 'local.porthole.invalid' }],
        portals: [{ tag: 'local-portal', domain: 'local.porthole.invalid', exposures: { ports: `${allowedPort}`, listen: '127.0.0.1', publicHost: '127.0.0.1' } }],
      },
      routing: { rules: [{ type: 'field', inboundTag: ['local-bridge'], domain: ['full:local.porthole.invalid'], outboundTag: 'local-portal' }] },
    }) }]);
    const local = await peer('porthole', config);
    const engine = local.instance as Instance;
    await engine.setExposures([spec('e-00000001', page.port)]);
    expect(await live(engine, 'e-00000001')).toBe(`127.0.0.1:${allowedPort}`);
    expect(await get(`127.0.0.1:${allowedPort}`)).toBe('local page');
    // The bridge side counts the exposure's traffic under its own outbound tag.
    const rows = engine.stats.snapshot().filter((row) => row.outboundTag === 'exposure:e-00000001');
    expect(rows.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!v2rayAvailable())('exposures with V2Ray peers', () => {
  it('a V2Ray portal sees nothing extra: the exposure waits for Server setup and the pair still carries traffic', async () => {
    const page = await http('through v2ray');
    const { bridge, portal, ports } = await pair('v2ray', 'porthole', undefined, page.port);
    const engine = bridge.instance as Instance;
    await engine.setExposures([spec('e-00000001', page.port, 18080)]);
    expect(await getOnceLinked(`127.0.0.1:${ports.publicPort}`)).toBe('through v2ray');
    await waitUntil(() => engine.exposures.status('e-00000001').state === 'setup-needed', 10_000, 'setup-needed');
    expect(engine.exposures.status('e-00000001').publicAddress).toBe('127.0.0.1:18080');
    expect(portal.process?.output() ?? '').not.toMatch(V2RAY_COMPLAINT);
  });

  it('a V2Ray bridge ignores the offer of a Porthole portal that allows exposures', async () => {
    const page = await http('v2ray bridge');
    const allowed = await freePorts(1);
    const { bridge, ports } = await pair('porthole', 'v2ray', allowed, page.port);
    expect(await getOnceLinked(`127.0.0.1:${ports.publicPort}`)).toBe('v2ray bridge');
    expect(await get(`127.0.0.1:${ports.publicPort}`)).toBe('v2ray bridge');
    expect(bridge.process?.output() ?? '').not.toMatch(V2RAY_COMPLAINT);
  });
});
