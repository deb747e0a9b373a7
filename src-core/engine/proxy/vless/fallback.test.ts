/** Fallback choice as 4.34 makes it: table merging, ALPN, and the HTTP request path of the first read. */
import { describe, expect, it } from 'vitest';
import { buildFallbackTable, pickFallback, requestPathOf, type FallbackTarget } from './fallback.js';

const fb = (dest: string, path = '', alpn = ''): FallbackTarget => ({ alpn, path, type: 'tcp', dest });
const http = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: example.com\r\n\r\n`);

describe('VLESS fallbacks', () => {
  it.each([
    ['GET /ws HTTP/1.1\r\n\r\n', '/ws'],
    ['POST /a/b?c HTTP/1.1\r\n\r\n', '/a/b?c'],
    ['OPTIONS /x HTTP/1.1\r\n\r\n', '/x'],
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', undefined],
    ['GET /no-space-within-64-bytes-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n', undefined],
    ['GET /line\r\nbreak HTTP/1.1', undefined],
    ['GET /', undefined],
    ['\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003abcdefgh', undefined],
  ])('reads the request path of %j', (text, path) => {
    expect(requestPathOf(Buffer.from(text, 'latin1'))).toBe(path);
  });

  it('picks by path, then the path-less default', () => {
    const table = buildFallbackTable([fb('127.0.0.1:80'), fb('127.0.0.1:81', '/ws')]);
    expect([
      pickFallback(table, http('/ws'), undefined),
      pickFallback(table, http('/other'), undefined),
      pickFallback(table, Buffer.from('short'), undefined),
    ].map((pick) => ('fallback' in pick ? pick.fallback.dest : pick.error))).toEqual(['127.0.0.1:81', '127.0.0.1:80', '127.0.0.1:80']);
  });

  it('picks by ALPN when the connection has one; alpn-less entries fill the gaps', () => {
    const table = buildFallbackTable([fb('127.0.0.1:80'), fb('127.0.0.1:82', '', 'h2'), fb('127.0.0.1:81', '/ws')]);
    expect([
      pickFallback(table, http('/x'), 'h2'),
      pickFallback(table, http('/ws'), 'h2'),
      pickFallback(table, http('/x'), 'http/1.1'),
      pickFallback(table, http('/x'), undefined),
    ].map((pick) => ('fallback' in pick ? pick.fallback.dest : pick.error))).toEqual(['127.0.0.1:82', '127.0.0.1:81', '127.0.0.1:80', '127.0.0.1:80']);
  });

  it('says which default is missing, as 4.34 does', () => {
    expect(pickFallback(buildFallbackTable([fb('127.0.0.1:81', '/ws')]), http('/x'), undefined)).toEqual({ error: 'failed to find the default "path" config' });
    expect(pickFallback(buildFallbackTable([fb('127.0.0.1:82', '', 'h2')]), http('/x'), undefined)).toEqual({ error: 'failed to find the default "alpn" config' });
  });
});
