/**
 * The body reader on a real HTTP server on 127.0.0.1, with small caps: bodies within the limit
 * arrive whole; larger ones get a 413 the client reads, however the body is framed, and an upload
 * that never stops or stalls is cut off once the discard caps are reached.
 */
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBodyWithin } from './request-body.js';

const LIMIT = 1024;
let server: Server;
let port: number;

beforeAll(async () => {
  const onRequest: Parameters<typeof createServer>[1] = (incoming, response) => {
    void readBodyWithin(incoming, response, { maxBytes: LIMIT, maxDiscardBytes: 256 << 10, maxDiscardMs: 300 }, { contentType: 'text/plain', text: 'too large\n' }).then((body) => {
      if (body) response.end(`got ${body.length}`);
    });
  };
  server = createServer(onRequest);
  server.on('checkContinue', onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface Outcome { status?: number; body?: string; continued: boolean; closed: boolean }

/** Uploads `size` bytes (Infinity: until the connection closes) and reports what came back. */
function upload(size: number, headers: Record<string, string | number>): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { continued: false, closed: false };
    const outgoing = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (response) => {
      outcome.status = response.statusCode;
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => { body += text; });
      response.once('end', () => { outcome.body = body; });
    });
    outgoing.once('error', () => {});
    outgoing.once('continue', () => { outcome.continued = true; });
    outgoing.once('socket', (socket) => socket.once('close', () => {
      outcome.closed = true;
      resolve(outcome);
    }));
    const chunk = Buffer.alloc(16 << 10, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < size && !outgoing.destroyed) {
        const piece = size - sent < chunk.length ? chunk.subarray(0, size - sent) : chunk;
        sent += piece.length;
        if (!outgoing.write(piece)) {
          outgoing.once('drain', pump);
          return;
        }
      }
      if (sent >= size) outgoing.end();
    };
    if (headers.Expect) outgoing.once('continue', pump);
    else pump();
  });
}

describe('readBodyWithin', () => {
  it('reads a body within the limit', async () => {
    expect(await upload(0, { 'Content-Length': 0 })).toMatchObject({ status: 200, body: 'got 0' });
    const within = Buffer.alloc(LIMIT, 0x61);
    const answer = await new Promise<string>((resolve) => {
      request({ host: '127.0.0.1', port, method: 'POST', agent: false }, (response) => {
        let body = '';
        response.on('data', (text: Buffer) => { body += text.toString(); });
        response.once('end', () => resolve(body));
      }).end(within);
    });
    expect(answer).toBe(`got ${LIMIT}`);
  });

  it.each([
    ['declared up front', { 'Content-Length': 64 << 10 }],
    ['chunked', {}],
  ])('answers 413 to a body over the limit, %s, and closes once the upload is done', async (_framing, headers) => {
    expect(await upload(64 << 10, headers)).toEqual({ status: 413, body: 'too large\n', continued: false, closed: true });
  });

  it('answers 413 to an oversized Expect: 100-continue upload without inviting the body', async () => {
    const outcome = upload(64 << 10, { 'Content-Length': 64 << 10, Expect: '100-continue' });
    expect(await outcome).toEqual({ status: 413, body: 'too large\n', continued: false, closed: true });
  });

  it('sends 100 Continue for a body that may fit', async () => {
    expect(await upload(100, { 'Content-Length': 100, Expect: '100-continue' })).toMatchObject({ status: 200, body: 'got 100', continued: true });
  });

  it('cuts off an upload that goes on past the discard cap, after answering', async () => {
    expect(await upload(Infinity, {})).toMatchObject({ status: 413, body: 'too large\n', closed: true });
  });

  it('closes a connection whose upload stalls after the answer, once the discard time is up', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data: Buffer) => { received += data.toString(); });
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${LIMIT * 4}\r\n\r\n`);
    const started = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    expect({ status: received.split('\r\n')[0], body: received.endsWith('\r\n\r\ntoo large\n'), waited: Date.now() - started >= 250 })
      .toEqual({ status: 'HTTP/1.1 413 Payload Too Large', body: true, waited: true });
  });
});
