import { describe, expect, it } from 'vitest';
import { chooseEncoding, etagMatches } from './content-encoding.js';

describe('chooseEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
    ['deflate', 'identity'],
    ['br;q=0', 'identity'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.9', 'gzip'],
    ['br;q=0.9, gzip;q=0.9', 'br'],
    ['*', 'br'],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['br;q=nonsense, gzip', 'gzip'],
    ['br;q=1.5, gzip', 'gzip'],
    ['identity;q=1, *;q=0', 'identity'],
    [' , ;q=1, br ; q = 0.2', 'br'],
  ] as const)('%j → %s', (header, encoding) => {
    expect(chooseEncoding(header)).toBe(encoding);
  });
});

describe('etagMatches', () => {
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['"abc-br"', false],
    ['*', true],
    ['"ab"', false],
  ] as const)('If-None-Match %j against "abc" → %s', (header, matches) => {
    expect(etagMatches(header, '"abc"')).toBe(matches);
  });
});
