/**
 * A reload that changes only the link inbound's users (an invite added or revoked) keeps every
 * other bridge's link: same connection, no redial, a transfer in flight through it untouched.
 *
 * On 127.0.0.1: a Porthole portal with two portals (one per bridge, told apart by domain) and one
 * link inbound with both bridges' users; one bridge is Porthole, the other the real v2ray 4.34.
 * Visitors reach each bridge's XOR echo through that bridge's own public port. Run for VMess
 * (either bridge revoked) and VLESS (the v2ray bridge revoked), a visitor's transfer open through
 * the revoked bridge at the reload: v2ray 4.34 must still notice its link is gone and dial again.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicBytes, xor5a } from '../../test/support/data.js';
import { freePorts, waitForPort, waitUntil } from '../../test/support/ports.js';
import { startPeer, type Peer, type RunningPeer } from '../../test/support/reverse-pair.js';
import { startXorEcho, type RunningServer } from '../../test/support/upstream.js';
import { v2rayAvailable } from '../../test/support/v2ray.js';
import { loadConfig, type PortholeConfig } from './config/index.js';
import type { Instance } from './instance.js';
import { userKeyOf as vlessUserKeyOf, uuidBytes } from './proxy/vless/account.js';
import { createVmessUser, parseUuid } from './proxy/vmess/account.js';
import { createClientRequest } from './proxy/vmess/client-handshake.js';
import { COMMAND, SECURITY } from './proxy/vmess/consts.js';
import { userKeyOf as vmessUserKeyOf } from './proxy/vmess/inbound.js';

type Protocol = 'vmess' | 'vless';

const USERS = {
  porthole: '27848739-7e62-4138-9fd3-098a63964b6b',
  v2ray: 'b831381d-6324-4d53-ad4f-8cda48b30811',
  newcomer: '5a8e2c3f-0d4b-4e61-9a57-3c2b1f0e9d84',
} as const;
type UserName = keyof typeof USERS;

const domainOf = (bridge: Peer) => `${bridge}.reload-users.test`;

function userKey(protocol: Protocol, name: UserName): string {
  return protocol === 'vmess' ? vmessUserKeyOf(parseUuid(USERS[name])) : vlessUserKeyOf(uuidBytes(USERS[name]));
}

interface Ports {
  link: number;
  porthole: number;
  v2ray: number;
}

/** The portal: one public port and one portal per bridge; link connections routed by their domain. */
function portalConfig(protocol: Protocol, ports: Ports, users: readonly UserName[]): PortholeConfig {
  const bridges: Peer[] = ['porthole', 'v2ray'];
  const clients = users.map((name) => ({ id: USERS[name], email: name }));
  return loadConfig([{ name: 'portal.json', text: JSON.stringify({
    log: { loglevel: 'info', access: 'none' },
    reverse: { portals: bridges.map((bridge) => ({ tag: `portal-${bridge}`, domain: domainOf(bridge) })) },
    inbounds: [
      ...bridges.map((bridge) => ({
        tag: `public-${bridge}`, listen: '127.0.0.1', port: ports[bridge], protocol: 'dokodemo-door',
        settings: { address: '127.0.0.1', port: 80, network: 'tcp' },
      })),
      {
        tag: 'interconn', listen: '127.0.0.1', port: ports.link, protocol,
        settings: protocol === 'vmess' ? { clients } : { clients, decryption: 'none' },
      },
    ],
    routing: { rules: bridges.flatMap((bridge) => [
      { type: 'field', inboundTag: [`public-${bridge}`], outboundTag: `portal-${bridge}` },
      { type: 'field', inboundTag: ['interconn'], domain: [`full:${domainOf(bridge)}`], outboundTag: `portal-${bridge}` },
    ]) },
  }) }]);
}

