import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createVmessUser } from './account.js';
import { deriveRequestHeaderKeys, openRequestHeaderLength, openRequestHeaderPayload } from './aead.js';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  fnv1a32,
  formatIpv6,
  parseIpv6,
  type RequestHeader,
  type VmessAddress,
} from './codec.js';
import { COMMAND, SECURITY } from './consts.js';
import { loadCaptures } from './testdata/captures.js';

function header(overrides: Partial<RequestHeader> = {}): RequestHeader {
  return {
    version: 1,
    bodyIv: Buffer.alloc(16, 0xaa),
    bodyKey: Buffer.alloc(16, 0xbb),
    responseAuth: 0x42,
    options: 0x0d,
    security: SECURITY.aes128Gcm,
    command: COMMAND.tcp,
    address: { kind: 'domain', value: 'example.com' },
    port: 443,
    ...overrides,
  };
}

/** The plaintext header of a sealed AEAD request. */
function openCapturedHeader(request: Buffer, uuid: string): Buffer {
  const user = createVmessUser(uuid, { tag: 0 });
  const authId = request.subarray(0, 16);
  const keys = deriveRequestHeaderKeys(user.id.cmdKey, authId, request.subarray(34, 42));
  const length = openRequestHeaderLength(keys, authId, request.subarray(16, 34))!;
  return openRequestHeaderPayload(keys, authId, request.subarray(42, 42 + length + 16))!;
}

const addresses: VmessAddress[] = [
  { kind: 'ipv4', value: '127.0.0.1' },
  { kind: 'ipv4', value: '255.0.10.1' },
  { kind: 'ipv6', value: '2001:db8::1' },
  { kind: 'ipv6', value: '::' },
  { kind: 'ipv6', value: 'fe80::1:2:3:4' },
  { kind: 'domain', value: 'example.com' },
  { kind: 'domain', value: 'reverse.internal.v2ray.com' },
  { kind: 'domain', value: 'a_b-c.D' },
];

