/**
 * The portal's exposure host on real listeners: allocation from the range, refusals, the grace
 * period, and ownership (ids kept per bridge user, a cap per user, routes only to the holder).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../common/session.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import { forComponent } from '../../features/log.js';
import { DokodemoInbound } from '../../proxy/dokodemo/inbound.js';
import { DefaultLogger } from '../log/logger.js';
import type { ControlExtension } from '../reverse/control.js';
import type { PortalControlChannel } from '../reverse/control-channel.js';
import { freePorts } from '../../../../test/support/ports.js';
import { ExposureHost, exposureOwnerOf, type ExposureOwner } from './exposure-host.js';
import { decodeExposureReply, encodeBridgeExposureMessage, type ExposeRequest, type ExposureReply } from './exposure-wire.js';
import type { PublicListenerFactory } from './public-listener.js';

const hosts: ExposureHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

/** These tests open no connection through the ports, so nothing is ever dispatched. */
const noDispatch: Dispatcher = {
  dispatch: () => { throw new Error('no connection expected in this test'); },
};
const log = forComponent(new DefaultLogger({ level: 'none' }), 'test');
/** What instance.ts gives the host: dokodemo-door inbounds. */
const listeners: PublicListenerFactory = {
  create: (tag, settings, dispatcher) => new DokodemoInbound(tag, { ...settings, level: 0, acceptsTcp: true }, dispatcher, log),
};

function host(ports: number[], graceMs = 10_000, options: { maxPerUser?: number; dispatcher?: Dispatcher } = {}): ExposureHost {
  const created = new ExposureHost({
    config: { ports: ports.map((port) => ({ from: port, to: port })), listen: '127.0.0.1', ...(options.maxPerUser === undefined ? {} : { maxPerUser: options.maxPerUser }) },
    portalTag: 'portal', dispatcher: options.dispatcher ?? noDispatch, log, listeners, graceMs,
  });
  hosts.push(created);
  return created;
}

const alice: ExposureOwner = { key: 'user:a11ce', label: 'user alice' };
const bob: ExposureOwner = { key: 'user:b0b', label: 'user bob' };

function holder(owner: ExposureOwner = alice) {
  const replies: ExposureReply[] = [];
  return { owner, gone: false, replies, reply: (reply: ExposureReply) => { replies.push(reply); } };
}

const request = (id: string, publicPort = 0): ExposeRequest => ({ id, localHost: '127.0.0.1', localPort: 80, publicPort, name: id });

/** The sessions two users' bridge links arrive with (the VMess inbound authenticated them). */
const aliceLink: Session = { id: 1, inboundTag: 'interconn', level: 0, startedAt: 0, userKey: 'a11ce00000000000', user: 'alice' };
const bobLink: Session = { id: 2, inboundTag: 'interconn', level: 0, startedAt: 0, userKey: 'b0b0000000000000', user: 'bob' };

/** A portal link's control session as the host sees it: `receive` is what the bridge writes, `replies` what the host answered. */
function channel(session: Session) {
  const messageListeners: Array<(bytes: Buffer) => void> = [];
  const closeListeners: Array<() => void> = [];
  const replies: ExposureReply[] = [];
  const link = {
    session,
    retired: false as boolean,
    replies,
    send: (extension: ControlExtension) => {
      for (const reply of extension.exposureReplies ?? []) replies.push(decodeExposureReply(reply));
    },
    onMessage: (listener: (bytes: Buffer) => void) => { messageListeners.push(listener); },
    onDidClose: (listener: () => void) => { closeListeners.push(listener); },
    receive: (bytes: Buffer) => { for (const listener of messageListeners) listener(bytes); },
    close: () => {
      link.retired = true;
      for (const listener of closeListeners) listener();
    },
  } satisfies PortalControlChannel & Record<string, unknown>;
  return link;
}

