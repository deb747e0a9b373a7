/**
 * VLESS codecs: round trips, byte vectors captured from the real v2ray 4.34 (its VLESS outbound
 * writing to a raw TCP listener), every split of the input, and tampering. VLESS has no
 * authentication or replay protection of its own (it relies on TLS), so "tamper" here means: a
 * changed version or UUID byte is refused, and a replayed header is accepted exactly as 4.34 does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Destination } from '../../common/net.js';
import { uuidBytes } from './account.js';
import { PacketDecoder, commandFor, decodeAddons, encodePacket, encodeRequestHeader, encodeResponseHeader, parseRequestHeader, parseResponseHeader } from './codec.js';
import { COMMAND } from './consts.js';

const UUID = uuidBytes('27848739-7e62-4138-9fd3-098a63964b6b');
const findUser = (uuid: Buffer) => (uuid.equals(UUID) ? 'alice' : undefined);

/** Captured from v2ray 4.34: dokodemo-door → vless outbound → a listener that records bytes. */
const V2RAY_VECTORS = [
  { name: 'TCP example.com:443 + "hello"', hex: '00278487397e6241389fd3098a63964b6b000101bb020b6578616d706c652e636f6d68656c6c6f', target: { network: 'tcp', address: { kind: 'domain', value: 'example.com' }, port: 443 }, body: '68656c6c6f' },
  { name: 'UDP 127.0.0.1:53 + packet "dns?"', hex: '00278487397e6241389fd3098a63964b6b00020035017f0000010004646e733f', target: { network: 'udp', address: { kind: 'ipv4', value: '127.0.0.1' }, port: 53 }, body: '0004646e733f' },
  { name: 'TCP [::1]:8080 + "x"', hex: '00278487397e6241389fd3098a63964b6b00011f90030000000000000000000000000000000178', target: { network: 'tcp', address: { kind: 'ipv6', value: '::1' }, port: 8080 }, body: '78' },
] as const;

function parseAll(bytes: Buffer) {
  return parseRequestHeader(bytes, findUser);
}

describe('VLESS request header', () => {
  it.each(V2RAY_VECTORS)('decodes v2ray bytes: $name', ({ hex, target, body }) => {
    const parsed = parseAll(Buffer.from(hex, 'hex'));
    expect(parsed.status === 'done' && { user: parsed.request.user, target: parsed.request.target, rest: parsed.rest.toString('hex') }).toEqual({ user: 'alice', target, rest: body });
  });

  it.each(V2RAY_VECTORS)('encodes the bytes v2ray writes: $name', ({ hex, target, body }) => {
    const header = encodeRequestHeader(UUID, commandFor(target as Destination), target as Destination);
    expect(Buffer.concat([header, Buffer.from(body, 'hex')]).toString('hex')).toBe(hex);
  });

  it('Mux (command 0x03) has no address and reads as v1.mux.cool:0', () => {
    const header = encodeRequestHeader(UUID, commandFor({ network: 'tcp', address: { kind: 'domain', value: 'v1.mux.cool' }, port: 9527 }));
    expect(header.toString('hex')).toBe(`00${UUID.toString('hex')}0003`);
    const parsed = parseAll(header);
    expect(parsed.status === 'done' && { command: parsed.request.command, target: parsed.request.target }).toEqual({
      command: COMMAND.mux, target: { network: 'tcp', address: { kind: 'domain', value: 'v1.mux.cool' }, port: 0 },
    });
  });

  const targetArb: fc.Arbitrary<Destination> = fc.record({
    network: fc.constantFrom('tcp' as const, 'udp' as const),
    address: fc.oneof(
      fc.ipV4().map((value) => ({ kind: 'ipv4' as const, value })),
      fc.stringMatching(/^[a-z][a-z0-9.-]{0,60}$/).map((value) => ({ kind: 'domain' as const, value })),
    ),
    port: fc.integer({ min: 0, max: 65535 }),
  });

  it('round-trips any target, fed whole, at every split and in random splits', () => {
    fc.assert(fc.property(targetArb, fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat(), { maxLength: 4 }), (target, body, cuts) => {
      const wire = Buffer.concat([encodeRequestHeader(UUID, commandFor(target), target), body]);
      const whole = parseAll(wire);
      expect(whole.status === 'done' && { target: whole.request.target, rest: [...whole.rest] }).toEqual({ target, rest: [...body] });
      const headerLength = wire.length - body.length;
      // Any prefix shorter than the header asks for more; the parser keeps nothing between calls.
      for (let at = 0; at < headerLength; at += 1) expect(parseAll(wire.subarray(0, at)).status).toBe('need-more');
      const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) => a - b);
      const seen: Buffer[] = [];
      let result = parseAll(Buffer.alloc(0));
      let last = 0;
      for (const point of [...points, wire.length]) {
        seen.push(wire.subarray(last, point));
        last = point;
        result = parseAll(Buffer.concat(seen));
        if (result.status !== 'need-more') break;
      }
      expect(result.status).toBe('done');
    }));
  });

  it('refuses a changed version byte (fallback-eligible) and any changed UUID byte', () => {
    const wire = Buffer.from(V2RAY_VECTORS[0].hex, 'hex');
    const stages: string[] = [];
    for (let at = 0; at < 17; at += 1) {
      const tampered = Buffer.from(wire);
      tampered[at]! ^= 0x01;
      const parsed = parseAll(tampered);
      stages.push(parsed.status === 'fail' ? `${parsed.stage}:${parsed.error.code}` : parsed.status);
    }
    expect(stages).toEqual(['version:PH_VLESS_BAD_HEADER', ...Array.from({ length: 16 }, () => 'user:PH_VLESS_AUTH_FAILED')]);
  });

  it('refuses a bad command, address type or domain after a known user (not fallback-eligible)', () => {
    const head = `00${UUID.toString('hex')}00`;
    const cases = [`${head}04`, `${head}01005004`, `${head}0100500203612062`, `${head}010050020122`];
    expect(cases.map((hex) => {
      const parsed = parseAll(Buffer.from(hex, 'hex'));
      return parsed.status === 'fail' ? `${parsed.stage}:${parsed.error.code}` : parsed.status;
    })).toEqual(Array.from({ length: 4 }, () => 'header:PH_VLESS_BAD_HEADER'));
  });

  it('accepts a replayed header, as 4.34 does (VLESS leaves that to TLS)', () => {
    const wire = Buffer.from(V2RAY_VECTORS[0].hex, 'hex');
    expect([parseAll(wire).status, parseAll(wire).status]).toEqual(['done', 'done']);
  });

  it('reads addons: Flow (field 1), skips unknown fields, rejects broken protobuf', () => {
    const flow = Buffer.concat([Buffer.from([0x0a, 16]), Buffer.from('xtls-rprx-direct')]);
    expect(decodeAddons(Buffer.concat([flow, Buffer.from([0x12, 2, 1, 2, 0x18, 0x96, 0x01])]))).toBe('xtls-rprx-direct');
    expect(() => decodeAddons(Buffer.from([0x0a, 5, 0x61]))).toThrow(/truncated/);
    const wire = Buffer.concat([Buffer.from([0]), UUID, Buffer.from([flow.length]), flow, Buffer.from('0100500100000000', 'hex')]);
    const parsed = parseAll(wire);
    expect(parsed.status === 'done' && parsed.request.flow).toBe('xtls-rprx-direct');
  });
});

