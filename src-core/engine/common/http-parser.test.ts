import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMessageParser, HttpParseError, MAX_HEAD_BYTES, type HeadOutcome, type MessageHead } from './http-parser.js';

interface Parsed {
  heads: Array<Pick<MessageHead, 'method' | 'target' | 'status' | 'reason' | 'version' | 'headers' | 'headBytes'>>;
  bodies: string[];
  ends: Array<{ trailers: Array<[string, string]>; wireBytes: number }>;
}

/** Parses `pieces` in order; returns what the events said, or the error. */
function parse(kind: 'request' | 'response', pieces: Buffer[], outcome: (head: MessageHead) => HeadOutcome = () => 'framed'): Parsed | HttpParseError {
  const parsed: Parsed = { heads: [], bodies: [], ends: [] };
  let body: Buffer[] = [];
  const parser = new HttpMessageParser(kind, {
    head: (head) => {
      parsed.heads.push(head);
      return outcome(head);
    },
    body: (data, start, end) => body.push(Buffer.from(data.subarray(start, end))),
    end: (trailers, wireBytes) => {
      parsed.bodies.push(Buffer.concat(body).toString('latin1'));
      body = [];
      parsed.ends.push({ trailers, wireBytes });
    },
  });
  try {
    for (const piece of pieces) parser.execute(piece);
    if (!parser.finish()) return new HttpParseError('cut short');
  } catch (error) {
    if (error instanceof HttpParseError) return error;
    throw error;
  }
  return parsed;
}

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('HttpMessageParser', () => {
  it('reads requests back to back: heads with fields in order and case, bodies, trailers, wire sizes', () => {
    const input = 'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Two:  spaced value \t\r\n\r\n'
      + 'POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc'
      + 'PUT /c HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2;ext="q"\r\nhi\r\n0\r\nEnd: yes\r\n\r\n';
    expect(parse('request', [bytes(input)])).toEqual({
      heads: [
        { method: 'GET', target: '/a?b=1', status: null, reason: null, version: '1.1', headers: [['Host', 'x'], ['X-Two', 'spaced value']], headBytes: 56 },
        { method: 'POST', target: '/p', status: null, reason: null, version: '1.0', headers: [['Content-Length', '3']], headBytes: 39 },
        { method: 'PUT', target: '/c', status: null, reason: null, version: '1.1', headers: [['Transfer-Encoding', 'gzip, chunked']], headBytes: 53 },
      ],
      bodies: ['', 'abc', 'hi'],
      ends: [{ trailers: [], wireBytes: 56 }, { trailers: [], wireBytes: 42 }, { trailers: [['End', 'yes']], wireBytes: 53 + 30 }],
    });
  });

  it('reads responses: reason phrases (or none), no body when the request says so, a body until close', () => {
    const input = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204\r\n\r\nHTTP/1.0 200 Fine\r\n\r\nuntil the end';
    const outcomes: HeadOutcome[] = ['no-body', 'no-body', 'framed'];
    const parsed = parse('response', [bytes(input)], () => outcomes.shift() ?? 'framed');
    expect(parsed).toMatchObject({ heads: [{ status: 200, reason: 'OK' }, { status: 204, reason: '' }, { status: 200, reason: 'Fine', version: '1.0' }], bodies: ['', '', 'until the end'] });
  });

  it('pauses at a tunnel and after an upgrade request, and says how far it read', () => {
    const parser = new HttpMessageParser('response', { head: () => 'tunnel', body: () => {}, end: () => {} });
    const input = bytes('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello');
    expect(parser.execute(input)).toBe(input.length - 7);
    expect(parser.paused).toBe(true);
    const request = new HttpMessageParser('request', { head: () => 'pause-after', body: () => {}, end: () => {} });
    const upgrade = bytes('GET / HTTP/1.1\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nrest');
    expect(request.execute(upgrade)).toBe(upgrade.length - 4);
    request.resume();
    expect(() => request.execute(upgrade, upgrade.length - 4)).not.toThrow();
  });

  it('gives the same events however the input is split (fast-check)', () => {
    const input = bytes('\r\nPOST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nA\r\n0123456789\r\n0\r\nT: v\r\n\r\nGET /y HTTP/1.1\r\nContent-Length: 2\r\n\r\nok');
    const whole = parse('request', [input]);
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 20 }), (cuts) => {
      const points = [0, ...cuts.sort((a, b) => a - b), input.length];
      const pieces = points.slice(1).map((end, index) => input.subarray(points[index], end));
      expect(parse('request', pieces)).toEqual(whole);
    }));
  });

  it('throws nothing but HttpParseError, whatever the bytes: random input and valid messages with bytes changed (fast-check)', () => {
    const valid = bytes('POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\nHTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n');
    const mutated = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }).map((changes) => {
      const copy = Buffer.from(valid);
      for (const [at, byte] of changes) copy[at] = byte;
      return copy;
    });
    const input = fc.oneof(fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)), mutated);
    fc.assert(fc.property(input, fc.constantFrom<'request' | 'response'>('request', 'response'), fc.constantFrom<HeadOutcome>('framed', 'no-body', 'tunnel', 'pause-after'), (data, kind, outcome) => {
      const result = parse(kind, [data.subarray(0, data.length >> 1), data.subarray(data.length >> 1)], () => outcome);
      expect(result instanceof HttpParseError || typeof result === 'object').toBe(true);
    }), { numRuns: 2000 });
  });

  it.each([
    ['bare LF line ends', 'GET / HTTP/1.1\nHost: a\n\n', 'not an HTTP/1.x start line'],
    ['a bare LF in a field line', 'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n', 'a control character in the value of Host'],
    ['space before a colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 'an invalid header name "Host "'],
    ['obs-fold', 'GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n', 'a folded header line (obs-fold)'],
    ['Content-Length beside Transfer-Encoding', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 'both Transfer-Encoding and Content-Length'],
    ['two Content-Lengths', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx', 'more than one Content-Length'],
    ['a signed Content-Length', 'POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx', 'an invalid Content-Length "+1"'],
    ['a request not ending in chunked', 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 'a request whose last transfer coding is not chunked'],
    ['chunked before another coding', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'chunked that is not the last transfer coding'],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'an invalid chunk-size line'],
    ['chunk data without CRLF', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n', 'chunk data not followed by CRLF'],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'not an HTTP/1.x request line'],
    ['a TLS hello', '\x16\x03\x01\x02\x00', 'not an HTTP/1.x start line'],
    ['NUL in a value', 'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n', 'a control character in the value of X'],
    ['a space in the target', 'GET /a b HTTP/1.1\r\n\r\n', 'not an HTTP/1.x request line'],
  ])('rejects %s', (_name, input, message) => {
    const result = parse('request', [bytes(input)]);
    expect(result).toBeInstanceOf(HttpParseError);
    expect((result as HttpParseError).message).toBe(message);
  });

  it('bounds a head it copies', () => {
    const input = bytes(`GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`);
    expect(parse('request', [input])).toEqual(new HttpParseError(`a head longer than ${MAX_HEAD_BYTES} bytes`, true));
  });

  it('takes a smaller bound for heads (the edge\'s 16 KiB), and says the head was too large', () => {
    const input = bytes(`GET / HTTP/1.1\r\nX: ${'a'.repeat(2000)}\r\n\r\n`);
    const parser = new HttpMessageParser('request', { head: () => 'framed', body: () => undefined, end: () => undefined }, { maxHeadBytes: 1024 });
    expect(() => parser.execute(input)).toThrow(new HttpParseError('a head longer than 1024 bytes', true));
  });
});

