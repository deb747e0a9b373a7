/** Issue 4/7: "Live" only end to end; the built-in portal's reach; the probe asks HTTP, not the port number. */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answersHttp } from './exposure-probe.js';
import { endToEndState } from './exposure-status.js';
import { lanAddresses, localPortalAddress, withLocalPortal } from './local-portal.js';
import { loadConfig } from '../../engine/config/index.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

describe('end to end', () => {
  it('is live only with the local address answering; not answering is local-down; unchecked is not live yet', () => {
    expect(endToEndState('live', true)).toBe('live');
    expect(endToEndState('live', false)).toBe('local-down');
    expect(endToEndState('live', null)).toBe('requesting');
    expect(endToEndState('offline', false)).toBe('offline');
    expect(endToEndState('refused', true)).toBe('refused');
  });
});

describe('the HTTP check', () => {
  it('says HTTP for a web server, not for a service that speaks first or says nothing', async () => {
    const web = await listen(http.createServer((_request, response) => response.end('hi')));
    const ssh = await listen(net.createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n')));
    const silent = await listen(net.createServer(() => {}));
    expect(await answersHttp('127.0.0.1', web)).toBe(true);
    expect(await answersHttp('127.0.0.1', ssh)).toBe(false);
    expect(await answersHttp('127.0.0.1', silent)).toBe(false);
  }, 10_000);
});

describe('the built-in portal\'s reach', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '', internal: true, cidr: null }],
    eth0: [
      { address: '192.168.1.20', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '', internal: false, cidr: null },
      { address: 'fe80::1', netmask: 'ffff::', family: 'IPv6' as const, mac: '', internal: false, cidr: null, scopeid: 2 },
    ],
    wlan0: [{ address: '169.254.3.4', netmask: '255.255.0.0', family: 'IPv4' as const, mac: '', internal: false, cidr: null }],
  };

  it('lists this machine\'s LAN IPv4 addresses (not loopback, not link-local)', () => {
    expect(lanAddresses(interfaces)).toEqual(['192.168.1.20']);
  });

  it('is loopback by default and unless the setting is exactly on', () => {
    expect(localPortalAddress({}, ['192.168.1.20'])).toEqual({ listen: '127.0.0.1', publicHost: '127.0.0.1', problem: null });
    expect(localPortalAddress({ localPortalLan: false, localPortalLanAddress: '192.168.1.20' }, ['192.168.1.20']).listen).toBe('127.0.0.1');
  });

  it('listens on all interfaces naming the LAN address, or on the chosen one; a chosen address gone falls back to loopback', () => {
    expect(localPortalAddress({ localPortalLan: true }, ['192.168.1.20'])).toEqual({ listen: '0.0.0.0', publicHost: '192.168.1.20', problem: null });
    expect(localPortalAddress({ localPortalLan: true, localPortalLanAddress: '192.168.1.20' }, ['192.168.1.20'])).toMatchObject({ listen: '192.168.1.20', publicHost: '192.168.1.20' });
    const gone = localPortalAddress({ localPortalLan: true, localPortalLanAddress: '10.9.9.9' }, ['192.168.1.20']);
    expect(gone).toMatchObject({ listen: '127.0.0.1', publicHost: '127.0.0.1' });
    expect(gone.problem).toMatch(/no address 10\.9\.9\.9/);
  });

  it('puts the address into the local portal\'s exposures config', () => {
    const config = withLocalPortal(loadConfig([{ name: 't', text: '{}' }]), { listen: '0.0.0.0', publicHost: '192.168.1.20', problem: null });
    expect(config.reverse.portals[0]?.exposures).toMatchObject({ listen: '0.0.0.0', publicHost: '192.168.1.20' });
  });
});
