/**
 * HTTP proxy codec (http/codec.ts): tables of heads in → request, response or refusal out; the
 * bytes the real v2ray 4.34 (Debian's build, go1.19) forwarded for the doubtful cases, captured
 * with a recording upstream (header names that are no token dropped, obs-fold joined, HTTP/1.0
 * forwarded as 1.1, Transfer-Encoding winning over Content-Length, bare LF line ends); Go's host
 * and port rules (a leading 0 is octal: `CONNECT h:0123` reaches port 83); Basic credentials as
 * 4.34's own parser reads them; chunked bodies found whole however they are split. fast-check:
 * random and mutated heads and chunked bodies never throw, only PH_HTTP_BAD_REQUEST refusals.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANSWER, ChunkedBodyEnd, canonicalHeaderName, encodeForwardedRequest, encodeResponseHead, headEnd, parseBasicAuth, parseGoPort, parseProxyHost,
  parseRequestHead, parseResponseHead, removeHopByHopHeaders, requestHost, type RequestHead,
} from './codec.js';

const head = (text: string) => Buffer.from(text, 'latin1');
function request(text: string): RequestHead {
  const parsed = parseRequestHead(head(text));
  if ('error' in parsed) throw new Error(`expected a request, got ${parsed.error.message}`);
  return parsed;
}
function refusal(text: string): string | undefined {
  const parsed = parseRequestHead(head(text));
  return 'error' in parsed ? `${parsed.error.code} ${parsed.error.message}` : undefined;
}
const forwarded = (text: string) => encodeForwardedRequest(request(text)).toString('latin1');

describe('request heads (parseRequestHead, requestHost)', () => {
  it.each<[string, string, Partial<RequestHead> & { host: string }]>([
    ['an absolute URI', 'GET http://example.com:8080/a/b?c=1 HTTP/1.1\r\n\r\n', { method: 'GET', scheme: 'http', urlHost: 'example.com:8080', requestUri: '/a/b?c=1', host: 'example.com:8080' }],
    ['an absolute URI without a path', 'GET http://example.com HTTP/1.1\r\n\r\n', { requestUri: '/', host: 'example.com' }],
    ['an absolute URI with only a query', 'GET http://example.com?q=1 HTTP/1.1\r\n\r\n', { requestUri: '/?q=1', host: 'example.com' }],
    ['user info in the URI is not the host', 'GET http://a:b@example.com/x HTTP/1.1\r\n\r\n', { requestUri: '/x', host: 'example.com' }],
    ['an https URI (its default port is 443)', 'GET HTTPS://example.com/ HTTP/1.1\r\n\r\n', { scheme: 'https', host: 'example.com' }],
    ['CONNECT host:port', 'CONNECT example.com:443 HTTP/1.1\r\nHost: other\r\n\r\n', { method: 'CONNECT', scheme: '', urlHost: 'example.com:443', host: 'example.com:443' }],
    ['CONNECT [v6]:port', 'CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n', { urlHost: '[2001:db8::1]:443', host: '[2001:db8::1]:443' }],
    ['CONNECT with a path after the authority (Go keeps the authority)', 'CONNECT example.com:443/x HTTP/1.1\r\n\r\n', { urlHost: 'example.com:443', host: 'example.com:443' }],
    ['origin-form: the host is the Host header', 'GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n', { urlHost: '', requestUri: '/index.html', host: 'example.com' }],
    ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n', { urlHost: '', requestUri: '*', host: 'example.com' }],
    ['HTTP/1.0 and HTTP/2.0 (Go reads any single digits)', 'GET http://h/ HTTP/2.0\r\n\r\n', { major: 2, minor: 0, host: 'h' }],
    ['bare LF line ends', 'GET http://h/ HTTP/1.1\nX-A: b\n\n', { headers: [['X-A', 'b']], host: 'h' }],
  ])('%s', (_name, text, expected) => {
    const { host, ...fields } = expected;
    const parsed = request(text);
    expect(parsed).toMatchObject(fields);
    expect(requestHost(parsed)).toBe(host);
  });

  it('reads headers as go1.19 textproto does: names canonical, values trimmed of spaces and tabs, obs-fold joined, empty names skipped', () => {
    const parsed = request('GET http://h/ HTTP/1.1\r\nx-forwarded-for:  1.2.3.4 \t\r\nX-A: one\r\n two\r\n\tthree\r\n: nameless\r\nBad Name: kept\r\nX-B: \u00a0v\u00a0\r\n\r\n');
    expect(parsed.headers).toEqual([['X-Forwarded-For', '1.2.3.4'], ['X-A', 'one two three'], ['Bad Name', 'kept'], ['X-B', '\u00a0v\u00a0']]);
  });

  it.each([
    ['Content-Length', 'POST http://h/ HTTP/1.1\r\nContent-Length: 12\r\n\r\n', { kind: 'length', length: 12 }],
    ['two equal Content-Lengths', 'POST http://h/ HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n', { kind: 'length', length: 2 }],
    ['Transfer-Encoding: chunked', 'POST http://h/ HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n', { kind: 'chunked' }],
    ['chunked wins over Content-Length', 'POST http://h/ HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', { kind: 'chunked' }],
    ['no body', 'GET http://h/ HTTP/1.1\r\n\r\n', { kind: 'length', length: 0 }],
    // A name that is no token is no Content-Length for Go either: no body, and the header is dropped.
    ['"Content-Length " with a space', 'POST http://h/ HTTP/1.1\r\nContent-Length : 5\r\n\r\n', { kind: 'length', length: 0 }],
  ])('reads the body length: %s', (_name, text, body) => {
    expect(request(text).body).toEqual(body);
  });

  it.each([
    ['an empty head', '\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: malformed HTTP request ""'],
    ['two spaces in the request line', 'GET  http://h/ HTTP/1.1\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: malformed HTTP request "GET  http://h/ HTTP/1.1"'],
    ['a version of two digits', 'GET http://h/ HTTP/1.10\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: malformed HTTP request "GET http://h/ HTTP/1.10"'],
    ['a method that is no token', 'G(T http://h/ HTTP/1.1\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: malformed HTTP request "G(T http://h/ HTTP/1.1"'],
    ['lowercase connect with an authority (no CONNECT for Go)', 'connect h:443 HTTP/1.1\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: invalid URI for request "h:443"'],
    ['a port that is no decimal in the URI', 'CONNECT h:0x50 HTTP/1.1\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: invalid port in "h:0x50"'],
    ['a header line without a colon', 'GET http://h/ HTTP/1.1\r\nNoColon\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: malformed MIME header line: NoColon'],
    ['a first header line that starts with a space', 'GET http://h/ HTTP/1.1\r\n X-A: b\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: malformed MIME header initial line:  X-A: b'],
    ['two different Content-Lengths', 'POST http://h/ HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: bad Content-Length'],
    ['a negative Content-Length', 'POST http://h/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: bad Content-Length'],
    ['Transfer-Encoding gzip, chunked (v2ray closes too)', 'POST http://h/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'PH_HTTP_BAD_REQUEST http: unsupported transfer encoding'],
  ])('refuses %s', (_name, text, expected) => {
    expect(refusal(text)).toBe(expected);
  });
});

describe('the request as 4.34 forwards it (encodeForwardedRequest), vectors from the real v2ray', () => {
  it.each([
    ['a name that is no token is dropped', 'GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\nBad Name: x\r\n\r\n', 'GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: close\r\n\r\n'],
    ['an empty name is dropped', 'GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\n: x\r\n\r\n', 'GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: close\r\n\r\n'],
    ['obs-fold is joined', 'GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\nX-A: one\r\n two\r\n\r\n', 'GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: close\r\nX-A: one two\r\n\r\n'],
    ['HTTP/1.0 goes out as 1.1', 'GET http://127.0.0.1:9/ HTTP/1.0\r\n\r\n', 'GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: close\r\n\r\n'],
    ['two equal lengths become one', 'POST http://127.0.0.1:9/ HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n', 'POST / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nContent-Length: 2\r\nConnection: close\r\n\r\n'],
    ['chunked without the Content-Length', 'POST http://127.0.0.1:9/ HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', 'POST / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'],
    ['bare LF in, CRLF out', 'GET http://127.0.0.1:9/ HTTP/1.1\nX-A: b\n\n', 'GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: close\r\nX-A: b\r\n\r\n'],
    ['hop-by-hop headers and the ones Connection names are removed; the rest sorted', 'GET http://h/p HTTP/1.1\r\nUser-Agent: ua\r\nZ: 1\r\nProxy-Authorization: Basic eDp5\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nProxy-Connection: keep-alive\r\nA: 2\r\nUpgrade: h2c\r\n\r\n', 'GET /p HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\nA: 2\r\nConnection: close\r\nZ: 1\r\n\r\n'],
  ])('%s', (_name, text, expected) => {
    expect(forwarded(text)).toBe(expected);
  });

  it('keeps canonical names as Go does, and leaves names with odd characters as written', () => {
    expect(canonicalHeaderName('x-foo-BAR')).toBe('X-Foo-Bar');
    expect(canonicalHeaderName('content-length')).toBe('Content-Length');
    expect(canonicalHeaderName('bad name')).toBe('bad name');
    expect(removeHopByHopHeaders([['Te', 'trailers'], ['Connection', 'X-A , x-b'], ['X-A', '1'], ['X-B', '2'], ['X-C', '3']])).toEqual([['X-C', '3']]);
  });
});

describe('host and port (parseProxyHost, parseGoPort: 4.34 http_proto.ParseHost)', () => {
  it.each<[string, number, { host: string; port: number } | undefined]>([
    ['example.com', 80, { host: 'example.com', port: 80 }],
    ['example.com:8080', 80, { host: 'example.com', port: 8080 }],
    ['example.com:', 443, { host: 'example.com', port: 443 }],
    ['[::1]:443', 80, { host: '::1', port: 443 }],
    ['[::1]', 80, { host: '[::1]', port: 80 }],
    ['127.0.0.1:0123', 80, { host: '127.0.0.1', port: 83 }],
    ['h:0x1F90', 80, { host: 'h', port: 8080 }],
    ['h:1_000', 80, { host: 'h', port: 1000 }],
    ['h:65536', 80, undefined],
    ['h:08', 80, undefined],
    ['a:b:c', 80, undefined],
    ['[::1', 80, undefined],
    ['[::1]:1:2', 80, undefined],
    ['[::1]x', 80, { host: '[::1]x', port: 80 }],
    ['h]:80', 80, undefined],
  ])('%j with default port %i', (raw, defaultPort, expected) => {
    expect(parseProxyHost(raw, defaultPort)).toEqual(expected);
  });

  it.each<[string, number | undefined]>([
    ['0', 0], ['80', 80], ['00', 0], ['017', 15], ['0o17', 15], ['0O17', 15], ['0b101', 5], ['0xff', 255], ['0x_ff', 255], ['0_17', 15], ['1_0', 10],
    ['', undefined], ['0x', undefined], ['_1', undefined], ['1_', undefined], ['1__0', undefined], ['+1', undefined], ['09', undefined], ['0b2', undefined], ['65535', 65535], ['0x10000', undefined],
  ])('reads the port %j as Go ParseUint(s, 0, 16): %s', (text, expected) => {
    expect(parseGoPort(text)).toBe(expected);
  });
});

describe('Proxy-Authorization (parseBasicAuth, 4.34 parseBasicAuth)', () => {
  const b64 = (text: string) => Buffer.from(text, 'latin1').toString('base64');
  it.each<[string, string, { user: string; pass: string } | undefined]>([
    ['user and password', `Basic ${b64('alice:secret')}`, { user: 'alice', pass: 'secret' }],
    ['a colon in the password', `Basic ${b64('alice:a:b')}`, { user: 'alice', pass: 'a:b' }],
    ['empty user and password', `Basic ${b64(':')}`, { user: '', pass: '' }],
    ['no colon', `Basic ${b64('alice')}`, undefined],
    ['"basic" in lowercase (v2ray answers 407)', `basic ${b64('u:p')}`, undefined],
    ['base64 without its padding (v2ray answers 407)', `Basic ${b64('u:pp').replace(/=+$/, '')}`, undefined],
    ['two spaces after Basic (v2ray answers 407)', `Basic  ${b64('u:p')}`, undefined],
    ['Bearer', 'Bearer abc', undefined],
    ['empty', '', undefined],
  ])('%s', (_name, value, expected) => {
    expect(parseBasicAuth(value)).toEqual(expected);
  });

  it('answers 407 with the Basic realm, byte for byte as 4.34', () => {
    expect(ANSWER.authRequired.toString()).toBe('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\n\r\n');
  });
});

describe('response heads (parseResponseHead, encodeResponseHead)', () => {
  const response = (text: string, method = 'GET') => {
    const parsed = parseResponseHead(head(text), method);
    if ('error' in parsed) throw new Error(parsed.error.message);
    return parsed;
  };

  it.each([
    ['a known length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'GET', { kind: 'length', length: 5 }],
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'GET', { kind: 'chunked' }],
    ['until the end', 'HTTP/1.0 200 OK\r\n\r\n', 'GET', { kind: 'close' }],
    ['the answer to HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HEAD', { kind: 'length', length: 0 }],
    ['204', 'HTTP/1.1 204 No Content\r\n\r\n', 'GET', { kind: 'length', length: 0 }],
    ['304', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n', 'GET', { kind: 'length', length: 0 }],
  ])('finds the body of %s', (_name, text, method, body) => {
    expect(response(text, method).body).toEqual(body);
  });

  it('writes it back as 4.34 does: keep-alive headers for a known length, Connection: close otherwise', () => {
    expect(encodeResponseHead(response('HTTP/1.1 200 OK\r\nX-Mirror: yes\r\nContent-Length: 2\r\n\r\n'), 'GET').toString()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=4\r\nProxy-Connection: keep-alive\r\nX-Mirror: yes\r\n\r\n');
    expect(encodeResponseHead(response('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), 'GET').toString()).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n');
    expect(encodeResponseHead(response('HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n'), 'GET').toString()).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
  });

  it.each(['HTTP/1.1 20 OK\r\n\r\n', 'ICY 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n'])('refuses %j', (text) => {
    const parsed = parseResponseHead(head(text), 'GET');
    expect('error' in parsed && parsed.error.code).toBe('PH_HTTP_BAD_REQUEST');
  });
});

describe('where a head ends (headEnd)', () => {
  it.each([
    ['GET / HTTP/1.1\r\n\r\nbody', 18],
    ['GET / HTTP/1.1\n\nbody', 16],
    ['GET / HTTP/1.1\r\nA: b\n\r\nbody', -1],
    ['GET / HTTP/1.1\r\nA: b\r\n', -1],
  ])('%j ends at %i', (text, expected) => {
    expect(headEnd(head(text))).toBe(expected);
  });
});

describe('chunked bodies (ChunkedBodyEnd)', () => {
  /** Feeds `pieces`; the body's length in bytes, or the error. */
  function bodyLength(pieces: Buffer[]): number | string {
    const end = new ChunkedBodyEnd();
    let total = 0;
    for (const piece of pieces) {
      const used = end.push(piece);
      if (typeof used !== 'number') return `${used.error.code} ${used.error.message}`;
      total += used;
      if (end.done) return total;
      expect(used).toBe(piece.length);
    }
    return end.done ? total : 'not done';
  }

  it.each<[string, string, number | string]>([
    ['two chunks', '3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT', 20],
    ['an extension and a trailer', '2;x=y\r\nab\r\n0\r\nT: v\r\n\r\nNEXT', 22],
    ['uppercase hex, bare LF', 'A\nabcdefghij\n0\n\nNEXT', 16],
    ['a size that is no hex', 'z\r\n', 'PH_HTTP_BAD_REQUEST http: invalid chunk size line "z"'],
    ['data longer than its size', '2\r\nabc\r\n', 'PH_HTTP_BAD_REQUEST http: malformed chunked encoding'],
    ['a size line that never ends', `1${'0'.repeat(5000)}`, 'PH_HTTP_BAD_REQUEST http: chunk line too long'],
    ['not yet ended', '3\r\nabc\r\n', 'not done'],
  ])('%s', (_name, text, expected) => {
    expect(bodyLength([head(text)])).toBe(expected);
  });

  it('finds the same end split at every byte, and in random pieces (fast-check)', () => {
    const body = head('5\r\nhello\r\n1;ext\r\n!\r\n0\r\nTrailer: x\r\n\r\nNEXT');
    for (let at = 0; at <= body.length; at += 1) expect(bodyLength([body.subarray(0, at), body.subarray(at)])).toBe(body.length - 4);
    fc.assert(fc.property(fc.array(fc.nat(body.length), { maxLength: 8 }), (cuts) => {
      const points = [0, ...cuts.sort((a, b) => a - b), body.length];
      expect(bodyLength(points.slice(1).map((to, index) => body.subarray(points[index], to)))).toBe(body.length - 4);
    }));
  });
});

