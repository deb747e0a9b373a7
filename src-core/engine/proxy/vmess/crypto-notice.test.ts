import { describe, expect, test } from 'vitest';
import { NODE_CRYPTO_PRIMITIVES, type NodeCryptoPrimitive, type NodeCryptoSupport } from '../../common/crypto/node-crypto-support.js';
import { formatCryptoNotice } from './crypto-notice.js';

function support(...missing: NodeCryptoPrimitive[]): NodeCryptoSupport {
  return Object.fromEntries(NODE_CRYPTO_PRIMITIVES.map((primitive) => [primitive, !missing.includes(primitive)])) as NodeCryptoSupport;
}

const NATIVE = { loaded: true, reason: 'loaded from /x/porthole_aead.node' };
const NOT_BUILT = { loaded: false, reason: 'not built (npm run build:native)' };

describe('formatCryptoNotice', () => {
  test.each([
    ['plain Node with the addon: nothing to say', NATIVE, support(), undefined],
    ['addon not built', NOT_BUILT, support(), 'crypto: native AEAD not in use (not built (npm run build:native)), so VMess chunk ciphers use node:crypto instead'],
    [
      "Electron: no addon, no chacha20-poly1305 in node:crypto",
      { loaded: false, reason: 'not loaded in Electron' },
      support('chacha20-poly1305'),
      "crypto: native AEAD not in use (not loaded in Electron), so VMess chunk ciphers use node:crypto instead; security chacha20-poly1305 runs in JavaScript (this runtime's node:crypto lacks it)",
    ],
    [
      'upstream BoringSSL: no CFB either',
      { loaded: false, reason: 'not loaded in Electron' },
      support('chacha20-poly1305', 'aes-128-cfb'),
      "crypto: native AEAD not in use (not loaded in Electron), so VMess chunk ciphers use node:crypto instead; security chacha20-poly1305 runs in JavaScript (this runtime's node:crypto lacks it); legacy (alterId) AES-128-CFB is built on aes-128-ecb (this runtime's node:crypto lacks aes-128-cfb)",
    ],
    ['the addon covers chacha20-poly1305 itself', NATIVE, support('chacha20-poly1305'), undefined],
    [
      'no path at all: says what cannot work',
      NATIVE,
      support('aes-128-cfb', 'aes-128-ecb', 'aes-128-gcm'),
      "crypto: legacy (alterId) headers cannot work: this runtime's node:crypto has neither aes-128-cfb nor aes-128-ecb; VMess AEAD headers and security aes-128-gcm cannot work: this runtime's node:crypto lacks aes-128-gcm; VMess AuthIDs cannot work: this runtime's node:crypto lacks aes-128-ecb",
    ],
  ] as const)('%s', (_name, native, nodeSupport, expected) => {
    expect(formatCryptoNotice({ native, support: nodeSupport })).toBe(expected);
  });
});
