import { describe, expect, it } from 'vitest';
import { authorized, cookieName, createToken, hostAllowed, isLoopbackHost, originAllowed, parseCookies, requestToken, tokenCookie, tokensMatch } from './token-gate.js';

const gate = { token: 'secret-token', port: 7070, allowedHosts: new Set(['127.0.0.1', 'localhost', '[::1]']) };

describe('token gate', () => {
  it('makes 32-byte base64url tokens, different each time', () => {
    const [a, b] = [createToken(), createToken()];
    expect({ length: a.length, url: /^[A-Za-z0-9_-]+$/.test(a), differ: a !== b }).toEqual({ length: 43, url: true, differ: true });
  });

  it('compares tokens exactly', () => {
    expect([tokensMatch('secret-token', 'secret-token'), tokensMatch('secret-toke', 'secret-token'), tokensMatch('', 'secret-token'), tokensMatch(undefined, 'secret-token')])
      .toEqual([true, false, false, false]);
  });

  it('reads the token from its per-port cookie or a bearer header, nothing else', () => {
    expect([
      requestToken({ cookie: `other=1; ${cookieName(7070)}=secret-token` }, 7070),
      requestToken({ cookie: `${cookieName(7071)}=secret-token` }, 7070),
      requestToken({ authorization: 'Bearer secret-token' }, 7070),
      requestToken({}, 7070),
    ]).toEqual(['secret-token', undefined, 'secret-token', undefined]);
    expect(parseCookies('a=1; b = 2;c=3=3')).toEqual(new Map([['a', '1'], ['b', '2'], ['c', '3=3']]));
  });

  it('sets an HttpOnly, SameSite=Strict cookie', () => {
    expect(tokenCookie(7070, 'secret-token')).toBe('porthole_token_7070=secret-token; HttpOnly; SameSite=Strict; Path=/');
  });

  it('authorizes only the right token', () => {
    expect([
      authorized({ cookie: 'porthole_token_7070=secret-token' }, gate),
      authorized({ cookie: 'porthole_token_7070=wrong' }, gate),
      authorized({}, gate),
    ]).toEqual([true, false, false]);
  });

  it('accepts only its own Host on loopback (DNS rebinding)', () => {
    expect([
      hostAllowed({ host: '127.0.0.1:7070' }, gate),
      hostAllowed({ host: 'localhost:7070' }, gate),
      hostAllowed({ host: '[::1]:7070' }, gate),
      hostAllowed({ host: 'evil.example:7070' }, gate),
      hostAllowed({ host: '127.0.0.1:8080' }, gate),
      hostAllowed({}, gate),
      hostAllowed({ host: 'anything:7070' }, { ...gate, allowedHosts: new Set() }),
    ]).toEqual([true, true, true, false, false, false, true]);
  });

  it('checks Origin: our own passes, another site fails, a missing one only when not required', () => {
    expect([
      originAllowed({ host: '127.0.0.1:7070', origin: 'http://127.0.0.1:7070' }, { required: true }),
      originAllowed({ host: '127.0.0.1:7070', origin: 'http://evil.example' }, { required: true }),
      originAllowed({ host: '127.0.0.1:7070', origin: 'null' }, { required: false }),
      originAllowed({ host: '127.0.0.1:7070' }, { required: true }),
      originAllowed({ host: '127.0.0.1:7070' }, { required: false }),
    ]).toEqual([true, false, false, false, true]);
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '0.0.0.0', '192.168.1.5', '::', 'example.com'].map(isLoopbackHost))
      .toEqual([true, true, true, true, true, false, false, false, false]);
  });
});
