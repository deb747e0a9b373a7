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

/** A body stream in packet mode over `socket`, with a real encoder and decoder for `codec`. */
function packetBody(socket: net.Socket) {
  const encoder = createBodyEncoder(codec);
  const decoder = createBodyDecoder(codec);
  const body = new VmessBodyStream(socket, {
    decode: (chunk) => decoder.push(chunk),
    decodedEnd: () => decoder.ended,
    encode: (plain) => encoder.encode(plain),
    encodeEnd: () => encoder.end(),
  }, { highWaterMark: 64 * 1024, packet: true, onDroppedDatagram: (error) => dropped.push(error) });
  return { body, encoder, decoder };
}

/** Datagrams in the wire bytes a socket receives from a packet body, decoded one by one. */
function datagramsArriving(socket: net.Socket): Buffer[] {
  const decoder = createBodyDecoder(codec);
  const received: Buffer[] = [];
  socket.on('data', (wire: Buffer) => received.push(...decoder.push(wire).map((datagram) => Buffer.from(datagram))));
  return received;
}

/** Collects exceptions that escape to the event loop until `stop()`, which returns them. */
function captureUncaught(): { stop(): unknown[] } {
  const caught: unknown[] = [];
  const onUncaught = (error: unknown) => caught.push(error);
  process.prependListener('uncaughtException', onUncaught);
  return {
    stop: () => {
      process.off('uncaughtException', onUncaught);
      return caught;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('VmessBodyStream over UDP', () => {
  it('reads two datagrams that arrive in one socket read as two chunks', async () => {
    const [client, server] = await socketPair();
    const { body } = packetBody(server);
    const sender = createBodyEncoder(codec);
    const received: Buffer[] = [];
    body.on('data', (chunk: Buffer) => received.push(chunk));
    client.write(Buffer.concat([sender.encode(Buffer.from('first')), sender.encode(Buffer.from('second'))]));
    await settle();
    expect(received.map((chunk) => chunk.toString())).toEqual(['first', 'second']);
    client.destroy();
    body.destroy();
  });

  it('sends each datagram written in one turn (a corked batch, as pipeCoalesced writes) as its own chunk', async () => {
    const [client, server] = await socketPair();
    const { body } = packetBody(client);
    const received = datagramsArriving(server);
    body.cork();
    body.write(Buffer.from('first'));
    body.write(Buffer.from('second'));
    body.uncork();
    await settle();
    expect(received.map((chunk) => chunk.toString())).toEqual(['first', 'second']);
    server.destroy();
    body.destroy();
  });

  it('keeps datagrams apart end to end: a packet link pumped into the body (VMess outbound, UDP)', async () => {
    const [client, server] = await socketPair();
    const { body } = packetBody(client);
    const { inboundEnd, outboundEnd } = createLinkPair({ packet: true });
    void pumpBoth(body, outboundEnd);
    const received = datagramsArriving(server);
    // Two datagrams from the UDP source in one event-loop turn.
    inboundEnd.write(Buffer.from('first'));
    inboundEnd.write(Buffer.from('second'));
    await settle();
    expect(received.map((chunk) => chunk.toString())).toEqual(['first', 'second']);
    server.destroy();
    inboundEnd.destroy();
  });

  it('does not throw out of the event loop when two 1400-byte datagrams are written in one turn', async () => {
    const uncaught = captureUncaught();
    const [client, server] = await socketPair();
    const { body } = packetBody(client);
    const { inboundEnd, outboundEnd } = createLinkPair({ packet: true });
    const pump = pumpBoth(body, outboundEnd);
    const received = datagramsArriving(server);
    inboundEnd.write(Buffer.alloc(1400, 1));
    inboundEnd.write(Buffer.alloc(1400, 2));
    const result = await Promise.race([pump, settle().then(() => 'still running')]);
    expect(uncaught.stop()).toEqual([]);
    expect(result).toBe('still running');
    expect(received.map((datagram) => datagram.length)).toEqual([1400, 1400]);
    server.destroy();
    inboundEnd.destroy();
  });

  it('drops a datagram larger than a UDP chunk (a big DNS answer) with a report, and carries on', async () => {
    const uncaught = captureUncaught();
    const [client, server] = await socketPair();
    const { body } = packetBody(client);
    const { inboundEnd, outboundEnd } = createLinkPair({ packet: true });
    void pumpBoth(body, outboundEnd);
    const received = datagramsArriving(server);
    dropped.length = 0;
    inboundEnd.write(Buffer.alloc(3000, 1));
    inboundEnd.write(Buffer.from('small'));
    await settle();
    expect(uncaught.stop()).toEqual([]);
    expect(dropped.map((error) => (error as { code?: string }).code)).toEqual(['PH_VMESS_BAD_CHUNK']);
    expect(received.map((datagram) => datagram.toString())).toEqual(['small']);
    expect(body.destroyed).toBe(false);
    server.destroy();
    inboundEnd.destroy();
  });
});
