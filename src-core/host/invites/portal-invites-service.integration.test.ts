/**
 * Invites from the window, with real parts on 127.0.0.1: the engine service runs a portal profile;
 * `createPortalInvite` gives a link; a real Porthole bridge made from that link (profile-from-link)
 * links and exposes its own web server; visitors reach it through the portal, and the traffic is
 * listed under that user and no other. A second invite's bridge is counted apart. Inviting and
 * revoking change only the link inbound's users, so the other bridges' links stay up through the
 * reload (same connections, no redial). Revoking the first drops its link at the reload, and its
 * next dials are refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortalInviteList } from '../api/index.js';
import { bridgeProfileFromLink } from '../api/invites/profile-from-link.js';
import { decodeInvite } from '../api/invites/invite-link.js';
import { loadConfig } from '../../engine/config/index.js';
import type { Instance } from '../../engine/instance.js';
import { createLocalEngineService, type LocalEngineService } from '../service/local-engine-service.js';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { startPeer, type RunningPeer } from '../../../test/support/reverse-pair.js';
import { startHttp, type RunningServer } from '../../../test/support/upstream.js';
import { userKeyFor } from './portal-user-traffic.js';

const OWNER = '27848739-7e62-4138-9fd3-098a63964b6b';
const DOMAIN = 'invites.porthole.test';

let folder: string;
let service: LocalEngineService;
const portalLog: string[] = [];
const cleanups: Array<() => Promise<void>> = [];
let linkPort = 0;
let publicFrom = 0;

function portalText(): string {
  return `// The owner's portal: bridges dial ${linkPort}.
{
  "log": {"loglevel": "info", "access": "none"},
  "reverse": {"portals": [{"tag": "portal", "domain": "${DOMAIN}",
    "exposures": {"ports": "${publicFrom}-${publicFrom + 3}", "listen": "127.0.0.1"}}]},
  "inbounds": [
    {
      "tag": "interconn", "listen": "127.0.0.1", "port": ${linkPort}, "protocol": "vmess",
      "settings": {
        "clients": [{"id": "${OWNER}", "email": "owner"}] // the owner's own bridge
      }
    }
  ],
  "routing": {"rules": [{"type": "field", "inboundTag": ["interconn"], "outboundTag": "portal"}]}
}
`;
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-portal-invites-'));
  [linkPort = 0, publicFrom = 0] = await freePorts(2);
  // Four public ports from publicFrom: the next ones are rarely taken on a test machine.
  const sink = { write: (line: string) => { portalLog.push(line); } };
  service = await createLocalEngineService({ profilesFolder: join(folder, 'profiles'), logSinks: { error: sink, access: { write: () => {} } }, sampleIntervalMs: 200 });
  await service.saveProfile('portal', portalText());
  await service.activateProfile('portal');
  await waitForPort(linkPort);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await service.close();
  rmSync(folder, { recursive: true, force: true });
});

async function web(body: string): Promise<RunningServer> {
  const server = await startHttp(body);
  cleanups.push(() => server.close());
  return server;
}

/** A real bridge from the link, as the Profiles page's join makes it, exposing `localPort`. */
async function joinWith(link: string, exposureId: string, localPort: number): Promise<{ engine: Instance; publicPort: number; peer: RunningPeer }> {
  const { text } = bridgeProfileFromLink(link);
  const peer = await startPeer('porthole', loadConfig([{ name: 'bridge.json', text }]));
  cleanups.push(() => peer.stop());
  const engine = peer.instance as Instance;
  await engine.setExposures([{ id: exposureId, name: exposureId, localHost: '127.0.0.1', localPort, publicPort: null, enabled: true }]);
  await waitUntil(() => engine.exposures.status(exposureId).state === 'live', 15_000, `exposure ${exposureId} live: ${JSON.stringify(engine.exposures.status(exposureId))}\n${portalLog.join('\n')}`);
  return { engine, peer, publicPort: Number(engine.exposures.status(exposureId).publicAddress?.split(':')[1]) };
}

/** One HTTP/1.0 request on its own connection: the body, or why there is none. */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let failure = 'closed';
    const timer = setTimeout(() => { socket.destroy(); resolve('timed out'); }, 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('connect', () => socket.write('GET / HTTP/1.0\r\nHost: test\r\n\r\n'));
    socket.on('error', (error: NodeJS.ErrnoException) => { failure = error.code ?? 'error'; });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString().split('\r\n\r\n')[1] || failure);
    });
  });
}

/** The link connections open on the portal's link inbound now (their connection ids). */
function linkIds(): number[] {
  return service.engine!.stats.snapshot()
    .filter((connection) => connection.inboundTag === 'interconn' && connection.closedAt === undefined && connection.target.includes(DOMAIN))
    .map((connection) => connection.id)
    .sort((a, b) => a - b);
}