describe('whatever the bytes (fast-check)', () => {
  const valid = fc.constantFrom(
    'GET http://example.com:8080/a?b=1 HTTP/1.1\r\nHost: example.com\r\nProxy-Connection: keep-alive\r\nConnection: X-A\r\nX-A: 1\r\n\r\n',
    'CONNECT [2001:db8::1]:443 HTTP/1.1\r\nProxy-Authorization: Basic YTpi\r\n\r\n',
    'POST http://h/ HTTP/1.0\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nX-B: one\r\n two\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n',
  );
  const mutated = fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })).map(([text, edits]) => {
    const bytes = head(text);
    for (const [index, value] of edits) bytes[index % bytes.length] = value;
    return bytes;
  });
  const heads = fc.oneof(fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)), mutated);

  it('parseRequestHead and parseResponseHead answer a value or a PH_HTTP_BAD_REQUEST, never a throw; a request forwards and reads back', () => {
    fc.assert(fc.property(heads, (bytes) => {
      const parsed = parseRequestHead(bytes);
      if ('error' in parsed) {
        expect(parsed.error.code).toBe('PH_HTTP_BAD_REQUEST');
      } else {
        const again = parseRequestHead(encodeForwardedRequest(parsed));
        if (!('error' in again) && parsed.urlHost !== '') expect(again.requestUri).toBe(parsed.requestUri);
        parseBasicAuth(requestHost(parsed));
        parseProxyHost(requestHost(parsed), 80);
      }
      const response = parseResponseHead(bytes, 'GET');
      if ('error' in response) expect(response.error.code).toBe('PH_HTTP_BAD_REQUEST');
      else encodeResponseHead(response, 'GET');
    }), { numRuns: 3000 });
  });

  it('ChunkedBodyEnd takes random bytes without a throw, and never more than it was given', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), (pieces) => {
      const end = new ChunkedBodyEnd();
      for (const piece of pieces) {
        const used = end.push(Buffer.from(piece));
        if (typeof used !== 'number') {
          expect(used.error.code).toBe('PH_HTTP_BAD_REQUEST');
          return;
        }
        expect(used).toBeLessThanOrEqual(piece.length);
        if (end.done) return;
      }
    }), { numRuns: 3000 });
  });
});
