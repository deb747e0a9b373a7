/**
 * SOCKS 4/4a/5 codec (socks/codec.ts): tables of bytes in → value or refusal out, the byte
 * vectors V2Ray 4.34 answers (captured from the real binary, socks.integration.test.ts compares
 * the whole exchanges), every prefix of a message read as "need more", and fast-check properties:
 * random and mutated input never throws (only PH_SOCKS_BAD_REQUEST refusals) and nothing is
 * buffered past the caps. The doubtful domain cases were put to the real v2ray 4.34 (Debian's
 * build, go1.19): "127.0.0.1 ", "127.0.0.1\u00a0" and "[127.0.0.1]" are connected to as the IP,
 * "1::%x" and "" are refused as invalid domain names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortholeError } from '../../common/errors.js';
import type { Address } from '../../common/net.js';
import {
  encodeAddressPort, encodeMethodChoice, encodePasswordStatus, encodeReply, encodeSocks4Reply, encodeUdpDatagram, parseAddressPort, parseGreeting,
  parseRequestHead, parseUdpDatagram, parseUserPassword, type Parse,
} from './codec.js';
import { MAX_NULL_TERMINATED_BYTES } from './consts.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const bytes = (...parts: Array<number[] | string>) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

/** The outcome in one comparable line: `need-more`, `fail: message`, or the value without `status`. */
function outcome<T>(parsed: Parse<T>): unknown {
  if (parsed.status === 'need-more') return 'need-more';
  if (parsed.status === 'fail') return `fail: ${parsed.error.message}`;
  const { status: _status, ...value } = parsed;
  return value;
}

/** Every strict prefix of `message` needs more; the whole reads as `expected`. */
function expectPrefixesNeedMore<T>(parse: (input: Buffer) => Parse<T>, message: Buffer): void {
  for (let length = 0; length < message.length; length += 1) {
    expect(parse(message.subarray(0, length)).status, `prefix of ${length} bytes`).toBe('need-more');
  }
}

describe('SOCKS 5 greeting and SOCKS 4/4a request (parseGreeting)', () => {
  it.each<[string, Buffer, unknown]>([
    ['SOCKS 5, no auth', hex('05 01 00'), { used: 3, greeting: { version: 5, methods: hex('00') } }],
    ['SOCKS 5, three methods', hex('05 03 00 01 02 ff'), { used: 5, greeting: { version: 5, methods: hex('00 01 02') } }],
    ['SOCKS 5, no methods at all', hex('05 00'), { used: 2, greeting: { version: 5, methods: hex('') } }],
    ['SOCKS 4 CONNECT, user id', bytes([4, 1, 0x1f, 0x90, 10, 0, 0, 1], 'me', [0]), { used: 11, greeting: { version: 4, command: 1, port: 8080, address: { kind: 'ipv4', value: '10.0.0.1' }, userId: 'me' } }],
    ['SOCKS 4a: IP 0.0.0.x, then the domain', bytes([4, 1, 0, 80, 0, 0, 0, 9], [0], 'example.com', [0]), { used: 21, greeting: { version: 4, command: 1, port: 80, address: { kind: 'domain', value: 'example.com' }, userId: '' } }],
    ['SOCKS 4 BIND is parsed (the inbound refuses it)', bytes([4, 2, 0, 80, 1, 2, 3, 4], [0]), { used: 9, greeting: { version: 4, command: 2, port: 80, address: { kind: 'ipv4', value: '1.2.3.4' }, userId: '' } }],
    ['an unknown version', hex('06 01 00'), 'fail: socks: unknown Socks version: 6'],
    ['HTTP sent to a SOCKS port', Buffer.from('GET / HTTP/1.1\r\n'), 'fail: socks: unknown Socks version: 71'],
  ])('%s', (_name, input, expected) => {
    expect(outcome(parseGreeting(input))).toEqual(expected);
  });

  it('keeps bytes after the greeting for the next stage (used counts only its own)', () => {
    const parsed = parseGreeting(hex('05 01 02 01 01 61 01 62'));
    expect(parsed.status === 'ok' && parsed.used).toBe(3);
  });

  it.each([
    ['SOCKS 5', hex('05 02 00 02')],
    ['SOCKS 4', bytes([4, 1, 0, 80, 1, 2, 3, 4], 'user', [0])],
    ['SOCKS 4a', bytes([4, 1, 0, 80, 0, 0, 0, 1], 'user', [0], 'host', [0])],
  ])('reads every strict prefix of a %s greeting as need-more', (_name, message) => {
    expectPrefixesNeedMore(parseGreeting, message);
    expect(parseGreeting(message).status).toBe('ok');
  });

  it(`caps a SOCKS 4 user id and a 4a domain at ${MAX_NULL_TERMINATED_BYTES - 1} bytes, as 4.34's 2048-byte buffer does`, () => {
    const head = [4, 1, 0, 80, 0, 0, 0, 1];
    const longest = 'a'.repeat(MAX_NULL_TERMINATED_BYTES - 1);
    expect(parseGreeting(bytes(head, longest, [0], 'h', [0])).status).toBe('ok');
    expect(outcome(parseGreeting(bytes(head, `${longest}a`, [0])))).toBe('fail: socks: buffer overrun in the SOCKS 4 user id');
    // Refused as soon as the cap is reached, without waiting for a NUL that may never come.
    expect(outcome(parseGreeting(bytes(head, `${longest}a`)))).toBe('fail: socks: buffer overrun in the SOCKS 4 user id');
    expect(parseGreeting(bytes(head, longest)).status).toBe('need-more');
    expect(parseGreeting(bytes(head, [0], longest, [0])).status).toBe('ok');
    expect(outcome(parseGreeting(bytes(head, [0], `${longest}a`)))).toBe('fail: socks: failed to read domain for socks 4a > buffer overrun');
  });
});

