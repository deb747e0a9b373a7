import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/ports.js';
import {
  configForExposures, freeNamesPort, LOCAL_PORTAL_TAG, localNamesPort, localPortalOnly, LOOPBACK_ONLY, namesReachLoopback, withoutLocalNames,
} from './local-portal.js';

const held: Server[] = [];
afterEach(async () => {
  for (const server of held.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function hold(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  held.push(server);
}

describe('the built-in portal\'s names', () => {
  it('serves <label>.localhost on the port given, and can leave them out', () => {
    const config = localPortalOnly(LOOPBACK_ONLY, 21080);
    const portal = config.reverse.portals.find((candidate) => candidate.tag === LOCAL_PORTAL_TAG);
    expect(portal?.exposures?.names).toEqual({ domain: 'localhost', httpPort: 21080, certificates: [], customDomains: false });
    expect([localNamesPort(config), localNamesPort(withoutLocalNames(config)), localNamesPort(localPortalOnly())]).toEqual([21080, null, null]);
    // Bound to one LAN address only, *.localhost (loopback) could not reach it: no names.
    expect(localNamesPort(configForExposures(undefined, true, { listen: '192.168.1.20', publicHost: '192.168.1.20', problem: null }, 21080))).toBeNull();
    expect([namesReachLoopback('127.0.0.1'), namesReachLoopback('0.0.0.0'), namesReachLoopback('192.168.1.20')]).toEqual([true, true, false]);
  });

  it('picks the first free port of its list, and none when all are taken', async () => {
    const [taken, free] = [await freePort(), await freePort()];
    await hold(taken);
    expect(await freeNamesPort('127.0.0.1', [taken, free])).toBe(free);
    expect(await freeNamesPort('127.0.0.1', [taken])).toBeNull();
  });
});