describe('request header plaintext', () => {
  test.each([
    ...addresses.flatMap((address) => [COMMAND.tcp, COMMAND.udp].map((command) => ({ address, command }))),
    { address: { kind: 'domain', value: 'v1.mux.cool' } as VmessAddress, command: COMMAND.mux },
  ])('round trip $command $address.kind $address.value', ({ address, command }) => {
    for (const security of [SECURITY.legacy, SECURITY.aes128Gcm, SECURITY.chacha20Poly1305, SECURITY.none]) {
      for (const paddingLength of [0, 1, 15]) {
        const input = header({ address, command, security, port: command === COMMAND.mux ? 0 : 8080 });
        const plain = encodeRequestHeader(input, { paddingLength });
        const expectedLength = 38 + (command === COMMAND.mux ? 0 : 3 + (plain[40] === 2 ? 1 + plain[41]! : plain[40] === 1 ? 4 : 16)) + paddingLength + 4;
        expect(decodeRequestHeader(plain)).toEqual({ status: 'done', length: expectedLength, header: input });
      }
    }
  });

  test('fixed vector: the header a v2ray 4.34 client sealed (aes-128-gcm)', () => {
    const { uuid, clientCaptures } = loadCaptures();
    const capture = clientCaptures.find((entry) => entry.security === SECURITY.aes128Gcm && entry.alterId === 0)!;
    const plain = openCapturedHeader(Buffer.from(capture.request, 'hex'), uuid);
    const decoded = decodeRequestHeader(plain);
    if (decoded.status !== 'done') throw new Error(decoded.status);
    expect({ ...decoded.header, bodyIv: 'x', bodyKey: 'x', responseAuth: 0 }).toEqual({
      version: 1,
      bodyIv: 'x',
      bodyKey: 'x',
      responseAuth: 0,
      options: 0x0d,
      security: SECURITY.aes128Gcm,
      command: COMMAND.tcp,
      address: { kind: 'ipv4', value: '127.0.0.1' },
      port: 7,
    });
    // Re-encoding with the same padding gives the same bytes, FNV included.
    const padding = plain.subarray(45, decoded.length - 4);
    expect(encodeRequestHeader(decoded.header, { paddingLength: padding.length, padding }).equals(plain)).toBe(true);
  });

  test('chunking: every prefix asks for more; bytes after the checksum are ignored', () => {
    const plain = encodeRequestHeader(header(), { paddingLength: 9 });
    for (let cut = 0; cut < plain.length; cut++) expect(decodeRequestHeader(plain.subarray(0, cut)).status).toBe('need-more');
    const decoded = decodeRequestHeader(Buffer.concat([plain, randomBytes(20)]));
    expect(decoded.status === 'done' && decoded.length).toBe(plain.length);
  });

  test('tamper: any flipped byte fails (FNV) or leaves the header incomplete, never decodes', () => {
    for (const input of [header(), header({ command: COMMAND.mux }), header({ address: { kind: 'ipv6', value: '::1' } })]) {
      const plain = encodeRequestHeader(input, { paddingLength: 3 });
      for (let i = 0; i < plain.length; i++) {
        for (const bit of [0x01, 0x80]) {
          const copy = Buffer.from(plain);
          copy[i]! ^= bit;
          expect(decodeRequestHeader(copy).status, `byte ${i}`).not.toBe('done');
        }
      }
    }
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(['need-more', 'done', 'fail']).toContain(decodeRequestHeader(Buffer.from(bytes)).status);
      }),
      { numRuns: 500 },
    );
  });

  /** A header whose domain field holds `domain` as raw bytes (valid FNV). */
  function withDomain(domain: Buffer): Buffer {
    const fixed = encodeRequestHeader(header({ command: COMMAND.mux }), { paddingLength: 0 }).subarray(0, 38);
    fixed[37] = COMMAND.tcp;
    const body = Buffer.concat([fixed, Buffer.from([0x01, 0xbb, 0x02, domain.length]), domain, Buffer.alloc(4)]);
    body.writeUInt32BE(fnv1a32(body, 0, body.length - 4), body.length - 4);
    return body;
  }

  test.each([
    ['1.2.3.4', { kind: 'ipv4', value: '1.2.3.4' }],
    ['[::1]', { kind: 'ipv6', value: '::1' }],
    ['0::ffff:10.0.0.1', { kind: 'ipv4', value: '10.0.0.1' }],
    ['2001:db8::5', { kind: 'ipv6', value: '2001:db8::5' }],
    ['1.example', { kind: 'domain', value: '1.example' }],
    ['localhost', { kind: 'domain', value: 'localhost' }],
  ])('domain field %j reads as %j', (domain, expected) => {
    const decoded = decodeRequestHeader(withDomain(Buffer.from(domain)));
    expect(decoded.status === 'done' && decoded.header.address).toEqual(expected);
  });

  test.each(['bad domain', 'a:b', 'ümlaut.de', ''])('domain field %j is an invalid address', (domain) => {
    const decoded = decodeRequestHeader(withDomain(Buffer.from(domain)));
    expect(decoded.status === 'fail' && decoded.error.message).toMatch(/invalid remote address/);
  });

  test('an IPv4-mapped IPv6 address reads as IPv4 (Go net.IPAddress)', () => {
    const plain = encodeRequestHeader(header({ address: { kind: 'ipv6', value: '::ffff:192.168.1.2' } }), { paddingLength: 0 });
    const decoded = decodeRequestHeader(plain);
    expect(decoded.status === 'done' && decoded.header.address).toEqual({ kind: 'ipv4', value: '192.168.1.2' });
  });

  test('security: 0 reads as legacy; auto and 6..15 are rejected after the checksum', () => {
    const withSecurity = (security: number) => decodeRequestHeader(encodeRequestHeader(header({ security }), { paddingLength: 0 }));
    const zero = withSecurity(0);
    expect(zero.status === 'done' && zero.header.security).toBe(SECURITY.legacy);
    for (const security of [SECURITY.auto, 6, 15]) {
      const result = withSecurity(security);
      expect(result.status === 'fail' && result.error.code).toBe('PH_VMESS_BAD_HEADER');
    }
  });

  test('an unknown command has no address', () => {
    const plain = encodeRequestHeader(header({ command: COMMAND.mux }), { paddingLength: 0 });
    plain[37] = 0x09;
    plain.writeUInt32BE(fnv1a32(plain, 0, plain.length - 4), plain.length - 4);
    const result = decodeRequestHeader(plain);
    expect(result.status === 'fail' && result.error.message).toMatch(/invalid remote address/);
  });

  test('encode rejects targets it cannot write', () => {
    expect(() => encodeRequestHeader(header({ address: { kind: 'ipv4', value: '1.2.3' } }))).toThrow(/IPv4/);
    expect(() => encodeRequestHeader(header({ address: { kind: 'domain', value: 'x'.repeat(256) } }))).toThrow(/domain/);
  });
});

describe('IPv6 text', () => {
  test.each([
    ['::', '::'],
    ['::1', '::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
  ])('%s → %s', (text, canonical) => {
    expect(formatIpv6(parseIpv6(text)!)).toBe(canonical);
  });

  test('rejects non-IPv6 and zones', () => {
    expect([parseIpv6('1.2.3.4'), parseIpv6('fe80::1%eth0'), parseIpv6('example')]).toEqual([undefined, undefined, undefined]);
  });
});

describe('response header plaintext', () => {
  test('round trip, with and without a command', () => {
    for (const input of [
      { responseAuth: 7, options: 0, command: 0, commandData: Buffer.alloc(0) },
      { responseAuth: 255, options: 1, command: 1, commandData: randomBytes(30) },
    ]) {
      const plain = encodeResponseHeader(input);
      expect(decodeResponseHeader(plain)).toEqual({ status: 'done', length: plain.length, header: input });
      for (let cut = 0; cut < plain.length; cut++) expect(decodeResponseHeader(plain.subarray(0, cut)).status).toBe('need-more');
    }
  });

  test('a 4.34 server sends [V, 0, 0, 0]', () => {
    expect(encodeResponseHeader({ responseAuth: 0x42, options: 0, command: 0, commandData: Buffer.alloc(0) }).toString('hex')).toBe('42000000');
  });
});