describe('username/password (RFC 1929, parseUserPassword)', () => {
  it.each<[string, Buffer, unknown]>([
    ['a name and a password', bytes([1, 5], 'alice', [6], 'secret'), { used: 14, user: 'alice', password: 'secret', utf8: true }],
    ['empty name and password', hex('01 00 00'), { used: 3, user: '', password: '', utf8: true }],
    ['the VER byte is not checked (as in 4.34)', bytes([9, 1], 'u', [1], 'p'), { used: 5, user: 'u', password: 'p', utf8: true }],
    ['UTF-8 text', bytes([1, 2], [...Buffer.from('é')], [3], [...Buffer.from('€')]), { used: 8, user: 'é', password: '€', utf8: true }],
    ['a password that is not UTF-8 matches no account', hex('01 01 75 01 ff'), { used: 5, user: 'u', password: '', utf8: false }],
    ['nor does a name that is not UTF-8', hex('01 01 ff 01 70'), { used: 5, user: '\ufffd', password: 'p', utf8: false }],
  ])('%s', (_name, input, expected) => {
    expect(outcome(parseUserPassword(input))).toEqual(expected);
  });

  it('reads every strict prefix as need-more, and stops at its own end', () => {
    const message = bytes([1, 5], 'alice', [6], 'secret');
    expectPrefixesNeedMore(parseUserPassword, message);
    const parsed = parseUserPassword(Buffer.concat([message, hex('05 01 00')]));
    expect(parsed.status === 'ok' && parsed.used).toBe(message.length);
  });
});

