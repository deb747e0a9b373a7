/**
 * Which of the primitives the engine needs this runtime's node:crypto really provides, probed
 * once at module load. Node links OpenSSL and has them all; Electron's Node is built on
 * BoringSSL, which has no `chacha20-poly1305` EVP_CIPHER and, upstream, no `aes-128-cfb` in its
 * cipher-name table (Electron patches that one back in). The callers pick a fallback from this
 * table once per connection, never per chunk. docs/crypto.md lists every primitive, where it is
 * used and what backs it where.
 *
 * A probe is a known-answer test, not a name lookup: `getCiphers()` has listed ciphers that then
 * failed (Node 10's chacha20-poly1305), and a cipher that exists but computes something else
 * must not be used either.
 */
import { createCipheriv, createHash, createHmac } from 'node:crypto';

/** The node:crypto primitives the engine uses, by their node:crypto names. */
export const NODE_CRYPTO_PRIMITIVES = ['aes-128-gcm', 'aes-128-ecb', 'aes-128-cfb', 'chacha20-poly1305', 'md5', 'sha256', 'hmac-md5', 'hmac-sha256'] as const;
export type NodeCryptoPrimitive = (typeof NODE_CRYPTO_PRIMITIVES)[number];

export type NodeCryptoSupport = Readonly<Record<NodeCryptoPrimitive, boolean>>;

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const ZERO_16 = Buffer.alloc(16);
const ZERO_12 = Buffer.alloc(12);

/** Each probe returns true only when the primitive computes its known answer. */
const PROBES: Readonly<Record<NodeCryptoPrimitive, () => boolean>> = {
  // GCM spec test case 1: zero key and IV, empty plaintext.
  'aes-128-gcm': () => {
    const cipher = createCipheriv('aes-128-gcm', ZERO_16, ZERO_12);
    cipher.update(Buffer.alloc(0));
    cipher.final();
    return cipher.getAuthTag().equals(hex('58e2fccefa7e3061367f1d57a4e7455a'));
  },
  // FIPS-197 appendix C.1.
  'aes-128-ecb': () => {
    const cipher = createCipheriv('aes-128-ecb', hex('000102030405060708090a0b0c0d0e0f'), null);
    cipher.setAutoPadding(false);
    return cipher.update(hex('00112233445566778899aabbccddeeff')).equals(hex('69c4e0d86a7b0430d8cdb78070b4c55a'));
  },
  // NIST SP 800-38A F.3.13 (CFB128-AES128), one block and a bit: the stream must carry over.
  'aes-128-cfb': () => {
    const cipher = createCipheriv('aes-128-cfb', hex('2b7e151628aed2a6abf7158809cf4f3c'), hex('000102030405060708090a0b0c0d0e0f'));
    const out = Buffer.concat([cipher.update(hex('6bc1bee22e409f96e93d7e117393172a')), cipher.update(hex('ae2d8a57'))]);
    return out.equals(hex('3b3fd92eb72dad20333449f8e83cfb4ac8a64537'));
  },
  // Zero key and nonce, one zero byte (the byte is RFC 8439 A.1 #2's first keystream byte).
  'chacha20-poly1305': () => {
    const cipher = createCipheriv('chacha20-poly1305', Buffer.alloc(32), ZERO_12, { authTagLength: 16 });
    const sealed = Buffer.concat([cipher.update(Buffer.alloc(1)), cipher.final(), cipher.getAuthTag()]);
    return sealed.equals(hex('9fbedcfd1809ff3c10adf8277fcc0581b8'));
  },
  md5: () => createHash('md5').update('').digest().equals(hex('d41d8cd98f00b204e9800998ecf8427e')),
  sha256: () => createHash('sha256').update('').digest().equals(hex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')),
  // RFC 2202 test case 2 / RFC 4231 test case 2.
  'hmac-md5': () => createHmac('md5', 'Jefe').update('what do ya want for nothing?').digest().equals(hex('750c783e6ab0b503eaa86e310a5db738')),
  'hmac-sha256': () =>
    createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest().equals(hex('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')),
};

/** Runs every probe; a probe that throws (an unknown cipher or digest) counts as missing. */
export function probeNodeCrypto(): NodeCryptoSupport {
  const support = {} as Record<NodeCryptoPrimitive, boolean>;
  for (const primitive of NODE_CRYPTO_PRIMITIVES) {
    try {
      support[primitive] = PROBES[primitive]();
    } catch {
      support[primitive] = false;
    }
  }
  return support;
}

/** This runtime's answers, probed once when the engine loads. */
export const nodeCryptoSupport: NodeCryptoSupport = probeNodeCrypto();
