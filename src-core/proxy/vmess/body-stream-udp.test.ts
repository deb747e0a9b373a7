/**
 * VMess UDP (command 0x02) carries one datagram per chunk, and the decoder keeps datagrams decoded
 * in one push apart. VmessBodyStream in packet mode feeds a packet link (objectMode, one chunk = one
 * datagram), so it pushes one chunk per datagram, encodes one chunk per write, and drops a datagram
 * too large for a chunk instead of throwing out of the event loop.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createBodyDecoder, createBodyEncoder, type BodyCodecOptions } from './body.js';
import { VmessBodyStream } from './body-stream.js';
import { COMMAND, OPTION, SECURITY } from './consts.js';
import { createLinkPair } from '../../transport/link.js';
import { pumpBoth } from '../../transport/pump.js';

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

const codec: BodyCodecOptions = {
  security: SECURITY.aes128Gcm,
  options: OPTION.chunkStream | OPTION.chunkMasking | OPTION.globalPadding,
  command: COMMAND.udp,
  key: randomBytes(16),
  iv: randomBytes(16),
};

const dropped: Error[] = [];

describe('VmessBodyStream over UDP', () => {
  it('reads two datagrams that arrive in one socket read as two chunks', async () => {
    const [client, server] = await socketPair();
    const encoder = createBodyEncoder(codec);
    const decoder = createBodyDecoder(codec);
    const body = new VmessBodyStream(server, {
      decode: (chunk) => decoder.push(chunk),
      decodedEnd: () => decoder.ended,
      encode: (plain) => plain,
      encodeEnd: () => Buffer.alloc(0),
    }, { highWaterMark: 64 * 1024, packet: true, onDroppedDatagram: (error) => dropped.push(error) });
    const received: Buffer[] = [];
    body.on('data', (chunk: Buffer) => received.push(chunk));
    client.write(Buffer.concat([encoder.encode(Buffer.from('first')), encoder.encode(Buffer.from('second'))]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((chunk) => chunk.toString())).toEqual(['first', 'second']);
    client.destroy();
    body.destroy();
  });

  it('sends each datagram written in one turn (a corked batch, as pipeCoalesced writes) as its own chunk', async () => {
    const [client, server] = await socketPair();
    const encoder = createBodyEncoder(codec);
    const decoder = createBodyDecoder(codec);
    const body = new VmessBodyStream(client, {
      decode: () => [],
      decodedEnd: () => false,
      encode: (plain) => encoder.encode(plain),
      encodeEnd: () => encoder.end(),
    }, { highWaterMark: 64 * 1024, packet: true, onDroppedDatagram: (error) => dropped.push(error) });
    const received: Buffer[] = [];
    server.on('data', (wire: Buffer) => received.push(...decoder.push(wire).map((d) => Buffer.from(d))));
    body.cork();
    body.write(Buffer.from('first'));
    body.write(Buffer.from('second'));
    body.uncork();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((chunk) => chunk.toString())).toEqual(['first', 'second']);
    server.destroy();
    body.destroy();
  });

  it('keeps datagrams apart end to end: a packet link pumped into the body (VMess outbound, UDP)', async () => {
    const [client, server] = await socketPair();
    const encoder = createBodyEncoder(codec);
    const decoder = createBodyDecoder(codec);
    const body = new VmessBodyStream(client, {
      decode: () => [],
      decodedEnd: () => false,
      encode: (plain) => encoder.encode(plain),
      encodeEnd: () => encoder.end(),
    }, { highWaterMark: 64 * 1024, packet: true, onDroppedDatagram: (error) => dropped.push(error) });
    const { inboundEnd, outboundEnd } = createLinkPair({ packet: true });
    void pumpBoth(body, outboundEnd);
    const received: Buffer[] = [];
    server.on('data', (wire: Buffer) => received.push(...decoder.push(wire).map((d) => Buffer.from(d))));
    // Two datagrams from the UDP source in one event-loop turn.
    inboundEnd.write(Buffer.from('first'));
    inboundEnd.write(Buffer.from('second'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((chunk) => chunk.toString())).toEqual(['first', 'second']);
    server.destroy();
    inboundEnd.destroy();
  });

  // Worse than a merge: the merged 2800 bytes exceed a UDP chunk (1966 bytes), encoder.encode throws
  // PH_VMESS_BAD_CHUNK inside _writev, which nothing catches: it escapes from pipeCoalesced's
  // setImmediate uncork as an uncaught exception (the CLI installs no handler: the process exits).
  it('does not throw out of the event loop when two 1400-byte datagrams are written in one turn', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    const [client, server] = await socketPair();
    const encoder = createBodyEncoder(codec);
    const body = new VmessBodyStream(client, {
      decode: () => [],
      decodedEnd: () => false,
      encode: (plain) => encoder.encode(plain),
      encodeEnd: () => encoder.end(),
    }, { highWaterMark: 64 * 1024, packet: true, onDroppedDatagram: (error) => dropped.push(error) });
    const { inboundEnd, outboundEnd } = createLinkPair({ packet: true });
    const pump = pumpBoth(body, outboundEnd);
    inboundEnd.write(Buffer.alloc(1400, 1));
    inboundEnd.write(Buffer.alloc(1400, 2));
    const result = await Promise.race([pump, new Promise((resolve) => setTimeout(() => resolve('still running'), 200))]);
    process.off('uncaughtException', onUncaught);
    expect(uncaught).toEqual([]);
    expect(result).toBe('still running');
    server.destroy();
    inboundEnd.destroy();
  });

  // The same escape for one datagram that exceeds a chunk (e.g. a 3000-byte DNS answer with EDNS):
  // encode throws inside _write, out of pipeCoalesced's 'data' handler.
  it('does not throw out of the event loop for one datagram larger than a UDP chunk', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    const [client, server] = await socketPair();
    const encoder = createBodyEncoder(codec);
    const body = new VmessBodyStream(client, {
      decode: () => [],
      decodedEnd: () => false,
      encode: (plain) => encoder.encode(plain),
      encodeEnd: () => encoder.end(),
    }, { highWaterMark: 64 * 1024, packet: true, onDroppedDatagram: (error) => dropped.push(error) });
    const { inboundEnd, outboundEnd } = createLinkPair({ packet: true });
    void pumpBoth(body, outboundEnd);
    dropped.length = 0;
    inboundEnd.write(Buffer.alloc(3000, 1));
    inboundEnd.write(Buffer.from('small'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.off('uncaughtException', onUncaught);
    expect(uncaught).toEqual([]);
    // Dropped and reported; the datagram after it still goes, and the session lives on.
    expect(dropped.map((error) => (error as { code?: string }).code)).toEqual(['PH_VMESS_BAD_CHUNK']);
    expect(body.destroyed).toBe(false);
    server.destroy();
    inboundEnd.destroy();
  });
});
