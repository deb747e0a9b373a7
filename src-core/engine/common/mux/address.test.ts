import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../errors.js';
import { AddressType, type MuxAddress, decodeAddress, encodeAddress, formatIPv6, parseIPv4, parseIPv6 } from './address.js';

/** A domain address on the wire: 02 ‖ len ‖ name. */
function domainBytes(name: string | Buffer): Buffer {
  const bytes = typeof name === 'string' ? Buffer.from(name, 'latin1') : name;
  return Buffer.concat([Buffer.of(AddressType.Domain, bytes.length), bytes]);
}

function decodeDomain(name: string | Buffer): MuxAddress {
  return decodeAddress(domainBytes(name), 0).address;
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return hasErrorCode(error, 'PH_MUX_BAD_FRAME') ? 'PH_MUX_BAD_FRAME' : `unexpected ${String(error)}`;
  }
  return undefined;
}

describe('IPv6 text', () => {
  it.each([
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:db8::1:0:0:1', '20010db8000000000001000000000001'],
    ['2001:db8:0:1:1:1:1:1', '20010db8000000010001000100010001'],
    ['fe80::', 'fe800000000000000000000000000000'],
    ['::102:304', '00000000000000000000000001020304'],
  ])('%s is the RFC 5952 form of %s, and parses back', (text, hex) => {
    expect(formatIPv6(Buffer.from(hex, 'hex'))).toBe(text);
    expect(parseIPv6(text)?.toString('hex')).toBe(hex);
  });

  it('parses the other spellings Go accepts', () => {
    expect(parseIPv6('2001:DB8:0:0:0:0:0:1')?.toString('hex')).toBe('20010db8000000000000000000000001');
    expect(parseIPv6('::ffff:1.2.3.4')?.toString('hex')).toBe('00000000000000000000ffff01020304');
    expect(parseIPv6('1:2:3:4:5:6:1.2.3.4')?.toString('hex')).toBe('00010002000300040005000601020304');
    expect(parseIPv6('1:2:3:4:5:6:7::')?.toString('hex')).toBe('00010002000300040005000600070000');
  });

  it.each(['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '12345::', 'fe80::1%eth0', '1.2.3.4::', 'g::1', ':1', '1:'])(
    'rejects %j',
    (text) => {
      expect(parseIPv6(text)).toBeUndefined();
    },
  );

  it('formats any 16 bytes as WHATWG URL serialisation does (same RFC 5952 rules) and parses them back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, sparse) => {
        const ip = Buffer.from(bytes);
        if (sparse) for (let i = 0; i < 16; i += 4) ip.fill(0, i, i + 2);
        const text = formatIPv6(ip);
        expect(parseIPv6(text)?.equals(ip)).toBe(true);
        if (!text.includes('.')) expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
      }),
    );
  });
});

describe('IPv4 text', () => {
  it('accepts dotted quads and rejects leading zeros, as Go 1.19 does', () => {
    expect(parseIPv4('127.0.0.1')?.toString('hex')).toBe('7f000001');
    expect(parseIPv4('255.255.255.255')?.toString('hex')).toBe('ffffffff');
    expect(parseIPv4('0.10.100.0')?.toString('hex')).toBe('000a6400');
    for (const bad of ['01.2.3.4', '1.2.3.04', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4 ', '', 'a.b.c.d', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.2555']) {
      expect(parseIPv4(bad)).toBeUndefined();
    }
  });
});