const linksLost = (peer: RunningPeer) => peer.logLines.filter((line) => line.includes('link to the portal lost')).length;

function row(list: PortalInviteList, name: string) {
  const found = list.invites.find((invite) => invite.name === name);
  if (!found) throw new Error(`no user "${name}" in ${JSON.stringify(list.invites.map((invite) => invite.name))}`);
  return found;
}

describe('invites from the window (portal side)', () => {
  it('invite → join → traffic per user; a second invite counted apart; revoke → refused', async () => {
    const before = await service.listPortalInvites('portal');
    expect(before.problem).toBeNull();
    expect(before.invites.map((invite) => [invite.name, invite.id, invite.inbound])).toEqual([['owner', OWNER, 'interconn']]);

    const alice = await service.createPortalInvite('portal', { name: 'alice' });
    expect(decodeInvite(alice.link)).toEqual({ endpoint: { protocol: 'vmess', address: '127.0.0.1', port: linkPort, id: alice.id, network: 'tcp', tls: false }, domain: DOMAIN, name: 'alice' });
    expect(alice.qrSvg).toMatch(/^<svg[^>]*viewBox/);
    // Saved with its comments, as the user's own edit would be.
    const saved = (await service.getProfile('portal')).text;
    expect(saved).toContain('// the owner\'s own bridge');
    expect(saved).toContain(`{"id": "${alice.id}", "email": "alice"}`);

    const serviceA = await web('service A\n');
    const serviceB = await web('service B\n');
    const bridgeA = await joinWith(alice.link, 'e-0000000a', serviceA.port);
    const aliceLinks = linkIds();
    expect(aliceLinks.length).toBeGreaterThan(0);
    const bob = await service.createPortalInvite('portal', { name: 'bob' });
    // Bob's invite changed only the link inbound's users: Alice's link stayed up through the reload.
    expect(linkIds()).toEqual(aliceLinks);
    expect(linksLost(bridgeA.peer)).toBe(0);
    expect(await ask(bridgeA.publicPort)).toBe('service A\n');
    const bridgeB = await joinWith(bob.link, 'e-0000000b', serviceB.port);
    const bobLinks = linkIds().filter((id) => !aliceLinks.includes(id));
    expect(bobLinks.length).toBeGreaterThan(0);
    expect(linkIds()).toEqual([...aliceLinks, ...bobLinks].sort((a, b) => a - b));

    const visitsA = 3;
    const visitsB = 5;
    for (let index = 0; index < visitsA; index += 1) expect(await ask(bridgeA.publicPort)).toBe('service A\n');
    for (let index = 0; index < visitsB; index += 1) expect(await ask(bridgeB.publicPort)).toBe('service B\n');

    // Connections are counted when they close: wait until all are.
    let list = await service.listPortalInvites('portal');
    await waitUntil(async () => {
      list = await service.listPortalInvites('portal');
      return row(list, 'bob').traffic.totalConnections === visitsB && row(list, 'alice').traffic.openConnections === 0 && row(list, 'bob').traffic.openConnections === 0;
    }, 10_000, 'the visits counted');
    const aliceRow = row(list, 'alice');
    const bobRow = row(list, 'bob');
    // Her visit during Bob's invite, and these: all hers.
    expect(aliceRow.traffic.totalConnections).toBe(visitsA + 1);
    expect({ links: aliceRow.traffic.links > 0, exposures: aliceRow.traffic.exposures, bytesDown: aliceRow.traffic.bytesDown > 0, bytesUp: aliceRow.traffic.bytesUp > 0 })
      .toEqual({ links: true, exposures: 1, bytesDown: true, bytesUp: true });
    expect({ links: bobRow.traffic.links > 0, exposures: bobRow.traffic.exposures, total: bobRow.traffic.totalConnections })
      .toEqual({ links: true, exposures: 1, total: visitsB });
    // Bob's bytes are his 5 visits exactly: each request and answer is the same size.
    expect(bobRow.traffic.bytesUp % visitsB).toBe(0);
    expect(bobRow.traffic.bytesDown / visitsB).toBe(aliceRow.traffic.bytesDown / aliceRow.traffic.totalConnections);
    expect(row(list, 'owner').traffic).toEqual({ links: 0, exposures: 0, openConnections: 0, totalConnections: 0, bytesDown: 0, bytesUp: 0 });
    expect(row(list, 'bob').link).toBe(bob.link);

    // Revoke Alice: at the reload her link is gone at once, and every dial after is refused; Bob's stays up.
    const aliceKey = userKeyFor('vmess', alice.id);
    const portal = () => service.engine!.portals.find((candidate) => candidate.tag === 'portal')!;
    const refusalsBefore = portalLog.filter((line) => /invalid user/.test(line)).length;
    await service.revokePortalInvite('portal', 'alice');
    // Her link's socket is closed at the reload, and its Mux session sees it a turn later.
    await waitUntil(() => portal().linkCountsByUser().get(aliceKey) === undefined, 5_000, 'Alice\'s link dropped at the reload');
    expect(linkIds()).toEqual(bobLinks);
    expect((await service.listPortalInvites('portal')).invites.map((invite) => invite.name)).toEqual(['owner', 'bob']);
    expect((await service.getProfile('portal')).text).not.toContain(alice.id);
    await waitUntil(() => portalLog.filter((line) => /invalid user/.test(line)).length > refusalsBefore, 15_000, `a refusal of Alice's bridge:\n${portalLog.join('\n')}`);
    expect(bridgeA.engine.bridges[0]!.activeLinks).toBe(0);
    expect(portal().linkCountsByUser().get(aliceKey)).toBeUndefined();
    // Bob never noticed: same link, no redial, his exposure works as before.
    expect(await ask(bridgeB.publicPort)).toBe('service B\n');
    expect(linkIds()).toEqual(bobLinks);
    expect(linksLost(bridgeB.peer)).toBe(0);
    expect(linksLost(bridgeA.peer)).toBeGreaterThan(0);
    expect(await ask(bridgeA.publicPort)).not.toBe('service A\n');
  }, 90_000);

  it('says why a profile that is not a portal has no invites, and refuses bad input with one line', async () => {
    await service.saveProfile('bridge', bridgeProfileFromLink(`porthole://join?v=1&proto=vmess&addr=127.0.0.1&port=${linkPort}&id=${OWNER}&domain=${DOMAIN}`).text);
    expect(await service.listPortalInvites('bridge')).toEqual({ profile: 'bridge', invites: [], problem: 'the config has no reverse.portals: invites are made on a portal' });
    await expect(service.createPortalInvite('bridge', {})).rejects.toMatchObject({ code: 'PH_INVITE', message: 'the config has no reverse.portals: invites are made on a portal' });
    await expect(service.createPortalInvite('portal', { name: 'bob' })).rejects.toMatchObject({ code: 'PH_INVITE', message: 'inbound "interconn" already has a user named "bob" (revoke it or pick another name)' });
    await expect(service.createPortalInvite('portal', { name: 'a b' })).rejects.toMatchObject({ code: 'PH_INVITE', message: 'name "a b": use letters, digits, . _ @ - (up to 64)' });
    await expect(service.createPortalInvite('portal', { address: 'not an address' })).rejects.toMatchObject({ code: 'PH_INVITE', message: 'address: "not an address" is not a host name or IP address' });
    await expect(service.revokePortalInvite('portal', 'nobody')).rejects.toMatchObject({ code: 'PH_INVITE', message: 'cannot revoke in profile "portal": no user is named or has the id "nobody"' });
    const withPort = await service.createPortalInvite('portal', { name: 'carol', address: 'vps.example.com:8443' });
    expect(decodeInvite(withPort.link).endpoint).toMatchObject({ address: 'vps.example.com', port: 8443 });
    // Listed later with the same address.
    expect(row(await service.listPortalInvites('portal'), 'carol').link).toBe(withPort.link);
  });
});

