import { once } from 'node:events';
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLinkPair } from './link.js';
import { COALESCE_FLUSH_BYTES, pipeCoalesced, pumpBoth } from './pump.js';

/** A destination that records each batch it is handed (one `writev` = one syscall on a socket). */
function recorder() {
  const batches: number[][] = [];
  const destination = new Writable({
    writev(chunks, callback) {
      batches.push(chunks.map(({ chunk }) => (chunk as Buffer).length));
      callback();
    },
    write(chunk: Buffer, _encoding, callback) {
      batches.push([chunk.length]);
      callback();
    },
  });
  return { batches, destination };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('pipeCoalesced', () => {
  it('hands small writes of one event-loop turn over as one batch', async () => {
    const source = new PassThrough();
    const { batches, destination } = recorder();
    pipeCoalesced(source, destination);
    for (let index = 0; index < 5; index += 1) source.write(Buffer.alloc(100));
    await turn();
    await turn();
    expect(batches).toEqual([[100, 100, 100, 100, 100]]);
  });

  it('flushes at once when the batch is already large (bulk), without waiting for the turn to end', async () => {
    const source = new PassThrough();
    const { batches, destination } = recorder();
    pipeCoalesced(source, destination);
    let flushedBeforeTurnEnd = false;
    source.on('data', () => { if (batches.length > 0) flushedBeforeTurnEnd = true; });
    source.write(Buffer.alloc(COALESCE_FLUSH_BYTES));
    source.write(Buffer.alloc(10));
    await turn();
    await turn();
    expect(batches.flat().reduce((sum, length) => sum + length, 0)).toBe(COALESCE_FLUSH_BYTES + 10);
    expect(batches[0]).toEqual([COALESCE_FLUSH_BYTES]);
    expect(flushedBeforeTurnEnd).toBe(true);
  });
});

/** A connected pair of loopback sockets with half-close on: what one writes, the other reads. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const [[serverSide]] = await Promise.all([accepted, once(client, 'connect')]);
  server.close();
  return [client, serverSide];
}

function readAll(stream: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return once(stream, 'end').then(() => Buffer.concat(chunks));
}

/** A link whose ends record whether bytes were ever written through them. */
function watchedLink() {
  const pair = createLinkPair();
  const throughEnds: number[] = [];
  for (const end of [pair.inboundEnd, pair.outboundEnd]) {
    const write = end._write.bind(end);
    end._write = (chunk, encoding, callback) => {
      throughEnds.push(chunk.length);
      write(chunk, encoding, callback);
    };
    end._writev = undefined as never;
  }
  const closed = new Promise<void>((resolve) => pair.state.onDidClose(resolve));
  return { ...pair, throughEnds, closed };
}

describe('pumpBoth at a link', () => {
  it('joins the streams pumped into both ends directly, counting for the link and mirroring how it ends', async () => {
    const [client, inboundSide] = await socketPair();
    const [outboundSide, service] = await socketPair();
    const link = watchedLink();
    const pumps = [pumpBoth(inboundSide, link.inboundEnd), pumpBoth(link.outboundEnd, outboundSide)];
    const request = Buffer.alloc(100_000, 1);
    client.end(request);
    expect((await readAll(service)).equals(request)).toBe(true);
    // The uplink ended, as the dispatcher's idle timeouts see it.
    expect(link.state.uplinkEnded).toBe(true);
    expect(link.state.downlinkEnded).toBe(false);
    expect(link.state.closed).toBe(false);
    service.end(Buffer.from('response'));
    expect((await readAll(client)).toString()).toBe('response');
    await link.closed;
    expect(link.state.downlinkEnded).toBe(true);
    expect(await Promise.all(pumps)).toEqual([{}, {}]);
    expect(link.counters).toEqual({ up: 100_000, down: 8 });
    expect(link.throughEnds).toEqual([]);
  });

  it('works in either order and when the first stream had already ended before its peer came', async () => {
    const [client, inboundSide] = await socketPair();
    const [outboundSide, service] = await socketPair();
    const link = watchedLink();
    client.end();
    await new Promise((resolve) => setTimeout(resolve, 20));
    inboundSide.read(0); // as Node does on its own: the empty socket now reports its end
    await turn();
    void pumpBoth(link.outboundEnd, outboundSide);
    void pumpBoth(inboundSide, link.inboundEnd);
    expect((await readAll(service)).length).toBe(0);
    service.end();
    await readAll(client);
    await link.closed;
  });

  it.each(['the link is aborted (a user closing the connection, an idle timeout)', 'an end is destroyed'])('aborts both streams when %s', async (how) => {
    const [client, inboundSide] = await socketPair();
    const [outboundSide, service] = await socketPair();
    const link = watchedLink();
    const pumps = [pumpBoth(inboundSide, link.inboundEnd), pumpBoth(link.outboundEnd, outboundSide)];
    client.write('some');
    await once(service, 'data');
    if (how.startsWith('the link')) link.state.abort(new Error('closed by the user'));
    else link.outboundEnd.destroy(new Error('destroyed'));
    const [first, second] = await Promise.all(pumps);
    expect(first!.error).toBeDefined();
    expect(second!.error).toBeDefined();
    expect(inboundSide.destroyed && outboundSide.destroyed).toBe(true);
    await link.closed;
    client.destroy();
    service.destroy();
  });

  it('takes the link down when the waiting stream is aborted before the peer end got its stream', async () => {
    const [client, inboundSide] = await socketPair();
    const link = watchedLink();
    const pump = pumpBoth(inboundSide, link.inboundEnd);
    client.on('error', () => {});
    client.resetAndDestroy();
    expect((await pump).error).toBeDefined();
    await link.closed;
    expect(link.outboundEnd.destroyed).toBe(true);
  });

  it('pumps through the link after all when the peer end is read and written as a stream', async () => {
    const [client, inboundSide] = await socketPair();
    const link = watchedLink();
    void pumpBoth(inboundSide, link.inboundEnd);
    const received: Buffer[] = [];
    link.outboundEnd.on('data', (chunk: Buffer) => received.push(chunk));
    client.write('to the mux');
    await once(link.outboundEnd, 'data');
    link.outboundEnd.end(Buffer.from('from the mux'));
    client.end();
    expect((await readAll(client)).toString()).toBe('from the mux');
    expect(Buffer.concat(received).toString()).toBe('to the mux');
    expect(link.throughEnds.length).toBeGreaterThan(0);
    expect(link.counters).toEqual({ up: 10, down: 12 });
  });
});

describe('pumpBoth with a stream that is already closed', () => {
  it('takes the other stream down and resolves instead of waiting for a close that never comes', async () => {
    const [client, inboundSide] = await socketPair();
    const { inboundEnd, outboundEnd } = createLinkPair();
    inboundEnd.destroy(new Error('gone'));
    await new Promise((resolve) => outboundEnd.once('close', resolve));
    const result = await pumpBoth(inboundSide, outboundEnd);
    expect(result.error).toBeDefined();
    expect(inboundSide.destroyed).toBe(true);
    client.destroy();
  });
});

describe('pumpBoth at an untouched link end with a stream that is already closed', () => {
  it('does not hold it forever: the pump resolves and the link is reported closed', async () => {
    const link = createLinkPair();
    const stream = new PassThrough();
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    const closed = new Promise<'closed'>((resolve) => link.state.onDidClose(() => resolve('closed')));
    const within = <T>(promise: Promise<T>, ms: number) =>
      Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms))]);
    expect(await within(pumpBoth(stream, link.inboundEnd).then(() => 'resolved'), 500)).toBe('resolved');
    expect(await within(closed, 500)).toBe('closed');
  });
});
