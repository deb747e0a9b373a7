import { describe, expect, test } from 'vitest';
import { ChaCha20Poly1305 } from './chacha20-poly1305.js';
import { NODE_CRYPTO_PRIMITIVES, nodeCryptoSupport, probeNodeCrypto } from './node-crypto-support.js';

describe('node:crypto support probes', () => {
  test('plain Node (OpenSSL) passes every probe, so no fallback runs there', () => {
    expect(nodeCryptoSupport).toEqual(Object.fromEntries(NODE_CRYPTO_PRIMITIVES.map((primitive) => [primitive, true])));
    expect(probeNodeCrypto()).toEqual(nodeCryptoSupport);
  });

  test("the chacha20-poly1305 probe's known answer is also what the JavaScript fallback computes", () => {
    const out = Buffer.alloc(17);
    new ChaCha20Poly1305(Buffer.alloc(32)).seal(Buffer.alloc(12), Buffer.alloc(1), out, 0);
    expect(out.toString('hex')).toBe('9fbedcfd1809ff3c10adf8277fcc0581b8');
  });
});