/**
 * Node's own HTTP server (llhttp, strict by default) as the reference: for each request, both
 * must agree whether it is HTTP, and on what it says.
 */
describe('HttpMessageParser agrees with Node\'s llhttp', () => {
  let server: http.Server;
  let port = 0;
  const seen: Array<{ method: string; url: string; rawHeaders: string[]; body: string }> = [];
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (chunk: Buffer) => parts.push(chunk));
      request.on('end', () => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', rawHeaders: request.rawHeaders, body: Buffer.concat(parts).toString('latin1') });
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Node's verdict: the request it parsed, or 'rejected' (it answered 400 or closed). */
  async function nodeParses(input: Buffer): Promise<{ method: string; url: string; rawHeaders: string[]; body: string } | 'rejected'> {
    seen.length = 0;
    const socket = net.connect(port, '127.0.0.1');
    const answer = await new Promise<string>((resolve) => {
      const parts: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => parts.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(parts).toString('latin1')));
      socket.on('error', () => {});
      socket.end(input);
    });
    return answer.startsWith('HTTP/1.1 200') && seen[0] ? seen[0] : 'rejected';
  }

  const corpus = [
    'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /p?q=1 HTTP/1.1\r\nHost: a\r\nX-Tab:\tv\t\r\nX-Obs: caf\xe9\r\n\r\n',
    '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0\r\nT: 1\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    'GET / HTTP/1.1\nHost: a\n\n',
    'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1a\r\n\r\nx',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n',
    'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHo(st: a\r\n\r\n',
    'GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n',
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',
  ];

  it('differs on purpose on HTTP/0.9: llhttp takes a request line without a version, the inspector calls it not HTTP/1.x', async () => {
    const input = bytes('GET /\r\nHost: a\r\n\r\n');
    expect(await nodeParses(input)).not.toBe('rejected');
    expect(parse('request', [input])).toEqual(new HttpParseError('not an HTTP/1.x request line'));
  });

  it.each(corpus.map((input) => [JSON.stringify(input).slice(0, 70), input]))('%s', async (_label, input) => {
    const reference = await nodeParses(bytes(input));
    const ours = parse('request', [bytes(input)]);
    if (reference === 'rejected') {
      expect(ours).toBeInstanceOf(HttpParseError);
      return;
    }
    expect(ours).not.toBeInstanceOf(HttpParseError);
    const parsed = ours as Parsed;
    expect({ method: parsed.heads[0]?.method, url: parsed.heads[0]?.target, rawHeaders: parsed.heads[0]?.headers.flat(), body: parsed.bodies[0] }).toEqual(reference);
  });
});
