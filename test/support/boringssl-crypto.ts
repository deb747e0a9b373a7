/**
 * node:crypto as a Node built on BoringSSL has it, for `vi.mock('node:crypto', …)`: the real
 * module, except that ciphers and digests outside BoringSSL's name tables are refused the way
 * Node refuses an unknown name, and left out of `getCiphers()` / `getHashes()`. Tests use it to
 * run the engine as Electron runs it (docs/crypto.md), on a machine that has only plain Node.
 *
 * The tables (google/boringssl at a0689af, electron/electron at 96f3996):
 * - ciphers: `kCiphers` in crypto/cipher/get_cipher.cc, which `EVP_get_cipherbyname` (and so
 *   `createCipheriv`) searches; Electron adds patches/boringssl/feat_expose_several_extra_cipher_functions.patch.
 * - digests: `nid_to_digest_mapping` in crypto/digest/digest_extra.cc, which
 *   `EVP_get_digestbyname` (`createHash`, `createHmac`) searches; Electron adds
 *   patches/boringssl/expose_ripemd160.patch. No SHA-3 and no SHAKE.
 *
 * Profiles: `boringssl` is the upstream tables (what Electron would have without its patches:
 * no aes-128-cfb either); `electron` adds Electron's patches.
 */
import type * as NodeCrypto from 'node:crypto';

export type CryptoProfile = 'boringssl' | 'electron';

export const BORINGSSL_CIPHERS: readonly string[] = [
  'aes-128-cbc', 'aes-128-ctr', 'aes-128-ecb', 'aes-128-gcm', 'aes-128-ofb',
  'aes-192-cbc', 'aes-192-ctr', 'aes-192-ecb', 'aes-192-gcm', 'aes-192-ofb',
  'aes-256-cbc', 'aes-256-ctr', 'aes-256-ecb', 'aes-256-gcm', 'aes-256-ofb',
  'des-cbc', 'des-ecb', 'des-ede-cbc', 'des-ede', 'des-ede3-cbc', 'rc2-cbc', 'rc4', '3des',
];
export const ELECTRON_EXTRA_CIPHERS: readonly string[] = ['aes-128-cfb', 'aes-256-cfb', 'bf-cbc', 'bf-cfb', 'bf-ecb', 'des-ede3', 'rc2-40-cbc'];
export const BORINGSSL_DIGESTS: readonly string[] = ['md4', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha512-256', 'md5-sha1'];
export const ELECTRON_EXTRA_DIGESTS: readonly string[] = ['ripemd160'];

function unknownCipher(): Error {
  return Object.assign(new Error('Unknown cipher'), { code: 'ERR_CRYPTO_UNKNOWN_CIPHER' });
}

function unknownDigest(name: string, hmac: boolean): Error {
  return hmac ? Object.assign(new TypeError(`Invalid digest: ${name}`), { code: 'ERR_CRYPTO_INVALID_DIGEST' }) : new Error('Digest method not supported');
}

/** `original` with everything outside the profile's tables refused. */
export function boringSslCrypto(original: typeof NodeCrypto, profile: CryptoProfile): typeof NodeCrypto {
  const ciphers = new Set([...BORINGSSL_CIPHERS, ...(profile === 'electron' ? ELECTRON_EXTRA_CIPHERS : [])]);
  const digests = new Set([...BORINGSSL_DIGESTS, ...(profile === 'electron' ? ELECTRON_EXTRA_DIGESTS : [])]);
  const cipherKnown = (name: string): boolean => ciphers.has(name.toLowerCase());
  const digestKnown = (name: string): boolean => digests.has(name.toLowerCase());
  const shim = {
    ...original,
    createCipheriv: ((algorithm: string, ...rest: unknown[]) => {
      if (!cipherKnown(algorithm)) throw unknownCipher();
      return (original.createCipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest);
    }) as typeof original.createCipheriv,
    createDecipheriv: ((algorithm: string, ...rest: unknown[]) => {
      if (!cipherKnown(algorithm)) throw unknownCipher();
      return (original.createDecipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest);
    }) as typeof original.createDecipheriv,
    createHash: ((algorithm: string, options?: NodeCrypto.HashOptions) => {
      if (!digestKnown(algorithm)) throw unknownDigest(algorithm, false);
      return original.createHash(algorithm, options);
    }) as typeof original.createHash,
    createHmac: ((algorithm: string, ...rest: unknown[]) => {
      if (!digestKnown(algorithm)) throw unknownDigest(algorithm, true);
      return (original.createHmac as (...args: unknown[]) => unknown)(algorithm, ...rest);
    }) as typeof original.createHmac,
    hash: ((algorithm: string, ...rest: unknown[]) => {
      if (!digestKnown(algorithm)) throw unknownDigest(algorithm, false);
      return (original.hash as (...args: unknown[]) => unknown)(algorithm, ...rest);
    }) as typeof original.hash,
    getCipherInfo: ((name: string | number, options?: NodeCrypto.CipherInfoOptions) =>
      typeof name === 'string' && !cipherKnown(name) ? undefined : original.getCipherInfo(name, options)) as typeof original.getCipherInfo,
    getCiphers: () => original.getCiphers().filter(cipherKnown),
    getHashes: () => original.getHashes().filter(digestKnown),
  };
  return { ...shim, default: shim } as typeof NodeCrypto;
}