describe('request and addresses (parseRequestHead, parseAddressPort)', () => {
  it('reads VER | CMD | RSV without checking VER or RSV, as 4.34 does', () => {
    expect(outcome(parseRequestHead(hex('05 01 00')))).toEqual({ used: 3, command: 1 });
    expect(outcome(parseRequestHead(hex('00 03 ff')))).toEqual({ used: 3, command: 3 });
    expect(parseRequestHead(hex('05 01')).status).toBe('need-more');
  });

  const port = [0x01, 0xbb];
  it.each<[string, Buffer, unknown]>([
    ['IPv4', bytes([1, 192, 0, 2, 1], port), { used: 7, address: { kind: 'ipv4', value: '192.0.2.1' }, port: 443 }],
    ['IPv6, written canonically', bytes([4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], port), { used: 19, address: { kind: 'ipv6', value: '2001:db8::1' }, port: 443 }],
    ['an IPv4-mapped IPv6 address is IPv4 (Go net.IPAddress)', bytes([4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1], port), { used: 19, address: { kind: 'ipv4', value: '127.0.0.1' }, port: 443 }],
    ['a domain', bytes([3, 11], 'example.com', port), { used: 15, address: { kind: 'domain', value: 'example.com' }, port: 443 }],
    ['a domain with "_" and "-"', bytes([3, 7], '_a-b.cd', port), { used: 11, address: { kind: 'domain', value: '_a-b.cd' }, port: 443 }],
    ['a domain that reads as IPv4', bytes([3, 9], '127.0.0.1', port), { used: 13, address: { kind: 'ipv4', value: '127.0.0.1' }, port: 443 }],
    ['a domain that reads as IPv6 in brackets', bytes([3, 5], '[::1]', port), { used: 9, address: { kind: 'ipv6', value: '::1' }, port: 443 }],
    ['a domain that reads as IPv4 in brackets (v2ray connects to it)', bytes([3, 11], '[127.0.0.1]', port), { used: 15, address: { kind: 'ipv4', value: '127.0.0.1' }, port: 443 }],
    ['an IP with a trailing space (Go trims it; v2ray connects)', bytes([3, 10], '127.0.0.1 ', port), { used: 14, address: { kind: 'ipv4', value: '127.0.0.1' }, port: 443 }],
    ['an IP with a trailing UTF-8 no-break space (Go trims it too)', bytes([3, 11], '127.0.0.1', [0xc2, 0xa0], port), { used: 15, address: { kind: 'ipv4', value: '127.0.0.1' }, port: 443 }],
    ['IPv6 text starting with ":" is not tried as an IP (Go looks at the first character)', bytes([3, 16], '::ffff:127.0.0.1', port), 'fail: socks: invalid domain name: "::ffff:127.0.0.1"'],
    ['the same in brackets is IPv4', bytes([3, 18], '[::ffff:127.0.0.1]', port), { used: 22, address: { kind: 'ipv4', value: '127.0.0.1' }, port: 443 }],
    ['digits that are no IP are a domain', bytes([3, 15], '127.000.000.001', port), { used: 19, address: { kind: 'domain', value: '127.000.000.001' }, port: 443 }],
    ['an IPv6 with a zone is no IP for Go, and no valid domain', bytes([3, 5], '1::%x', port), 'fail: socks: invalid domain name: "1::%x"'],
    ['an empty domain', bytes([3, 0], port), 'fail: socks: invalid domain name: ""'],
    ['a domain with a space inside', bytes([3, 5], 'a b.c', port), 'fail: socks: invalid domain name: "a b.c"'],
    ['a domain with a byte above ASCII', bytes([3, 4], 'caf', [0xe9], port), 'fail: socks: invalid domain name: "café"'],
    ['an unknown address type', bytes([2, 1, 2, 3, 4], port), 'fail: socks: unknown address type: 2'],
  ])('%s', (_name, input, expected) => {
    expect(outcome(parseAddressPort(input, 0))).toEqual(expected);
  });

  it('reads at an offset, and every strict prefix of an address as need-more', () => {
    for (const address of [bytes([1, 1, 2, 3, 4], port), bytes([4, ...Array<number>(16).fill(1)], port), bytes([3, 3], 'a.b', port)]) {
      expectPrefixesNeedMore((input) => parseAddressPort(input, 0), address);
      expect(outcome(parseAddressPort(Buffer.concat([hex('05 01 00'), address]), 3))).toEqual(outcome(parseAddressPort(address, 0)));
    }
  });
});

