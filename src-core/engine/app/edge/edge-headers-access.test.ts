/** The edge's pure parts: names from Host, forwarding headers, access checks, pages, limits. */
import { describe, expect, it } from 'vitest';
import { addressAllowed, checkAccess, credentialsAccepted, plainAddress } from './edge-access.js';
import { resolveEdgeLimits } from './edge-limits.js';
import { edgePage } from './edge-pages.js';
import { requestHeadersForService, responseHeadersForVisitor, type HeaderPairs } from './forwarded-headers.js';
import { hostnameOf } from './host-name.js';

describe('hostnameOf', () => {
  it.each([
    ['App.Example.COM', 'app.example.com'],
    ['app.example.com:8443', 'app.example.com'],
    ['app.example.com.', 'app.example.com'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['', undefined],
    ['app.example.com:http', undefined],
    ['[2001:db8::1', undefined],
    ['bad host', undefined],
    ['evil.com/x', undefined],
  ])('%j → %j', (host, expected) => {
    expect(hostnameOf(host)).toBe(expected);
  });
});

describe('requestHeadersForService', () => {
  const visitor = { address: '203.0.113.9', port: 40000, protocol: 'https' as const };

  it('drops hop-by-hop and the visitor\'s forwarding claims (also spelled with underscores), keeps Host, adds its own', () => {
    const incoming: HeaderPairs = [
      ['Host', 'app.example.com'], ['Accept', '*/*'], ['Connection', 'keep-alive, X-Secret'], ['X-Secret', 'hop'],
      ['Keep-Alive', 'timeout=5'], ['TE', 'trailers'], ['Transfer-Encoding', 'chunked'], ['Upgrade', 'h2c'],
      ['X-Forwarded-For', '1.2.3.4'], ['X_Forwarded_For', '1.2.3.4'], ['X-Forwarded-Host', 'evil'], ['Forwarded', 'for=1.2.3.4'],
      ['X-Real-IP', '1.2.3.4'], ['X-Forwarded-Port', '1'], ['Proxy-Authorization', 'Basic x'], ['Expect', '100-continue'],
      ['Cookie', 'a=1'], ['Cookie', 'b=2'],
    ];
    expect(requestHeadersForService(incoming, { visitor, host: 'app.example.com' })).toEqual([
      ['Host', 'app.example.com'], ['Accept', '*/*'], ['Cookie', 'a=1'], ['Cookie', 'b=2'],
      ['X-Forwarded-For', '203.0.113.9'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'app.example.com'],
      ['X-Real-IP', '203.0.113.9'], ['Forwarded', 'for=203.0.113.9;host=app.example.com;proto=https'],
    ]);
  });

  it('HTTP/2: :authority becomes Host, pseudo-headers go; IPv6 and a host with a port are quoted in Forwarded', () => {
    const incoming: HeaderPairs = [[':method', 'GET'], [':authority', 'app.example.com:8443'], [':path', '/'], ['accept', 'x']];
    const result = requestHeadersForService(incoming, { visitor: { ...visitor, address: '2001:db8::9' }, host: 'app.example.com:8443' });
    expect(result[0]).toEqual(['Host', 'app.example.com:8443']);
    expect(result[1]).toEqual(['accept', 'x']);
    expect(result.at(-1)).toEqual(['Forwarded', 'for="[2001:db8::9]";host="app.example.com:8443";proto=https']);
  });

  it('keeps the visitor\'s Authorization for the service, unless it was the exposure\'s basic auth (the portal\'s secret)', () => {
    const incoming: HeaderPairs = [['Host', 'a'], ['Authorization', 'Basic YW5uOnB3']];
    expect(requestHeadersForService(incoming, { visitor, host: 'a' })).toContainEqual(['Authorization', 'Basic YW5uOnB3']);
    expect(requestHeadersForService(incoming, { visitor, host: 'a', edgeAuthorization: true }).map(([name]) => name)).not.toContain('Authorization');
  });

  it('an upgrade keeps Upgrade and says Connection: Upgrade', () => {
    const result = requestHeadersForService([['Host', 'a'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Key', 'k']], { visitor, host: 'a' }, true);
    expect(result.slice(0, 4)).toEqual([['Host', 'a'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Key', 'k'], ['Connection', 'Upgrade']]);
  });

  it('responses lose hop-by-hop headers only', () => {
    expect(responseHeadersForVisitor([['Content-Type', 'text/plain'], ['Transfer-Encoding', 'chunked'], ['Connection', 'close'], ['Set-Cookie', 'a'], ['Set-Cookie', 'b']]))
      .toEqual([['Content-Type', 'text/plain'], ['Set-Cookie', 'a'], ['Set-Cookie', 'b']]);
  });
});

describe('access', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

  it('allowlists IPv4, IPv6 and IPv4-mapped IPv6 visitors; empty lets everyone in; a bad entry denies everyone', () => {
    const access = { allow: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] };
    expect(['10.1.2.3', '::ffff:10.1.2.3', '2001:db8::5', '192.0.2.7', '127.0.0.1', '192.0.2.8', '2001:db9::1'].map((a) => addressAllowed(access, a)))
      .toEqual([true, true, true, true, false, false, false]);
    expect(addressAllowed({ allow: [] }, '127.0.0.1')).toBe(true);
    expect(addressAllowed({ allow: ['10.0.0.0/33'] }, '10.0.0.1')).toBe(false);
    expect(plainAddress('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });

  it('basic credentials: only the exact pair passes', () => {
    const access = { basicAuth: { user: 'ann', password: 'pa:ss word' } };
    expect([basic('ann:pa:ss word'), basic('ann:pa:ss wor'), basic('ann:'), 'Bearer x', undefined, `basic   ${Buffer.from('ann:pa:ss word').toString('base64')}`]
      .map((header) => credentialsAccepted(access, header))).toEqual([true, false, false, false, false, true]);
    expect(checkAccess({ ...access, allow: ['10.0.0.0/8'] }, '127.0.0.1', basic('ann:pa:ss word'))).toBe('address-denied');
    expect(checkAccess(access, '127.0.0.1', undefined)).toBe('credentials-needed');
  });
});

describe('pages and limits', () => {
  it('a page escapes the name it shows', () => {
    expect(edgePage(404, '<script>')).toContain('&#60;script&#62;');
  });

  it('a bad limit is one line naming it', () => {
    expect(() => resolveEdgeLimits({ headersTimeoutMs: -1 })).toThrow(/edge limits: headersTimeoutMs must be a whole number/);
    expect(() => resolveEdgeLimits({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).toThrow(/must not exceed requestTimeoutMs/);
  });
});
