import { expect, test } from 'vitest';
import { certificateNames, isIssuableHostname, nameCovers, namesCover, normalizeHostname } from './hostname-match.js';

test('a name covers itself, whatever the case or a trailing dot', () => {
  expect([
    nameCovers('app.example.com', 'app.example.com'),
    nameCovers('App.Example.COM', 'app.example.com.'),
    nameCovers('app.example.com', 'other.example.com'),
  ]).toEqual([true, true, false]);
});

test('a wildcard covers exactly one whole left-most label (RFC 6125 6.4.3)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'A-1.EXAMPLE.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', '.example.com', false],
    ['*.example.com', 'a.example.com.evil.test', false],
    ['*.example.com', 'aexample.com', false],
    ['*.a.example.com', 'x.a.example.com', true],
    ['*.com', 'example.com', false], // too broad: a wildcard needs two labels under it
    ['a*.example.com', 'ab.example.com', false], // partial-label wildcards are not honoured
    ['*.*.example.com', 'a.b.example.com', false],
  ];
  expect(cases.map(([pattern, host]) => nameCovers(pattern, host))).toEqual(cases.map(([, , covers]) => covers));
});

test('any of a certificate\'s names may cover the host', () => {
  expect(namesCover(['example.com', '*.example.com'], 'example.com')).toBe(true);
  expect(namesCover(['example.com', '*.example.com'], 'www.example.com')).toBe(true);
  expect(namesCover([], 'www.example.com')).toBe(false);
});

test('names come from subjectAltName, and from the CN only when there is none', () => {
  expect(certificateNames('DNS:a.example.com, IP Address:127.0.0.1, DNS:*.Example.com', 'CN=ignored.example.com')).toEqual(['a.example.com', '*.example.com']);
  expect(certificateNames(undefined, 'O=Someone\nCN=Legacy.example.com')).toEqual(['legacy.example.com']);
  expect(certificateNames('IP Address:127.0.0.1', 'O=No name')).toEqual([]);
});

test('only plain DNS names may be issued for (they become folder names)', () => {
  expect(['app.example.com', 'a', 'x-1.y'].map(isIssuableHostname)).toEqual([true, true, true]);
  expect(['', '*.example.com', '../etc', 'a/b', 'a..b', '-a.b', 'a-.b', 'é.example', `${'a'.repeat(64)}.com`].map(isIssuableHostname))
    .toEqual([false, false, false, false, false, false, false, false, false]);
  expect(normalizeHostname(' App.Example.com. ')).toBe('app.example.com');
});