/** A bridge of V2Ray's reverse-proxy doc, as `user`, sending its visitors to the XOR echo. */
function bridgeConfig(protocol: Protocol, linkPort: number, domain: string, user: UserName, upstreamPort: number): PortholeConfig {
  const account = protocol === 'vmess' ? { id: USERS[user] } : { id: USERS[user], encryption: 'none' };
  return loadConfig([{ name: 'bridge.json', text: JSON.stringify({
    log: { loglevel: 'warning', access: 'none' },
    reverse: { bridges: [{ tag: 'bridge', domain }] },
    outbounds: [
      { tag: 'out', protocol: 'freedom', settings: { redirect: `127.0.0.1:${upstreamPort}` } },
      { tag: 'interconn', protocol, settings: { vnext: [{ address: '127.0.0.1', port: linkPort, users: [account] }] } },
    ],
    routing: { rules: [
      { type: 'field', inboundTag: ['bridge'], domain: [`full:${domain}`], outboundTag: 'interconn' },
      { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
    ] },
  }) }]);
}

/** A visitor's connection through a public port to the XOR echo, fed in steps. */
interface Transfer {
  /** Sends `bytes` and resolves once their echo is back. */
  roundTrip(bytes: Buffer): Promise<void>;
  /** Ends our side; resolves with how the connection ended and whether every byte came back right. */
  finish(): Promise<{ end: 'clean' | string; intact: boolean }>;
  /** Resolves once the connection closed without us ending it (how it ended). */
  cut(): Promise<'clean' | string>;
}

async function openTransfer(port: number): Promise<Transfer> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  let receivedBytes = 0;
  let sentBytes = 0;
  let failure: string | undefined;
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    receivedBytes += chunk.length;
  });
  socket.on('error', (error: NodeJS.ErrnoException) => { failure = error.code ?? error.message; });
  const closed = new Promise<'clean' | string>((resolve) => socket.once('close', () => resolve(failure ?? 'clean')));
  return {
    roundTrip: async (bytes) => {
      sent.push(bytes);
      sentBytes += bytes.length;
      socket.write(bytes);
      await waitUntil(() => receivedBytes >= sentBytes || socket.destroyed, 20_000, `the echo of ${sentBytes} bytes (${receivedBytes} back)`);
      if (receivedBytes < sentBytes) throw new Error(`the transfer was cut (${failure ?? 'closed'}) with ${receivedBytes} of ${sentBytes} bytes back`);
    },
    finish: async () => {
      socket.end();
      const end = await closed;
      return { end, intact: Buffer.concat(received).equals(xor5a(Buffer.concat(sent))) };
    },
    cut: () => closed,
  };
}

/** Open link connections on the portal's link inbound, by the domain (so the bridge) they link for. */
function linkIds(portal: Instance, bridge: Peer): number[] {
  return portal.stats.snapshot()
    .filter((connection) => connection.inboundTag === 'interconn' && connection.closedAt === undefined && connection.target.includes(domainOf(bridge)))
    .map((connection) => connection.id)
    .sort((a, b) => a - b);
}

const refusalOf: Record<Protocol, RegExp> = { vmess: /vmess: invalid user/, vless: /vless: invalid request user id/ };

