/**
 * HTTP/1.1 conversations as scripted turns (test/support/conversation.ts), with random payloads,
 * for the request inspector's tests: keep-alive and pipelining, chunked bodies with extensions
 * and trailers, `Expect: 100-continue`, HEAD/204/304, a body read until close, a WebSocket
 * upgrade with frames both ways, and a stream that is not HTTP.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Turn } from './conversation.js';

const visitor = (text: string | Buffer): Turn => ({ from: 'visitor', bytes: typeof text === 'string' ? Buffer.from(text, 'latin1') : text });
const service = (text: string | Buffer): Turn => ({ from: 'service', bytes: typeof text === 'string' ? Buffer.from(text, 'latin1') : text });

/** `body` in chunks of random sizes, with an extension on one and a trailer at the end. */
export function chunked(body: Buffer, trailers = 'X-Checksum: abc\r\n'): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  let first = true;
  while (offset < body.length) {
    const size = Math.min(body.length - offset, randomInt(1, 5000));
    parts.push(Buffer.from(`${size.toString(16)}${first ? ';name=value' : ''}\r\n`), body.subarray(offset, offset + size), Buffer.from('\r\n'));
    offset += size;
    first = false;
  }
  parts.push(Buffer.from(`0\r\n${trailers}\r\n`));
  return Buffer.concat(parts);
}

export interface Scenario {
  readonly name: string;
  readonly turns: Turn[];
}

/** Three requests sent at once on one connection (GET, POST with a binary body, chunked PUT); answers at once, in order. */
export function pipelined(): Scenario & { requestBodies: Buffer[]; responseBodies: Buffer[] } {
  const postBody = randomBytes(randomInt(1, 70_000));
  const putBody = randomBytes(randomInt(1, 30_000));
  const bodies = [randomBytes(randomInt(0, 40_000)), randomBytes(randomInt(1, 40_000)), randomBytes(randomInt(1, 40_000))];
  const [first = Buffer.alloc(0), second = Buffer.alloc(0), third = Buffer.alloc(0)] = bodies;
  const requests = Buffer.concat([
    Buffer.from('GET /first?x=1 HTTP/1.1\r\nHost: app.example\r\nX-Forwarded-For: 203.0.113.7\r\nAuthorization: Bearer s3cret\r\n\r\n'),
    Buffer.from(`POST /second HTTP/1.1\r\nHost: app.example\r\nContent-Type: application/octet-stream\r\nContent-Length: ${postBody.length}\r\n\r\n`),
    postBody,
    Buffer.from('PUT /third HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\nCookie: a=1; b=2\r\n\r\n'),
    chunked(putBody),
  ]);
  const responses = Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${first.length}\r\nSet-Cookie: sid=xyz; HttpOnly\r\n\r\n`), first,
    Buffer.from(`HTTP/1.1 201 Created\r\nContent-Length: ${second.length}\r\n\r\n`), second,
    Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), chunked(third, ''),
  ]);
  return { name: 'pipelined', turns: [visitor(requests), service(responses)], requestBodies: [Buffer.alloc(0), postBody, putBody], responseBodies: bodies };
}

/** `Expect: 100-continue`: the body goes only after the service's 100. */
export function expectContinue(): Scenario & { body: Buffer } {
  const body = randomBytes(randomInt(1, 50_000));
  return {
    name: '100-continue',
    body,
    turns: [
      visitor(`POST /upload HTTP/1.1\r\nHost: app.example\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`),
      service('HTTP/1.1 100 Continue\r\n\r\n'),
      visitor(body),
      service('HTTP/1.1 204 No Content\r\n\r\n'),
    ],
  };
}

/** HEAD, then 204 and 304 on the same connection: none has a body, whatever Content-Length says. */
export function bodiless(): Scenario {
  return {
    name: 'HEAD, 204, 304',
    turns: [
      visitor('HEAD /big HTTP/1.1\r\nHost: a\r\n\r\n'),
      service('HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n'),
      visitor('DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n'),
      service('HTTP/1.1 204 No Content\r\n\r\n'),
      visitor('GET /cached HTTP/1.1\r\nHost: a\r\nIf-None-Match: "v1"\r\n\r\n'),
      service('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'),
    ],
  };
}

/** HTTP/1.0: a response without length, its body read until the service closes. */
export function untilClose(): Scenario & { body: Buffer } {
  const body = randomBytes(randomInt(1, 100_000));
  return { name: 'until close', body, turns: [visitor('GET /old HTTP/1.0\r\n\r\n'), service(Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), body]))] };
}

/** A WebSocket frame; `mask` for the visitor's (client) frames. */
export function wsFrame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | length]) : length < 65536 ? Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | 126, length >> 8, length & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | 127]), (() => {
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(length));
    return size;
  })()]);
  const body = Buffer.from(payload);
  if (mask) for (let index = 0; index < body.length; index += 1) body[index] = (body[index] ?? 0) ^ (key[index % 4] ?? 0);
  return Buffer.concat([header, key, body]);
}

/** An upgrade to WebSocket; the service echoes a text and a binary message, then both close. */
export function websocketEcho(): Scenario & { binary: Buffer } {
  const binary = randomBytes(randomInt(200, 100_000));
  const close = Buffer.from([0x03, 0xe8]);
  return {
    name: 'websocket',
    binary,
    turns: [
      visitor('GET /socket HTTP/1.1\r\nHost: app.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'),
      service('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n'),
      visitor(Buffer.concat([wsFrame(1, Buffer.from('hello'), true), wsFrame(2, binary, true)])),
      service(Buffer.concat([wsFrame(1, Buffer.from('hello'), false), wsFrame(2, binary, false)])),
      visitor(wsFrame(8, close, true)),
      service(wsFrame(8, close, false)),
    ],
  };
}

/** Not HTTP: a TLS ClientHello's first bytes and random bytes each way. */
export function notHttp(): Scenario {
  const hello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), randomBytes(randomInt(100, 20_000))]);
  return { name: 'not HTTP', turns: [visitor(hello), service(randomBytes(randomInt(1, 50_000))), visitor(randomBytes(randomInt(1, 5000)))] };
}

/** Large bodies both ways: a chunked 4 MiB upload, an 8 MiB download with Content-Length. */
export function bulk(): Scenario & { upload: Buffer; download: Buffer } {
  const upload = randomBytes(4 * 1024 * 1024);
  const download = randomBytes(8 * 1024 * 1024);
  return {
    name: 'bulk',
    upload,
    download,
    turns: [
      visitor(Buffer.concat([Buffer.from('POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'), chunked(upload, '')])),
      service('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
      visitor('GET /down HTTP/1.1\r\nHost: a\r\n\r\n'),
      service(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${download.length}\r\n\r\n`), download])),
    ],
  };
}