/** Whether something listens on the port: a connection that is accepted, or accepted and reset (nothing is dispatched here). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNRESET'));
  });
}

describe('ExposureHost', () => {
  it('hands out free ports in order, refuses taken and out-of-range ones, and confirms a repeated request', async () => {
    const range = await freePorts(2);
    const exposures = host(range);
    const link = holder();
    await exposures.expose(link, request('a'));
    await exposures.expose(link, request('b', range[0]));
    await exposures.expose(link, request('c'));
    await exposures.expose(link, request('d', 1));
    await exposures.expose(link, request('a'));
    expect(link.replies).toEqual([
      { id: 'a', publicPort: range[0] },
      { id: 'b', publicPort: 0, errorCode: 'PH_EXPOSE_PORT_TAKEN', error: `public port ${range[0]} is already taken by exposure "a"` },
      { id: 'c', publicPort: range[1] },
      { id: 'd', publicPort: 0, errorCode: 'PH_EXPOSE_OUT_OF_RANGE', error: `public port 1 is outside the range this portal allows (${range.join(', ')})` },
      { id: 'a', publicPort: range[0] },
    ]);
    expect(await listening(range[0] ?? 0)).toBe(true);
    await exposures.unexpose(link, 'a');
    expect(await listening(range[0] ?? 0)).toBe(false);
    expect(exposures.openPorts.map((open) => open.id)).toEqual(['c']);
  });

  it('keeps a port through a reconnect within the grace period and closes it when the bridge stays gone', async () => {
    const range = await freePorts(1);
    const exposures = host(range, 300);
    const first = holder();
    await exposures.expose(first, request('a'));
    exposures.holderGone(first);
    const second = holder();
    await exposures.expose(second, request('a'));
    expect(second.replies).toEqual([{ id: 'a', publicPort: range[0] }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await listening(range[0] ?? 0)).toBe(true);
    exposures.holderGone(second);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await listening(range[0] ?? 0)).toBe(false);
  });

  it('without `exposures` in the config, refuses and says how to allow it', async () => {
    const exposures = new ExposureHost({ config: undefined, portalTag: 'portal', dispatcher: noDispatch, log, listeners });
    hosts.push(exposures);
    const link = holder();
    await exposures.expose(link, request('a'));
    expect(link.replies[0]).toMatchObject({ publicPort: 0, errorCode: 'PH_EXPOSE_NOT_ALLOWED', error: expect.stringContaining('"exposures": {"ports": "20000-20099"}') });
  });
});

describe('ExposureHost: whose exposure it is', () => {
  it('keeps ids per user: another user\'s same id is another exposure, and cannot withdraw or take this one', async () => {
    const ports = await freePorts(3);
    const exposures = host(ports);
    const a = holder(alice);
    const b = holder(bob);
    await exposures.expose(a, request('e-1', ports[0]));
    // Bob sends Alice's id: the same local address gets a port of its own, A's port is refused.
    await exposures.expose(b, request('e-1'));
    await exposures.expose(b, { ...request('e-2', ports[0]), localPort: 81 });
    expect(b.replies).toEqual([
      { id: 'e-1', publicPort: ports[1] },
      { id: 'e-2', publicPort: 0, errorCode: 'PH_EXPOSE_PORT_TAKEN', error: `public port ${ports[0]} is already taken by another exposure` },
    ]);
    // Bob withdraws "e-1": his own closes, Alice's stays.
    await exposures.unexpose(b, 'e-1');
    expect(await listening(ports[0] ?? 0)).toBe(true);
    expect(await listening(ports[1] ?? 0)).toBe(false);
    // A link of Bob's going away does not touch Alice's either.
    exposures.holderGone(b);
    expect(exposures.openPorts).toEqual([{ id: 'e-1', name: 'e-1', port: ports[0], local: '127.0.0.1:80' }]);
  });

  it('allows 10 exposures per user by default, refuses the 11th with a reason, and counts each user apart', async () => {
    const ports = await freePorts(12);
    const exposures = host(ports);
    const a = holder(alice);
    for (let index = 1; index <= 11; index += 1) await exposures.expose(a, request(`e-${index}`));
    expect(a.replies.slice(10)).toEqual([{
      id: 'e-11', publicPort: 0, errorCode: 'PH_EXPOSE_LIMIT',
      error: 'this portal allows 10 exposures per user, and you already have 10: remove one first, or ask the portal\'s owner to raise "maxPerUser"',
    }]);
    expect(a.replies.slice(0, 10).every((reply) => reply.publicPort > 0)).toBe(true);
    // A change to an exposure Alice holds is not a new one; Bob has his own allowance.
    await exposures.expose(a, { ...request('e-1'), localPort: 8080 });
    expect(a.replies[11]?.id).toBe('e-1');
    expect(a.replies[11]?.publicPort).toBeGreaterThan(0);
    const b = holder(bob);
    await exposures.expose(b, request('e-1'));
    expect(b.replies[0]?.publicPort).toBeGreaterThan(0);
  });

  it('honours maxPerUser from the config', async () => {
    const ports = await freePorts(3);
    const exposures = host(ports, 10_000, { maxPerUser: 1 });
    const a = holder(alice);
    await exposures.expose(a, request('e-1'));
    await exposures.expose(a, request('e-2'));
    expect(a.replies[1]).toMatchObject({ publicPort: 0, errorCode: 'PH_EXPOSE_LIMIT', error: expect.stringContaining('allows 1 exposure per user, and you already have 1') });
    await exposures.unexpose(a, 'e-1');
    await exposures.expose(a, request('e-2'));
    expect(a.replies[2]?.publicPort).toBeGreaterThan(0);
  });

  it('routes a public port\'s connection only to links that hold the exposure', async () => {
    const ports = await freePorts(1);
    const arrived: Session[] = [];
    const capture: Dispatcher = {
      dispatch: (session, _target, stream) => {
        arrived.push(session);
        stream.destroy();
      },
    };
    const exposures = host(ports, 10_000, { dispatcher: capture });
    const first = channel(aliceLink);
    const second = channel(aliceLink);
    const otherUser = channel(bobLink);
    for (const link of [first, second, otherUser]) {
      exposures.linkAdded(link);
      link.receive(encodeBridgeExposureMessage({ expose: [request('e-1')], unexpose: [] }));
    }
    await waitFor(() => [first, second, otherUser].every((link) => link.replies.length === 1));
    expect(await listening(ports[0] ?? 0)).toBe(true);
    await waitFor(() => arrived.length === 1);
    const route = exposures.routeOf(arrived[0]!);
    expect(route?.description).toBe('exposure "e-1" (e-1) of user alice');
    expect([first, second, otherUser, channel(aliceLink)].map((candidate) => route?.accepts(candidate))).toEqual([true, true, false, false]);
    // Sessions that did not come through a public port are none of the host's business.
    expect(exposures.routeOf({ id: 1, inboundTag: 'external', level: 0, startedAt: 0 })).toBeUndefined();
    first.close();
    expect(route?.accepts(first)).toBe(false);
    second.receive(encodeBridgeExposureMessage({ expose: [], unexpose: ['e-1'] }));
    await waitFor(() => route?.accepts(second) === false);
  });

  it('lets go of a link that closed while its request waited, so the port closes after the grace period', async () => {
    const ports = await freePorts(1);
    const exposures = host(ports, 200);
    const link = holder(alice);
    const pending = exposures.expose(link, request('e-1'));
    link.gone = true;
    exposures.holderGone(link);
    await pending;
    expect(link.replies).toEqual([]);
    expect(await listening(ports[0] ?? 0)).toBe(true);
    await waitFor(() => exposures.openPorts.length === 0);
    expect(await listening(ports[0] ?? 0)).toBe(false);
  });

  it('names a link\'s owner by the user its inbound authenticated, else by the inbound', () => {
    const session = (fields: Partial<Session>): Session => ({ id: 1, inboundTag: 'interconn', level: 0, startedAt: 0, ...fields });
    const isOwnBridge = (tag: string) => tag === 'local-bridge';
    expect([
      exposureOwnerOf(session({ userKey: '0123456789abcdef', user: 'alice@example.com' }), isOwnBridge),
      exposureOwnerOf(session({ userKey: '0123456789abcdef' }), isOwnBridge),
      exposureOwnerOf(session({ inboundTag: 'local-bridge' }), isOwnBridge),
      exposureOwnerOf(session({ inboundTag: 'socks:in' }), isOwnBridge),
    ]).toEqual([
      { key: 'user:0123456789abcdef', label: 'user alice@example.com', tagName: '0123456789abcdef' },
      { key: 'user:0123456789abcdef', label: 'user 01234567', tagName: '0123456789abcdef' },
      // This instance's own bridge: its exposures' listeners keep the tags its own outbounds have.
      { key: 'inbound:local-bridge', label: 'inbound "local-bridge"' },
      { key: 'inbound:socks:in', label: 'inbound "socks:in"', tagName: expect.stringMatching(/^[0-9a-f]{16}$/) },
    ]);
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