describe.skipIf(!v2rayAvailable())('reload with other users keeps the other bridges\' links (Porthole and v2ray 4.34 bridges)', () => {
  const cases: Array<{ protocol: Protocol; revoked: Peer; kept: Peer }> = [
    { protocol: 'vmess', revoked: 'porthole', kept: 'v2ray' },
    { protocol: 'vmess', revoked: 'v2ray', kept: 'porthole' },
    { protocol: 'vless', revoked: 'v2ray', kept: 'porthole' },
  ];

  describe.each(cases)('$protocol link inbound; the $revoked bridge is revoked', ({ protocol, revoked, kept }) => {
    let upstream: RunningServer;
    let ports: Ports;
    let portal: RunningPeer;
    const bridges = new Map<Peer, RunningPeer>();
    const extra: RunningPeer[] = [];
    const portalEngine = () => portal.instance!;
    const portholeBridgeLost = () => bridges.get('porthole')!.logLines.filter((line) => line.includes('link to the portal lost')).length;
    const diagnostics = () => `portal:\n${portal.logLines.join('\n')}\nv2ray bridge:\n${bridges.get('v2ray')?.process?.output() ?? ''}`;

    beforeAll(async () => {
      upstream = await startXorEcho();
      const [link = 0, portholePort = 0, v2rayPort = 0] = await freePorts(3);
      ports = { link, porthole: portholePort, v2ray: v2rayPort };
      portal = await startPeer('porthole', portalConfig(protocol, ports, ['porthole', 'v2ray']));
      await waitForPort(ports.link);
      for (const bridge of ['porthole', 'v2ray'] as const) {
        bridges.set(bridge, await startPeer(bridge, bridgeConfig(protocol, ports.link, domainOf(bridge), bridge, upstream.port)));
      }
      for (const bridge of ['porthole', 'v2ray'] as const) {
        await waitUntil(() => portalEngine().portals.find((candidate) => candidate.tag === `portal-${bridge}`)!.linkCount > 0, 20_000, `the ${bridge} bridge's link\n${diagnostics()}`);
      }
    }, 60_000);

    afterAll(async () => {
      for (const peer of [...extra, ...bridges.values()]) await peer.stop();
      await portal?.stop();
      await upstream?.close();
    });

    it('a user added: both links stay (same connections, no redial), transfers in flight go on intact, the new user links', async () => {
      const engine = portalEngine();
      const linksBefore = { porthole: linkIds(engine, 'porthole'), v2ray: linkIds(engine, 'v2ray') };
      expect(linksBefore.porthole.length).toBeGreaterThan(0);
      expect(linksBefore.v2ray.length).toBeGreaterThan(0);
      const inbound = engine.inbounds.find((handler) => handler.tag === 'interconn');
      const lostBefore = portholeBridgeLost();
      const transfers = { porthole: await openTransfer(ports.porthole), v2ray: await openTransfer(ports.v2ray) };
      for (const [bridge, transfer] of Object.entries(transfers)) await transfer.roundTrip(deterministicBytes(bridge.length, 512 * 1024));

      const summary = await engine.reload(portalConfig(protocol, ports, ['porthole', 'v2ray', 'newcomer']));

      expect({ started: summary.started, stopped: summary.stopped, usersUpdated: summary.usersUpdated })
        .toEqual({ started: [], stopped: [], usersUpdated: ['inbound interconn'] });
      expect(engine.inbounds.find((handler) => handler.tag === 'interconn')).toBe(inbound);
      expect(portal.logLines.some((line) => line.includes('users updated: 1 added, 0 removed'))).toBe(true);
      for (const [bridge, transfer] of Object.entries(transfers)) await transfer.roundTrip(deterministicBytes(bridge.length + 7, 512 * 1024));
      expect(await transfers.porthole.finish()).toEqual({ end: 'clean', intact: true });
      expect(await transfers.v2ray.finish()).toEqual({ end: 'clean', intact: true });
      expect({ porthole: linkIds(engine, 'porthole'), v2ray: linkIds(engine, 'v2ray') }).toEqual(linksBefore);
      expect(portholeBridgeLost()).toBe(lostBefore);

      // New handshakes see the new user: a third bridge (for the Porthole bridge's portal) links as it.
      const newcomer = await startPeer('porthole', bridgeConfig(protocol, ports.link, domainOf('porthole'), 'newcomer', upstream.port));
      extra.push(newcomer);
      const newcomerKey = userKey(protocol, 'newcomer');
      const portholePortal = engine.portals.find((candidate) => candidate.tag === 'portal-porthole')!;
      await waitUntil(() => (portholePortal.linkCountsByUser().get(newcomerKey) ?? 0) > 0, 15_000, `the newcomer's link\n${diagnostics()}`);
      await newcomer.stop();
      extra.splice(extra.indexOf(newcomer), 1);
      await waitUntil(() => portholePortal.linkCountsByUser().get(newcomerKey) === undefined, 10_000, 'the newcomer\'s link gone');
      expect({ porthole: linkIds(engine, 'porthole'), v2ray: linkIds(engine, 'v2ray') }).toEqual(linksBefore);
    }, 60_000);

    it(`a user removed: the ${revoked} bridge's link is cut and its redials refused; the ${kept} bridge's link and transfer are untouched`, async () => {
      const engine = portalEngine();
      const keptLinks = linkIds(engine, kept);
      expect(keptLinks.length).toBeGreaterThan(0);
      const lostBefore = portholeBridgeLost();
      const refusalsBefore = portal.logLines.filter((line) => refusalOf[protocol].test(line)).length;
      const keptTransfer = await openTransfer(ports[kept]);
      await keptTransfer.roundTrip(deterministicBytes(11, 512 * 1024));
      const revokedTransfer = await openTransfer(ports[revoked]);
      await revokedTransfer.roundTrip(deterministicBytes(12, 64 * 1024));

      const summary = await engine.reload(portalConfig(protocol, ports, [kept, 'newcomer']));

      expect({ started: summary.started, stopped: summary.stopped, usersUpdated: summary.usersUpdated })
        .toEqual({ started: [], stopped: [], usersUpdated: ['inbound interconn'] });
      expect(portal.logLines.some((line) => /users updated: 0 added, 1 removed, [1-9]\d* of their connections closed/.test(line))).toBe(true);
      // The revoked bridge's visitor is cut short, and says so (not a clean end that reads as whole).
      expect(await revokedTransfer.cut()).not.toBe('clean');
      const revokedPortal = engine.portals.find((candidate) => candidate.tag === `portal-${revoked}`)!;
      await waitUntil(() => revokedPortal.linkCount === 0, 5_000, `the ${revoked} bridge's link dropped at the reload`);
      await waitUntil(() => portal.logLines.filter((line) => refusalOf[protocol].test(line)).length > refusalsBefore, 20_000, `a refused redial of the ${revoked} bridge\n${diagnostics()}`);
      expect(revokedPortal.linkCountsByUser().get(userKey(protocol, revoked))).toBeUndefined();
      expect(linkIds(engine, revoked)).toEqual([]);
      if (revoked === 'porthole') expect(bridges.get('porthole')!.instance!.bridges[0]!.activeLinks).toBe(0);

      // The kept bridge: same link connections, its transfer goes on and ends whole.
      await keptTransfer.roundTrip(deterministicBytes(13, 512 * 1024));
      expect(await keptTransfer.finish()).toEqual({ end: 'clean', intact: true });
      expect(linkIds(engine, kept)).toEqual(keptLinks);
      if (kept === 'porthole') expect(portholeBridgeLost()).toBe(lostBefore);
      const fresh = await openTransfer(ports[kept]);
      await fresh.roundTrip(Buffer.from('still there'));
      expect(await fresh.finish()).toEqual({ end: 'clean', intact: true });
    }, 60_000);
  });
});