describe('invites on a `porthole run -c FILE` profile', () => {
  it('edits the file in place (comments kept) and the profile reads it', async () => {
    const [port = 0] = await freePorts(1);
    const file = join(folder, 'cli-portal.json');
    writeFileSync(file, portalText().replaceAll(String(linkPort), String(port)), { mode: 0o600 });
    const cli = await createLocalEngineService({
      profilesFolder: join(folder, 'cli-profiles'),
      logSinks: { error: { write: () => {} }, access: { write: () => {} } },
      commandLineProfile: { sources: [{ name: file, text: readFileSync(file, 'utf8') }] },
    });
    try {
      const [profile] = await cli.listProfiles();
      expect(profile?.origin).toBe('command-line');
      await cli.startEngine();
      const dave = await cli.createPortalInvite(profile!.name, { name: 'dave' });
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('// the owner\'s own bridge');
      expect(text).toContain(`"email": "dave"`);
      expect((await cli.getProfile(profile!.name)).text).toBe(text);
      expect(cli.engine?.config.inbounds[0]).toMatchObject({ settings: { clients: [{ id: OWNER }, { id: dave.id }] } });
      await cli.revokePortalInvite(profile!.name, dave.id);
      expect(readFileSync(file, 'utf8')).not.toContain(dave.id);
      expect(cli.engine?.config.inbounds[0]).toMatchObject({ settings: { clients: [{ id: OWNER }] } });
    } finally {
      await cli.close();
    }
  });
});
