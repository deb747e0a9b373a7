import net from 'node:net';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { destination, type Destination } from '../../common/net.js';
import { newSession, type Session } from '../../common/session.js';
import type { OutboundHandler } from '../../features/outbound.js';
import { createLinkPair, type Link } from '../../transport/link.js';
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

/** An outbound that sends `size` bytes at once and ends, as a service answering a download does. */
class DownloadOutbound implements OutboundHandler {
  constructor(readonly tag: string, private readonly size: number) {}
  process(_session: Session, _target: Destination, link: Link): void {
    link.on('error', () => {});
    link.end(Buffer.alloc(this.size, 0x61));
  }
  async close(): Promise<void> {}
}

function setUp(withOutbound = true, options: { outbound?: OutboundHandler; now?: () => number } = {}) {
  const outbounds = new DefaultOutboundManager();
  const echo = new EchoOutbound('echo');
  if (withOutbound) outbounds.addHandler(options.outbound ?? echo);
  const stats = new DefaultConnectionStats();
  const idleWatch = new IdleWatch(options.now);
  cleanup.push(() => idleWatch.dispose());
  const dispatcher = new DefaultDispatcher({
    router: new DefaultRouter([]),
    outbounds,
    policies: new DefaultPolicyManager(),
    stats,
    idleWatch,
    log: forComponent(new DefaultLogger({ level: 'none' }), 'dispatcher'),
  });
  return { dispatcher, echo, stats, idleWatch };
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

describe('DefaultDispatcher.dispatch', () => {
  it('hands the inbound connection itself to the outbound and counts its bytes until it closes', async () => {
    const { dispatcher, echo, stats } = setUp();
    const [client, accepted] = await socketPair();
    dispatcher.dispatch(session(), target, accepted);
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

  it('lets the UI close the connection: the client is reset, as for any cut', async () => {
    const { dispatcher, stats } = setUp();
    const [client, accepted] = await socketPair();
    const id = session();
    dispatcher.dispatch(id, target, accepted);
    const reset = once(client, 'error');
    const closed = once(accepted, 'close');
    expect(stats.abort(id.id)).toBe(true);
    client.resume();
    expect(await reset).toMatchObject([{ code: 'ECONNRESET' }]);
    expect(accepted.destroyed).toBe(true);
    await closed;
    expect(stats.openCount).toBe(0);
  });

  it('pumps a UDP stream through a packet link, which is what UDP outbounds take', async () => {
    const { dispatcher, echo } = setUp();
    const stream = new PassThrough({ objectMode: true }) as PassThrough & { bytesRead: number; bytesWritten: number };
    Object.assign(stream, { bytesRead: 0, bytesWritten: 0 });
    dispatcher.dispatch(session(), destination('udp', '127.0.0.1', 53), stream);
    expect(echo.links).toHaveLength(1);
    expect(echo.links[0]).not.toBe(stream);
    expect(echo.links[0]!.readableObjectMode).toBe(true);
    stream.destroy();
  });

  it('times the downlink as over only once its bytes have left: a slow client still gets the whole answer', async () => {
    const size = 16 * 1024 * 1024;
    let now = 0;
    const { dispatcher, stats, idleWatch } = setUp(true, { outbound: new DownloadOutbound('download', size), now: () => now });
    const [client, accepted] = await socketPair();
    client.pause();
    dispatcher.dispatch(session(), target, accepted);
    // The answer is written and ended, most of it still queued for a client that does not read:
    // far past uplinkOnly (1 s), nothing has been cut.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(accepted.writableEnded).toBe(true);
    expect(accepted.writableFinished).toBe(false);
    for (let sweep = 0; sweep < 5; sweep += 1) {
      now += 2000;
      idleWatch.sweep();
    }
    expect(accepted.destroyed).toBe(false);
    expect(stats.snapshot()[0]!.bytesDown).toBeLessThan(size);
    let received = 0;
    client.on('data', (chunk: Buffer) => { received += chunk.length; });
    client.resume();
    await once(client, 'end');
    expect(received).toBe(size);
  });

  it('finishes a half-closed connection the policy times out (downlinkOnly) with a plain end, as V2Ray does', async () => {
    let now = 0;
    const silent: OutboundHandler = { tag: 'silent', process: (_session, _target, link) => { link.on('error', () => {}); link.resume(); }, close: async () => {} };
    const { dispatcher, idleWatch } = setUp(true, { outbound: silent, now: () => now });
    const [client, accepted] = await socketPair();
    dispatcher.dispatch(session(), target, accepted);
    client.end();
    await once(accepted, 'end');
    let failure: Error | undefined;
    client.on('error', (error) => { failure = error; });
    const ended = once(client, 'end');
    client.resume();
    for (let sweep = 0; sweep < 3; sweep += 1) {
      now += 1000;
      idleWatch.sweep();
    }
    await ended;
    expect(failure).toBeUndefined();
  });

  it('throws PH_ROUTING_NO_OUTBOUND and leaves the connection to the caller when nothing can take it', async () => {
    const { dispatcher, stats } = setUp(false);
    const [, accepted] = await socketPair();
    expect(() => dispatcher.dispatch(session(), target, accepted)).toThrow(expect.objectContaining({ code: 'PH_ROUTING_NO_OUTBOUND' }));
    expect(accepted.destroyed).toBe(false);
    expect(stats.openCount).toBe(0);
  });
});

describe('DefaultDispatcher.dispatch, a link end', () => {
  it('takes one end of a link pair as the connection (a bridge\'s link), counted per direction', async () => {
    const { dispatcher, echo, stats } = setUp();
    const { inboundEnd: link, outboundEnd } = createLinkPair();
    dispatcher.dispatch(session(), target, outboundEnd);
    expect(echo.links).toEqual([outboundEnd]);
    link.end(Buffer.from('ping'));
    const chunks: Buffer[] = [];
    link.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(link, 'end');
    expect(Buffer.concat(chunks).toString()).toBe('ping');
    expect(stats.snapshot()[0]).toMatchObject({ bytesUp: 4, bytesDown: 4 });
  });
});