describe('a VMess handshake under way at the reload', () => {
  it('is refused when its user was removed meanwhile; one of a user who stays goes through', async () => {
    const upstream = await startXorEcho();
    const [port = 0] = await freePorts(1);
    const config = (users: readonly UserName[]) => loadConfig([{ name: 'server.json', text: JSON.stringify({
      log: { loglevel: 'info', access: 'none' },
      inbounds: [{ tag: 'in', listen: '127.0.0.1', port, protocol: 'vmess', settings: { clients: users.map((name) => ({ id: USERS[name] })) } }],
      outbounds: [{ protocol: 'freedom', settings: { redirect: `127.0.0.1:${upstream.port}` } }],
    }) }]);
    const server = await startPeer('porthole', config(['porthole', 'v2ray']));
    const sockets: net.Socket[] = [];
    try {
      // Each client sends its AuthID (matched against the users of that moment) and a little more.
      const start = async (user: UserName) => {
        const request = createClientRequest({
          user: createVmessUser(USERS[user], { tag: undefined }), security: SECURITY.aes128Gcm, command: COMMAND.tcp,
          address: { kind: 'ipv4', value: '127.0.0.1' }, port: 80,
        });
        const socket = net.connect({ host: '127.0.0.1', port });
        sockets.push(socket);
        socket.on('error', () => {});
        await new Promise<void>((resolve) => socket.once('connect', resolve));
        socket.write(request.headerBytes.subarray(0, 20));
        return { socket, rest: request.headerBytes.subarray(20) };
      };
      await waitForPort(port);
      const removed = await start('porthole');
      const stays = await start('v2ray');
      // A handshake authenticates against the users of the moment its connection was accepted:
      // wait until the inbound holds both (its roster of sockets is private; read for this test only).
      const inbound = server.instance!.inbounds[0] as unknown as { sockets: { size: number } };
      await waitUntil(() => inbound.sockets.size === 2, 5_000, 'both connections accepted');

      const summary = await server.instance!.reload(config(['v2ray']));
      expect(summary.usersUpdated).toEqual(['inbound in']);
      removed.socket.write(removed.rest);
      stays.socket.write(stays.rest);

      await waitUntil(() => removed.socket.destroyed, 5_000, 'the removed user\'s handshake refused');
      await waitUntil(() => server.instance!.stats.snapshot().some((connection) => connection.inboundTag === 'in' && connection.closedAt === undefined), 5_000, 'the staying user\'s connection dispatched');
      expect(server.instance!.stats.snapshot().filter((connection) => connection.inboundTag === 'in')).toHaveLength(1);
      expect(stays.socket.destroyed).toBe(false);
      expect(server.logLines.some((line) => line.includes('invalid user > removed by a reload'))).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.stop();
      await upstream.close();
    }
  });
});
