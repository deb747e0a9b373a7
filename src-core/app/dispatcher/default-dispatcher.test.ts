import net from 'node:net';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { destination, type Destination } from '../../common/net.js';
import { newSession, type Session } from '../../common/session.js';
import type { OutboundHandler } from '../../features/outbound.js';
import type { Link } from '../../transport/link.js';
import { forComponent } from '../../features/log.js';
import { DefaultLogger } from '../log/logger.js';
import { DefaultOutboundManager } from '../outbound-manager.js';
import { DefaultPolicyManager } from '../policy/default-policy.js';
import { DefaultRouter } from '../router/default-router.js';
import { DefaultConnectionStats } from '../stats/connection-stats.js';
import { DefaultDispatcher } from './default-dispatcher.js';
import { IdleWatch } from './idle-watch.js';

/** An outbound that answers every chunk with the same bytes, and ends when the client ends. */
class EchoOutbound implements OutboundHandler {
  readonly links: Link[] = [];
  constructor(readonly tag: string) {}
  process(_session: Session, _target: Destination, link: Link): void {
    this.links.push(link);
    link.on('data', (chunk: Buffer) => link.write(chunk));
    link.on('end', () => link.end());
  }
  async close(): Promise<void> {}
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});

function setUp(withOutbound = true) {
  const outbounds = new DefaultOutboundManager();
  const echo = new EchoOutbound('echo');
  if (withOutbound) outbounds.addHandler(echo);
  const stats = new DefaultConnectionStats();
  const idleWatch = new IdleWatch();
  cleanup.push(() => idleWatch.dispose());
  const dispatcher = new DefaultDispatcher({
    router: new DefaultRouter([]),
    outbounds,
    policies: new DefaultPolicyManager(),
    stats,
    idleWatch,
    log: forComponent(new DefaultLogger({ level: 'none' }), 'dispatcher'),
  });
  return { dispatcher, echo, stats };
}

/** A connected pair of real loopback sockets: [client, the server's accepted socket]. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const [accepted] = (await once(server, 'connection')) as [net.Socket];
  server.close();
  cleanup.push(() => { client.destroy(); accepted.destroy(); });
  return [client, accepted];
}

const target = destination('tcp', '127.0.0.1', 80);
const session = () => newSession({ inboundTag: 'in', level: 0, source: { address: '127.0.0.1', port: 1234 } });

describe('DefaultDispatcher.dispatchLink', () => {
  it('hands the inbound connection itself to the outbound and counts its bytes until it closes', async () => {
    const { dispatcher, echo, stats } = setUp();
    const [client, accepted] = await socketPair();
    dispatcher.dispatchLink(session(), target, accepted);
    expect(echo.links).toEqual([accepted]);

    client.end(Buffer.from('hello, portal'));
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(client, 'end');
    expect(Buffer.concat(chunks).toString()).toBe('hello, portal');

    const [open] = stats.snapshot();
    expect(open).toMatchObject({ inboundTag: 'in', outboundTag: 'echo', source: '127.0.0.1:1234', bytesUp: 13, bytesDown: 13 });
    if (!accepted.closed) await once(accepted, 'close');
    expect(stats.openCount).toBe(0);
    expect(stats.snapshot()[0]).toMatchObject({ bytesUp: 13, bytesDown: 13 });
  });

  it('lets the UI close the connection', async () => {
    const { dispatcher, stats } = setUp();
    const [client, accepted] = await socketPair();
    const id = session();
    dispatcher.dispatchLink(id, target, accepted);
    expect(stats.abort(id.id)).toBe(true);
    client.resume();
    await once(client, 'end');
    expect(accepted.destroyed).toBe(true);
    expect(stats.openCount).toBe(0);
  });

  it('pumps a UDP stream through a packet link, which is what UDP outbounds take', async () => {
    const { dispatcher, echo } = setUp();
    const stream = new PassThrough({ objectMode: true }) as PassThrough & { bytesRead: number; bytesWritten: number };
    Object.assign(stream, { bytesRead: 0, bytesWritten: 0 });
    dispatcher.dispatchLink(session(), destination('udp', '127.0.0.1', 53), stream);
    expect(echo.links).toHaveLength(1);
    expect(echo.links[0]).not.toBe(stream);
    expect(echo.links[0]!.readableObjectMode).toBe(true);
    stream.destroy();
  });

  it('throws PH_ROUTING_NO_OUTBOUND and leaves the connection to the caller when nothing can take it', async () => {
    const { dispatcher, stats } = setUp(false);
    const [, accepted] = await socketPair();
    expect(() => dispatcher.dispatchLink(session(), target, accepted)).toThrow(expect.objectContaining({ code: 'PH_ROUTING_NO_OUTBOUND' }));
    expect(accepted.destroyed).toBe(false);
    expect(stats.openCount).toBe(0);
  });
});

describe('DefaultDispatcher.dispatch', () => {
  it('links the inbound to the outbound through a link pair, counted per direction', async () => {
    const { dispatcher, echo, stats } = setUp();
    const link = dispatcher.dispatch(session(), target);
    expect(echo.links).toHaveLength(1);
    expect(echo.links[0]).not.toBe(link);
    link.end(Buffer.from('ping'));
    const chunks: Buffer[] = [];
    link.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(link, 'end');
    expect(Buffer.concat(chunks).toString()).toBe('ping');
    expect(stats.snapshot()[0]).toMatchObject({ bytesUp: 4, bytesDown: 4 });
  });
});
