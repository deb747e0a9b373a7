import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLinkPair } from '../../transport/link.js';
import { destination } from '../net.js';
import { MuxClient } from './client.js';
import type { MuxConnectionOptions } from './connection.js';
import { FrameStatus } from './frame.js';
import { FrameReader } from './reader.js';
import { MuxServer } from './server.js';
import type { MuxStream } from './stream.js';

const quietLog = { debug: () => {}, warning: () => {} };

/** A client and a server over an in-memory link, each with its own flow window (0: a 4.34-like end that never announces). */
function pair(clientWindow: number, serverWindow: number, onStream: (stream: MuxStream) => void) {
  const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: 64 * 1024 });
  const base: MuxConnectionOptions = { streamBufferBytes: 64 * 1024, log: quietLog };
  const serverToClient: FrameStatus[] = [];
  const reader = new FrameReader();
  inboundEnd.on('data', (chunk: Buffer) => { serverToClient.push(...reader.push(chunk).frames.map((frame) => frame.meta.status)); });
  const server = new MuxServer(outboundEnd, { ...base, flowWindow: serverWindow }, onStream);
  const client = new MuxClient(inboundEnd, { ...base, flowWindow: clientWindow });
  return { client, server, serverToClient };
}

function echo(stream: MuxStream): void {
  stream.on('data', (chunk: Buffer) => stream.write(chunk));
  stream.on('end', () => stream.end());
}

function readAll(stream: MuxStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('Mux flow-control negotiation', () => {
  it('two Porthole ends turn it on, each sending within the window the other announced', async () => {
    const { client, server } = pair(256 * 1024, 512 * 1024, echo);
    const stream = client.openStream(destination('tcp', '127.0.0.1', 80));
    const echoed = readAll(stream);
    stream.end(Buffer.from('hello'));
    expect((await echoed).toString()).toBe('hello');
    expect(client.flow).toEqual({ sendWindow: 512 * 1024, receiveWindow: 256 * 1024 });
    expect(server.flow).toEqual({ sendWindow: 256 * 1024, receiveWindow: 512 * 1024 });
  });

  it('a server that has written nothing answers the announcement with its own', async () => {
    const { client, server } = pair(256 * 1024, 512 * 1024, (stream) => stream.resume());
    client.openStream(destination('tcp', '127.0.0.1', 80)).write('request');
    for (let i = 0; i < 3 && !client.flow; i += 1) await turn();
    expect(server.flow).toBeDefined();
    expect(client.flow).toEqual({ sendWindow: 512 * 1024, receiveWindow: 256 * 1024 });
  });

  it('stays off with a peer that never announces (a 4.34 peer discards ours), and nothing of it reaches that peer but the announcement', async () => {
    const { client, server, serverToClient } = pair(256 * 1024, 0, echo);
    const stream = client.openStream(destination('tcp', '127.0.0.1', 80));
    const echoed = readAll(stream);
    const payload = randomBytes(300_000);
    stream.end(payload);
    expect((await echoed).equals(payload)).toBe(true);
    expect(client.flow).toBeUndefined();
    expect(server.flow).toBeUndefined();
    expect(serverToClient).not.toContain(FrameStatus.KeepAlive);
  });

  it('counts what a sender wrote before the announcement arrived, so a stuck reader still stops it', async () => {
    // Larger than the streams' 64 KiB buffers, as windows are (see FlowControl.noteConsumed).
    const window = 256 * 1024;
    const accepted: MuxStream[] = [];
    const { client } = pair(window, window, (stream) => {
      accepted.push(stream);
      stream.pause();
    });
    const stream = client.openStream(destination('tcp', '127.0.0.1', 80));
    const early = randomBytes(1024 * 1024);
    const late = randomBytes(512 * 1024);
    // Written in the connection's first turn: the server's announcement cannot have arrived yet.
    stream.write(early);
    expect(client.flow).toBeUndefined();
    for (let i = 0; i < 10 && !client.flow; i += 1) await turn();
    expect(client.flow).toBeDefined();
    stream.end(late);
    for (let i = 0; i < 20; i += 1) await turn();
    const server = accepted[0]!;
    // The early bytes are all over the window already: nothing more leaves until the reader consumes.
    expect(server.readableLength).toBe(early.length);
    const received = readAll(server);
    server.resume();
    expect((await received).equals(Buffer.concat([early, late]))).toBe(true);
  });
});
