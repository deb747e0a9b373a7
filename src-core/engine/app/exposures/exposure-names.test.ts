/**
 * Names at the portal's edge: which exposure holds a name, refusals that never hand one
 * exposure's visitors to another, and routes that open streams as the exposure's own port does.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import { forComponent } from '../../features/log.js';
import { DokodemoInbound } from '../../proxy/dokodemo/inbound.js';
import { DefaultLogger } from '../log/logger.js';
import { freePorts } from '../../../../test/support/ports.js';
import { ExposureHost, type ExposureOwner } from './exposure-host.js';
import { ExposureNames } from './exposure-names.js';
import type { ExposeRequest, ExposureReply } from './exposure-wire.js';
import type { PublicListenerFactory } from './public-listener.js';

const log = forComponent(new DefaultLogger({ level: 'none' }), 'test');
const listeners: PublicListenerFactory = {
  create: (tag, settings, dispatcher) => new DokodemoInbound(tag, { ...settings, level: 0, acceptsTcp: true }, dispatcher, log),
};
const hosts: ExposureHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

const alice: ExposureOwner = { key: 'user:a11ce', label: 'user alice', tagName: 'a11ce' };
const bob: ExposureOwner = { key: 'user:b0b', label: 'user bob', tagName: 'b0b' };

function holder(owner: ExposureOwner) {
  const replies: ExposureReply[] = [];
  return { owner, gone: false, replies, reply: (reply: ExposureReply) => { replies.push(reply); } };
}

const request = (id: string, fields: Partial<ExposeRequest> = {}): ExposeRequest => ({ id, localHost: '127.0.0.1', localPort: 3000, publicPort: 0, name: id, ...fields });

function setup(ports: number[], namesConfig: ConstructorParameters<typeof ExposureNames>[0] = { domain: 'tunnel.example.com', httpPort: 80, httpsPort: 443, certificates: [], customDomains: true }) {
  const dispatched: Array<{ session: Session; target: Destination; connection: CountedStream }> = [];
  const dispatcher: Dispatcher = { dispatch: (session, target, connection) => { dispatched.push({ session, target, connection }); } };
  const names = new ExposureNames(namesConfig, { https: true, port: 443 });
  const host = new ExposureHost({
    config: { ports: ports.map((port) => ({ from: port, to: port })), listen: '127.0.0.1' },
    portalTag: 'portal', dispatcher, log, listeners, names,
  });
  hosts.push(host);
  return { host, names, dispatched };
}

describe('ExposureHost names', () => {
  it('gives a label its name and URL, and routes the name to that exposure only', async () => {
    const { host, names, dispatched } = setup(await freePorts(2));
    const a = holder(alice);
    await host.expose(a, request('web', { label: 'App' }));
    expect(a.replies[0]).toMatchObject({ id: 'web', urls: ['https://app.tunnel.example.com'] });
    expect(names.resolve('app.tunnel.example.com')?.ownerKey).toBe(alice.key);
    expect(names.resolve('other.tunnel.example.com')).toBeUndefined();

    // A stream opened by the edge is dispatched as if it had arrived on the exposure's port.
    const stream = names.resolve('app.tunnel.example.com')?.open({ address: '198.51.100.7', port: 41000, protocol: 'https' });
    expect(stream).toBeDefined();
    expect(dispatched).toHaveLength(1);
    const [first] = dispatched;
    expect(first?.session).toMatchObject({ inboundTag: 'exposure@a11ce:web', outboundTag: 'portal', source: { address: '198.51.100.7', port: 41000 } });
    expect(first?.target).toMatchObject({ network: 'tcp', port: 3000 });
    expect(host.routeOf(first!.session)?.description).toContain('exposure "web"');
    stream?.destroy();
  });

  it('refuses a name another user holds, without naming it, and the holder keeps it', async () => {
    const { host, names } = setup(await freePorts(3));
    const a = holder(alice);
    const b = holder(bob);
    await host.expose(a, request('web', { label: 'app' }));
    await host.expose(b, request('web', { label: 'app' }));
    expect(b.replies[0]).toMatchObject({ publicPort: 0, errorCode: 'PH_EXPOSE_NAME', error: 'name "app.tunnel.example.com" is already taken by another exposure' });
    expect(names.resolve('app.tunnel.example.com')?.ownerKey).toBe(alice.key);
    // The owner's other exposure is told which one holds it.
    await host.expose(a, request('api', { label: 'app' }));
    expect(a.replies[1]?.error).toBe('name "app.tunnel.example.com" is already taken by your exposure "web"');
  });

  it('frees a name when its exposure goes, and moves it when the exposure asks for another', async () => {
    const { host, names } = setup(await freePorts(2));
    const a = holder(alice);
    await host.expose(a, request('web', { label: 'app' }));
    await host.expose(a, request('web', { label: 'shop' }));
    expect(names.resolve('app.tunnel.example.com')).toBeUndefined();
    expect(names.resolve('shop.tunnel.example.com')?.ownerKey).toBe(alice.key);
    await host.unexpose(a, 'web');
    expect(names.resolve('shop.tunnel.example.com')).toBeUndefined();
  });

  it.each<[string, Partial<ExposeRequest>, string]>([
    ['a bad label', { label: 'no_underscores' }, 'name "no_underscores" cannot be used: use only a-z, 0-9 and "-"'],
    ['a custom domain under the portal\'s', { customDomain: 'x.tunnel.example.com' }, 'is under the portal\'s own domain'],
    ['a custom domain that is an address', { customDomain: '192.0.2.1' }, 'it is an IP address'],
  ])('refuses %s', async (_what, fields, error) => {
    const { host } = setup(await freePorts(1));
    const a = holder(alice);
    await host.expose(a, request('web', fields));
    expect(a.replies[0]?.errorCode).toBe('PH_EXPOSE_NAME');
    expect(a.replies[0]?.error).toContain(error);
  });

  it('says how to allow names on a portal without them', async () => {
    const [port] = await freePorts(1);
    const host = new ExposureHost({
      config: { ports: [{ from: port!, to: port! }], listen: '127.0.0.1' }, portalTag: 'portal',
      dispatcher: { dispatch: () => {} }, log, listeners,
    });
    hosts.push(host);
    const a = holder(alice);
    await host.expose(a, request('web', { label: 'app' }));
    expect(a.replies[0]?.error).toContain('add "names": {"domain": …}');
    // Without a label the same portal still gives a port.
    await host.expose(a, request('plain'));
    expect(a.replies[1]?.publicPort).toBe(port);
  });

  it('refuses custom domains unless the owner allows them', async () => {
    const { host } = setup(await freePorts(1), { domain: 'tunnel.example.com', httpPort: 80, certificates: [], customDomains: false });
    const a = holder(alice);
    await host.expose(a, request('web', { customDomain: 'shop.example.org' }));
    expect(a.replies[0]?.error).toContain('"customDomains": true');
  });

  it('says so with its own code when the portal gives no names at all', async () => {
    const [port] = await freePorts(1);
    const host = new ExposureHost({
      config: { ports: [{ from: port!, to: port! }], listen: '127.0.0.1' }, portalTag: 'portal', dispatcher: { dispatch: () => {} }, log, listeners,
    });
    hosts.push(host);
    const a = holder(alice);
    await host.expose(a, request('web', { label: 'app' }));
    expect(a.replies[0]?.errorCode).toBe('PH_EXPOSE_NO_NAMES');
  });

  it('holds the allowlist on the public port too, and a password-protected exposure is reached by name only', async () => {
    const { host, dispatched } = setup(await freePorts(3));
    const a = holder(alice);
    await host.expose(a, request('open', { label: 'open' }));
    await host.expose(a, request('office', { label: 'office', allow: ['10.0.0.0/8'] }));
    await host.expose(a, request('private', { label: 'private', basicAuth: { user: 'ann', password: 'pw' } }));
    const [open, office, locked] = a.replies.map((reply) => reply.publicPort);
    const outcome = (port: number) => new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('close', () => resolve('closed'));
      socket.once('error', () => {});
      setTimeout(() => { socket.destroy(); resolve('kept open'); }, 1_000);
    });
    expect(await outcome(office!)).toBe('closed');
    expect(await outcome(locked!)).toBe('closed');
    expect(dispatched).toHaveLength(0);
    // The test dispatcher takes the connection and holds it: it stays open.
    expect(await outcome(open!)).toBe('kept open');
    expect(dispatched).toHaveLength(1);
  });

  it('shows the port in the URL when the edge is not on the standard one', () => {
    expect(new ExposureNames(undefined, { https: false, port: 20080 }).urlOf('app.localhost')).toBe('http://app.localhost:20080');
    expect(new ExposureNames(undefined, { https: true, port: 443 }).urlOf('app.example.com')).toBe('https://app.example.com');
  });
});