describe('VLESS response header', () => {
  it('is version 0 and empty addons, then the body', () => {
    expect(encodeResponseHeader().toString('hex')).toBe('0000');
    const parsed = parseResponseHeader(Buffer.from('0000abcd', 'hex'));
    expect(parsed.status === 'done' && parsed.rest.toString('hex')).toBe('abcd');
    expect([parseResponseHeader(Buffer.alloc(0)).status, parseResponseHeader(Buffer.from([0])).status, parseResponseHeader(Buffer.from([0, 2, 0x18])).status]).toEqual(['need-more', 'need-more', 'need-more']);
    const bad = parseResponseHeader(Buffer.from([1, 0]));
    expect(bad.status === 'fail' && bad.error.code).toBe('PH_VLESS_BAD_HEADER');
  });
});

describe('VLESS UDP packets', () => {
  it('frames as v2ray does and drops what 4.34 would not send', () => {
    expect(encodePacket(Buffer.from('dns?'))?.toString('hex')).toBe('0004646e733f');
    expect([encodePacket(Buffer.alloc(0)), encodePacket(Buffer.alloc(2047))]).toEqual([undefined, undefined]);
    expect(encodePacket(Buffer.alloc(2046))?.length).toBe(2048);
  });

  it('decodes the same datagrams however the bytes are split', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 2046 }), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (datagrams, cuts) => {
      const wire = Buffer.concat([...datagrams.map((d) => encodePacket(Buffer.from(d))!), Buffer.from([0, 0])]);
      const expected = datagrams.map((d) => [...d]);
      const whole = new PacketDecoder();
      expect(whole.push(wire).map((d) => [...d])).toEqual(expected);
      expect(whole.atBoundary).toBe(true);
      const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) => a - b);
      const split = new PacketDecoder();
      const out: Buffer[] = [];
      let last = 0;
      for (const point of [...points, wire.length]) {
        out.push(...split.push(wire.subarray(last, point)));
        last = point;
      }
      expect(out.map((d) => [...d])).toEqual(expected);
    }));
  });

  it('decodes at every byte boundary', () => {
    const wire = Buffer.concat([encodePacket(Buffer.from('first'))!, encodePacket(Buffer.from('second'))!]);
    for (let at = 0; at <= wire.length; at += 1) {
      const decoder = new PacketDecoder();
      const out = [...decoder.push(wire.subarray(0, at)), ...decoder.push(wire.subarray(at))];
      expect(out.map(String)).toEqual(['first', 'second']);
    }
  });
});
