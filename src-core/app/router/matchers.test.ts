import { describe, expect, it } from 'vitest';
import { CidrMatcher, DomainMatcher, portInRanges } from './matchers.js';

describe('DomainMatcher', () => {
  const matcher = new DomainMatcher([
    { kind: 'full', value: 'test.v2ray.com' },
    { kind: 'domain', value: 'example.org' },
    { kind: 'keyword', value: 'porthole' },
    { kind: 'regexp', value: '^api[0-9]+\\.' },
  ]);
  it.each([
    ['test.v2ray.com', true],
    ['a.test.v2ray.com', false],
    ['TEST.v2ray.com', false],
    ['example.org', true],
    ['www.example.org', true],
    ['badexample.org', false],
    ['my-porthole.dev', true],
    ['api12.service.net', true],
    ['xapi12.service.net', false],
    ['localhost', false],
  ])('%s → %s', (domain, expected) => {
    expect(matcher.matches(domain)).toBe(expected);
  });
});

describe('CidrMatcher', () => {
  const matcher = new CidrMatcher(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']);
  it.each([
    ['10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['fd12:3456::1', true],
    ['fe80::1', false],
    ['::1', true],
    ['not-an-ip', false],
  ])('%s → %s', (ip, expected) => {
    expect(matcher.matches(ip)).toBe(expected);
  });
});

describe('portInRanges', () => {
  it('checks inclusive ranges', () => {
    const ranges = [{ from: 80, to: 80 }, { from: 1000, to: 2000 }];
    expect([79, 80, 999, 1000, 2000, 2001].map((port) => portInRanges(port, ranges))).toEqual([false, true, false, true, true, false]);
  });
});
