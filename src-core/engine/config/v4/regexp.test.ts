import { describe, expect, it } from 'vitest';
import { RegexpSyntaxError, compileRe2, translateRe2 } from './regexp.js';

/** Accept/reject verdicts taken from the real v2ray 4.34 (Go 1.19 regexp) on routing `regexp:` rules. */
const VERDICTS: [pattern: string, accepted: boolean][] = [
  ['\\-', true], ['a{,3}', true], ['(?i)abc', true], ['[[:alpha:]]+', true], ['[[:^alpha:]]', true],
  ['a(?=b)', false], ['\\1', false], ['\\q', false], ['\\_', true], ['(?P<n>a)', true], ['(?<n>a)', false],
  ['a{1001}', false], ['a{2,1}', false], ['\\pL', true], ['\\p{Greek}', true], ['[\\b]', false], ['\\Qa.b\\E', true],
  ['\\x{41}', true], ['\\101', true], ['\\8', false], ['[a-\\d]', false], ['a**', false], ['[]a]', true], ['\\z', true],
  ['\\C', false], [')', false], ['a|*', false], ['^(www\\.)?example\\.com$', true], ['(a', false],
];

describe('translateRe2 agrees with Go regexp on accept/reject', () => {
  it.each(VERDICTS)('%s → accepted: %s', (pattern, accepted) => {
    const run = (): unknown => translateRe2(pattern);
    if (accepted) expect(run).not.toThrow();
    else expect(run).toThrow(RegexpSyntaxError);
  });

  it.each(['(?i:a)b', 'x(?i)y', '(?U)a+'])('reports %s (accepted by RE2) as not supported by Porthole yet', (pattern) => {
    expect(() => translateRe2(pattern)).toThrow(expect.objectContaining({ unsupported: true }));
  });
});

describe('compileRe2 matches like RE2', () => {
  const MATCHES: [pattern: string, input: string, match: boolean][] = [
    ['\\-', 'a-b', true],
    ['a{,3}', 'a{,3}', true],
    ['a{,3}', 'aaa', false],
    ['(?i)abc', 'xABCx', true],
    ['^[[:alpha:]]+$', 'abcXYZ', true],
    ['^[[:alpha:]]+$', 'abc1', false],
    ['^[[:^alpha:]]+$', '123.-', true],
    ['^(?P<sub>[a-z]+)\\.example\\.com$', 'www.example.com', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['^\\x{41}\\101$', 'AA', true],
    ['\\Aab\\z', 'ab', true],
    ['\\Aab\\z', 'xab', false],
    ['a.b', 'a\rb', true],
    ['a.b', 'a\nb', false],
    ['(?s)a.b', 'a\nb', true],
    ['a\\sb', 'a\u00a0b', false],
    ['a\\sb', 'a b', true],
    ['[]a]+', ']a]', true],
    ['\\pL+', 'été', true],
    ['\\p{Greek}', 'αβ', true],
    ['example', 'www.example.com', true],
  ];
  it.each(MATCHES)('%s on %j → %s', (pattern, input, match) => {
    expect(compileRe2(pattern).test(input)).toBe(match);
  });
});
