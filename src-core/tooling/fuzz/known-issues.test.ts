/**
 * Decoder bugs found by the fuzz targets (`npm run fuzz`), as minimal regression tests. While a
 * bug is open its test is `test.fails` and known-issues.ts lists it; both below are fixed.
 */
import { describe, expect, test } from 'vitest';
import { decodeAddress } from '../../engine/common/mux/address.js';
import { decodeControl } from '../../engine/app/reverse/control.js';
import { decodeRequestHeader, fnv1a32 } from '../../engine/proxy/vmess/codec.js';
import { referenceDecodeControl } from './mux.js';

/** A request header plaintext for TCP to `domain`:80, no padding, right checksum. */
function requestWithDomain(domain: Buffer): Buffer {
  const fixed = Buffer.alloc(38);
  fixed[0] = 1;
  fixed[34] = 0x01;
  fixed[35] = 0x03; // P = 0, aes-128-gcm
  fixed[37] = 0x01; // TCP
  const body = Buffer.concat([fixed, Buffer.from([0x00, 0x50, 0x02, domain.length]), domain]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(fnv1a32(body));
  return Buffer.concat([body, sum]);
}

describe('decoder bugs found by npm run fuzz (fixed)', () => {
  describe('vmess-domain-nbsp: src-core/engine/proxy/vmess/codec.ts', () => {
    const domain = Buffer.from('0.0.0.0\xa0', 'latin1');

    test('Mux.Cool (like V2Ray 4.34) refuses the domain "0.0.0.0\\xa0"', () => {
      expect(() => decodeAddress(Buffer.concat([Buffer.from([0x02, domain.length]), domain]), 0)).toThrow(/invalid domain name/);
    });

    test('VMess refuses it too, instead of connecting to 0.0.0.0', () => {
      const result = decodeRequestHeader(requestWithDomain(domain));
      expect(result.status === 'fail' ? result.error.message : result).toBe('vmess: invalid remote address');
    });
  });

  describe('control-group-field-number: src-core/engine/app/reverse/control.ts', () => {
    // Group field 1 { bytes field 2^29 = "" } then state = DRAIN.
    const bytes = Buffer.from([0x0b, 0x82, 0x80, 0x80, 0x80, 0x10, 0x00, 0x0c, 0x08, 0x01]);

    test('protobuf-go skips the group and reads DRAIN', () => {
      expect(referenceDecodeControl(bytes)).toMatchObject({ ok: true, state: 1 });
    });

    test('decodeControl does the same instead of refusing the message', () => {
      expect(decodeControl(bytes).state).toBe(1);
    });
  });
});