describe('decodeAddress', () => {
  it('reads IPv4, IPv6 and domains', () => {
    expect(decodeAddress(Buffer.from('017f000001', 'hex'), 0)).toEqual({ address: { type: AddressType.IPv4, host: '127.0.0.1' }, end: 5 });
    expect(decodeAddress(Buffer.from('ff0300000000000000000000000000000001', 'hex'), 1)).toEqual({
      address: { type: AddressType.IPv6, host: '::1' },
      end: 18,
    });
    expect(decodeAddress(domainBytes('v2ray.com'), 0)).toEqual({ address: { type: AddressType.Domain, host: 'v2ray.com' }, end: 11 });
  });

  it('turns an IPv4-mapped IPv6 address into IPv4 (Go net.IPAddress)', () => {
    expect(decodeAddress(Buffer.from('0300000000000000000000ffff0a000001', 'hex'), 0).address).toEqual({ type: AddressType.IPv4, host: '10.0.0.1' });
  });

  it('turns a domain that is an IP literal into that IP, as Go ParseAddress does', () => {
    expect(decodeDomain('127.0.0.1')).toEqual({ type: AddressType.IPv4, host: '127.0.0.1' });
    expect(decodeDomain('[::1]')).toEqual({ type: AddressType.IPv6, host: '::1' });
    expect(decodeDomain('[1.2.3.4]')).toEqual({ type: AddressType.IPv4, host: '1.2.3.4' });
    expect(decodeDomain('1.2.3.4 ')).toEqual({ type: AddressType.IPv4, host: '1.2.3.4' });
    expect(decodeDomain('0::ffff:1.2.3.4')).toEqual({ type: AddressType.IPv4, host: '1.2.3.4' });
    expect(decodeDomain('2001:db8::1')).toEqual({ type: AddressType.IPv6, host: '2001:db8::1' });
  });

  it('keeps digit-first names that are not IPs as domains', () => {
    expect(decodeDomain('01.2.3.4')).toEqual({ type: AddressType.Domain, host: '01.2.3.4' });
    expect(decodeDomain('1password.com')).toEqual({ type: AddressType.Domain, host: '1password.com' });
    expect(decodeDomain('A-b_c.D')).toEqual({ type: AddressType.Domain, host: 'A-b_c.D' });
  });

  it.each([
    ['an empty domain (4.34 panics on it)', domainBytes('')],
    ['a space', domainBytes('exa mple.com')],
    ['a colon-first IPv6 text (only [ or a digit trigger IP parsing)', domainBytes('::1')],
    ['non-ASCII', domainBytes(Buffer.from('bücher.de', 'utf8'))],
    ['an unknown address type', Buffer.from('047f000001', 'hex')],
    ['a truncated IPv4', Buffer.from('017f00', 'hex')],
    ['a truncated IPv6', Buffer.from('03000000', 'hex')],
    ['a truncated domain', Buffer.from('020a616263', 'hex')],
    ['a missing domain length', Buffer.from('02', 'hex')],
    ['a missing type', Buffer.alloc(0)],
  ])('rejects %s with PH_MUX_BAD_FRAME', (_what, bytes) => {
    expect(errorCode(() => decodeAddress(bytes, 0))).toBe('PH_MUX_BAD_FRAME');
  });
});

describe('encodeAddress', () => {
  it('writes type and bytes', () => {
    expect(encodeAddress({ type: AddressType.IPv4, host: '127.0.0.1' }).toString('hex')).toBe('017f000001');
    expect(encodeAddress({ type: AddressType.IPv6, host: '[::1]' }).toString('hex')).toBe('0300000000000000000000000000000001');
    expect(encodeAddress({ type: AddressType.Domain, host: 'example.com' }).toString('hex')).toBe(`020b${Buffer.from('example.com').toString('hex')}`);
  });

  it.each([
    { type: AddressType.IPv4, host: '::1' },
    { type: AddressType.IPv6, host: '1.2.3.4' },
    { type: AddressType.Domain, host: '' },
    { type: AddressType.Domain, host: 'a'.repeat(256) },
    { type: AddressType.Domain, host: 'bad domain' },
    { type: 9 as AddressType, host: 'x' },
  ])('refuses %j with PH_MUX_BAD_FRAME (a 4.34 peer would drop the whole link)', (address) => {
    expect(errorCode(() => encodeAddress(address))).toBe('PH_MUX_BAD_FRAME');
  });

  it('accepts a 255-byte domain', () => {
    expect(encodeAddress({ type: AddressType.Domain, host: 'a'.repeat(255) }).length).toBe(257);
  });
});
