import { describe, expect, it } from 'vitest';
import { formatIp, parseAddress, parseIp, parseStringPort, parseUuid, portFromString, splitHostPort } from './net.js';

describe('parseUuid (V2Ray common/uuid, lenient)', () => {
  const CANONICAL = '27848739-7e62-4138-9fd3-098a63964b6b';
  it.each([
    ['27848739-7e62-4138-9fd3-098a63964b6b', CANONICAL],
    ['278487397e6241389fd3098a63964b6b', CANONICAL],
    ['27848739-7E62-4138-9FD3-098A63964B6Bxyz', CANONICAL],
    ['-27848739-7e62-4138-9fd3-098a63964b6b', CANONICAL],
    ['27848739-7e624138-9fd3098a63964b6b', CANONICAL],
    ['-27848739-7e62-4138-9fd3-098a63964b6', undefined],
    ['27848739-7e62-4138-9fd3-098a63964b6', undefined],
    ['2784873-97e62-4138-9fd3-098a63964b6b', undefined],
    ['27848739--7e62-4138-9fd3-098a63964b6b', undefined],
    ['27848739-7e62-4138-9fd3-098a6396-4b6b', undefined],
    ['not-a-uuid', undefined],
    ['', undefined],
    ['z7848739-7e62-4138-9fd3-098a63964b6b', undefined],
  ])('%j → %j', (input, expected) => {
    expect(parseUuid(input)).toBe(expected);
  });
});

describe('parseIp / formatIp (Go net.ParseIP, then V2Ray IPAddress)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8::68', '2001:db8::68'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['1:0:0:4:0:0:0:8', '1:0:0:4::8'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['01.2.3.4', undefined],
    ['1.2.3', undefined],
    ['256.1.1.1', undefined],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7:8::', undefined],
    ['fe80::1%eth0', undefined],
    ['12345::', undefined],
    [':1', undefined],
    ['1:', undefined],
    ['example.com', undefined],
  ])('%j → %j', (input, expected) => {
    const ip = parseIp(input);
    expect(ip ? formatIp(ip) : undefined).toBe(expected);
  });
});

describe('parseAddress (V2Ray net.ParseAddress)', () => {
  it.each([
    ['[::1]', { kind: 'ip', text: '::1' }],
    [' 1.2.3.4 ', { kind: 'ip', text: '1.2.3.4' }],
    ['Example.COM', { kind: 'domain', text: 'Example.COM' }],
    ['portal的IP地址', { kind: 'domain', text: 'portal的IP地址' }],
  ])('%j → %j', (input, expected) => {
    expect(parseAddress(input)).toMatchObject(expected);
  });
});

describe('splitHostPort (Go net.SplitHostPort)', () => {
  it.each([
    ['127.0.0.1:80', { host: '127.0.0.1', port: '80' }],
    [':80', { host: '', port: '80' }],
    ['[::1]:80', { host: '::1', port: '80' }],
    ['example.com:', { host: 'example.com', port: '' }],
    ['::1:80', 'too many colons in address'],
    ['example.com', 'missing port in address'],
    ['[::1]', 'missing port in address'],
    ['[::1', "missing ']' in address"],
    ['[::1]x:80', 'missing port in address'],
    ['[::1]]:80', 'missing port in address'],
    ['[::1]:80:90', 'too many colons in address'],
    ['a]:80', "unexpected ']' in address"],
    ['a[:80', "unexpected '[' in address"],
  ])('%j → %j', (input, expected) => {
    expect(splitHostPort(input)).toEqual(expected);
  });
});

describe('ports', () => {
  it.each([
    ['80', 80], ['0', 0], ['65535', 65535], ['65536', undefined], ['+80', undefined], [' 80', undefined], ['', undefined],
  ])('portFromString(%j) → %j', (input, expected) => {
    expect(portFromString(input)).toBe(expected);
  });

  it.each([
    ['80', { from: 80, to: 80 }],
    ['1000-2000', { from: 1000, to: 2000 }],
    ['2000-1000', { from: 2000, to: 1000 }],
    ['env:PORT', { from: 8080, to: 8080 }],
    ['env:RANGE', { from: 1, to: 9 }],
    ['env:MISSING', 'invalid port ""'],
    ['1000 - 2000', 'invalid port range "1000 - 2000"'],
    ['80-', 'invalid port range "80-"'],
    ['abc', 'invalid port "abc"'],
  ])('parseStringPort(%j) → %j', (input, expected) => {
    expect(parseStringPort(input, { PORT: '8080', RANGE: '1-9' })).toEqual(expected);
  });
});