describe('UDP datagrams (parseUdpDatagram, encodeUdpDatagram)', () => {
  const errorOf = (datagram: Buffer) => {
    const parsed = parseUdpDatagram(datagram);
    return 'error' in parsed ? `${parsed.error.code} ${parsed.error.message}` : undefined;
  };

  it('reads the destination and the payload', () => {
    const parsed = parseUdpDatagram(bytes([0, 0, 0, 1, 127, 0, 0, 1, 0, 53], 'query'));
    expect(parsed).toEqual({ address: { kind: 'ipv4', value: '127.0.0.1' }, port: 53, payload: Buffer.from('query') });
    expect(parseUdpDatagram(bytes([0, 0, 0, 3, 1], 'a', [0, 53]))).toEqual({ address: { kind: 'domain', value: 'a' }, port: 53, payload: Buffer.alloc(0) });
  });

  it.each<[string, Buffer, string]>([
    ['shorter than 5 bytes', hex('00 00 00 01'), 'PH_SOCKS_BAD_REQUEST socks: insufficient length of packet'],
    ['a fragment (FRAG ≠ 0)', hex('00 00 01 01 7f 00 00 01 00 35'), 'PH_SOCKS_BAD_REQUEST socks: discarding fragmented payload'],
    ['a truncated address', hex('00 00 00 01 7f 00'), 'PH_SOCKS_BAD_REQUEST socks: failed to read UDP header: truncated address'],
    ['a bad address type', hex('00 00 00 09 7f 00 00 01 00'), 'PH_SOCKS_BAD_REQUEST socks: unknown address type: 9'],
  ])('drops %s', (_name, datagram, expected) => {
    expect(errorOf(datagram)).toBe(expected);
  });

  it('round-trips what it writes back', () => {
    const datagram = encodeUdpDatagram({ kind: 'ipv6', value: '2001:db8::53' }, 53, Buffer.from('answer'));
    expect(datagram.subarray(0, 4)).toEqual(hex('00 00 00 04'));
    expect(parseUdpDatagram(datagram)).toEqual({ address: { kind: 'ipv6', value: '2001:db8::53' }, port: 53, payload: Buffer.from('answer') });
  });
});

describe('answers (the bytes 4.34 writes)', () => {
  it('writes the method choice, the password status, and the replies', () => {
    expect(encodeMethodChoice(0x00)).toEqual(hex('05 00'));
    expect(encodeMethodChoice(0xff)).toEqual(hex('05 ff'));
    expect(encodePasswordStatus(0x00)).toEqual(hex('01 00'));
    expect(encodePasswordStatus(0xff)).toEqual(hex('01 ff'));
    // Captured from v2ray: CONNECT succeeded, naming the inbound's listen address and port 1080.
    expect(encodeReply(0x00, { kind: 'ipv4', value: '127.0.0.1' }, 1080)).toEqual(hex('05 00 00 01 7f 00 00 01 04 38'));
    // BIND or an unknown command: 0x07 with 0.0.0.0:0.
    expect(encodeReply(0x07, { kind: 'ipv4', value: '0.0.0.0' }, 0)).toEqual(hex('05 07 00 01 00 00 00 00 00 00'));
    expect(encodeSocks4Reply(true)).toEqual(hex('00 5a 00 00 00 00 00 00'));
    expect(encodeSocks4Reply(false)).toEqual(hex('00 5b 00 00 00 00 00 00'));
  });

  it.each<Address>([
    { kind: 'ipv4', value: '10.1.2.3' },
    { kind: 'ipv6', value: '::1' },
    { kind: 'ipv6', value: 'fe80::1:2' },
    { kind: 'domain', value: 'example.com' },
    { kind: 'domain', value: 'a'.repeat(255) },
  ])('round-trips the address %j', (address) => {
    expect(outcome(parseAddressPort(encodeAddressPort(address, 65535), 0))).toMatchObject({ address, port: 65535 });
  });

  it('refuses to write a domain longer than 255 bytes with its own error', () => {
    expect(() => encodeAddressPort({ kind: 'domain', value: 'a'.repeat(256) }, 80)).toThrow(PortholeError);
  });
});

describe('whatever the bytes (fast-check)', () => {
  const parsers: Array<[string, (input: Buffer) => Parse<object>, number]> = [
    // The most a parser may hold while it answers need-more: beyond that it must decide.
    ['parseGreeting', parseGreeting, 8 + 2 * MAX_NULL_TERMINATED_BYTES],
    ['parseUserPassword', parseUserPassword, 3 + 255 + 255],
    ['parseRequestHead', parseRequestHead, 3],
    ['parseAddressPort', (input) => parseAddressPort(input, 0), 2 + 255 + 2],
  ];

  /** One parse: never a throw, a refusal only as PH_SOCKS_BAD_REQUEST, progress when ok, need-more only under the cap. */
  function checkOne(parse: (input: Buffer) => Parse<object>, cap: number, input: Buffer): void {
    const parsed = parse(input);
    if (parsed.status === 'fail') {
      expect(parsed.error).toBeInstanceOf(PortholeError);
      expect(parsed.error.code).toBe('PH_SOCKS_BAD_REQUEST');
    } else if (parsed.status === 'ok') {
      expect(parsed.used).toBeGreaterThan(0);
      expect(parsed.used).toBeLessThanOrEqual(input.length);
    } else {
      expect(input.length).toBeLessThan(cap);
    }
  }

  it.each(parsers)('%s: random bytes', (_name, parse, cap) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (input) => checkOne(parse, cap, Buffer.from(input))), { numRuns: 2000 });
  });

  /** Valid messages with bytes changed, and domains built from the characters that matter. */
  const domainish = fc.oneof(
    fc.stringMatching(/^[0-9a-fA-F:.[\]% _\u00a0-]{0,40}$/),
    // IPs dressed as Go and Node read them differently: zones, brackets, spaces.
    fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.constantFrom('', '%', '%eth0', ' ', '\u00a0', '\ufeff'), fc.boolean())
      .map(([ip, suffix, brackets]) => (brackets ? `[${ip}${suffix}]` : `${ip}${suffix}`)),
  );
  const valid = fc.oneof(
    fc.constant(bytes([5, 2, 0, 2])),
    fc.constant(bytes([1, 5], 'alice', [6], 'secret')),
    fc.constant(bytes([4, 1, 0, 80, 0, 0, 0, 1], 'id', [0], 'example.com', [0])),
    fc.constant(bytes([4, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80])),
    domainish.map((domain) => {
      const text = Buffer.from(domain, 'utf8').subarray(0, 255);
      return Buffer.concat([Buffer.from([3, text.length]), text, Buffer.from([0, 80])]);
    }),
  );
  const mutated = fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })).map(([message, edits]) => {
    const copy = Buffer.from(message);
    for (const [index, value] of edits) copy[index % copy.length] = value;
    return copy;
  });

  it.each(parsers)('%s: valid messages with bytes changed, and domain-like text', (_name, parse, cap) => {
    fc.assert(fc.property(mutated, (input) => checkOne(parse, cap, input)), { numRuns: 3000 });
  });

  it('parseUdpDatagram: random and mutated datagrams give a destination or a PH_SOCKS_BAD_REQUEST, never a throw', () => {
    const datagram = fc.oneof(fc.uint8Array({ maxLength: 300 }).map((input) => Buffer.from(input)), mutated.map((message) => Buffer.concat([Buffer.from([0, 0, 0]), message])));
    fc.assert(fc.property(datagram, (input) => {
      const parsed = parseUdpDatagram(input);
      if ('error' in parsed) expect(parsed.error.code).toBe('PH_SOCKS_BAD_REQUEST');
      else expect(parsed.payload.length).toBeLessThan(input.length);
    }), { numRuns: 3000 });
  });

  it('a domain that reads as an IP round-trips through the reply encoder', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`)), (ip) => {
      const text = Buffer.from(ip);
      const parsed = parseAddressPort(Buffer.concat([Buffer.from([3, text.length]), text, Buffer.from([0, 1])]), 0);
      expect(parsed.status).toBe('ok');
      if (parsed.status !== 'ok') return;
      expect(parsed.address.kind).not.toBe('domain');
      expect(outcome(parseAddressPort(encodeAddressPort(parsed.address, 1), 0))).toMatchObject({ address: parsed.address, port: 1 });
    }), { numRuns: 1000 });
  });
});
