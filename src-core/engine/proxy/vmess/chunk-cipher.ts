/**
 * The cipher of one VMess chunk, one per body direction: AEAD (aes-128-gcm, chacha20-poly1305)
 * natively when src-core/engine/native is built, else through node:crypto, and chacha20-poly1305 in
 * JavaScript where node:crypto lacks it (Electron's BoringSSL; docs/crypto.md); a no-op for
 * security none; and legacy's FNV-1a authenticator. Spec §3 (`common/crypto/auth.go`,
 * `proxy/vmess/encoding/auth.go`). The backend is chosen when a body codec is made, never per chunk.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type CipherChaCha20Poly1305,
  type CipherGCM,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { ChaCha20Poly1305 } from '../../common/crypto/chacha20-poly1305.js';
import { nodeCryptoSupport } from '../../common/crypto/node-crypto-support.js';
import { NATIVE_ALGORITHM, nativeAead, type NativeAead, type NativeAeadContext } from '../../native/aead.js';
import { fnv1a32 } from './codec.js';
import { LEGACY_AUTH_OVERHEAD, TAG_LENGTH } from './consts.js';

export interface ChunkCipher {
  /** Bytes the seal adds to a plaintext. */
  readonly overhead: number;
  /** Writes seal(plain) at `out[offset…]`; returns the bytes written. */
  seal(plain: Buffer, nonce: Buffer, out: Buffer, offset: number): number;
  /** Native only: seals `length` bytes gathered from `pieces` at `cursor` (NativeAead.sealPieces); returns the bytes written. */
  sealPieces?(pieces: readonly Buffer[], cursor: Int32Array, length: number, nonce: Buffer, out: Buffer, offset: number): number;
  /** Writes the plaintext of a sealed chunk at `out[offset…]`; returns its length, or -1 when authentication fails. */
  open(sealed: Buffer, nonce: Buffer, out: Buffer, offset: number): number;
  /** Native only: opens a run of whole chunks in one call (NativeAead.openRun). */
  openRun?(nonce: Buffer, input: Buffer, sizes: Uint16Array, padding: boolean, out: Buffer, cursor: Int32Array): number;
}

const TAG_OPTIONS = { authTagLength: TAG_LENGTH } as const;
export type AeadAlgorithm = 'aes-128-gcm' | 'chacha20-poly1305';
/** Which way a cipher works: the encoder seals, the decoder opens. */
export type Direction = 'seal' | 'open';

/** What seals a VMess body chunk here: the native addon, node:crypto, or the JavaScript fallback. */
export type ChunkCipherBackend = 'native' | 'node:crypto' | 'javascript';

/** The backend of each AEAD algorithm in this process, settled once at load (the addon and node:crypto's probes). */
export const CHUNK_CIPHER_BACKEND: Readonly<Record<AeadAlgorithm, ChunkCipherBackend>> = {
  'aes-128-gcm': nativeAead ? 'native' : 'node:crypto',
  'chacha20-poly1305': nativeAead ? 'native' : nodeCryptoSupport['chacha20-poly1305'] ? 'node:crypto' : 'javascript',
};

export function aeadCipher(algorithm: AeadAlgorithm, rawKey: Buffer, direction: Direction): ChunkCipher {
  switch (CHUNK_CIPHER_BACKEND[algorithm]) {
    case 'native':
      return new NativeAeadCipher(nativeAead!, algorithm, rawKey, direction);
    case 'node:crypto':
      return new NodeAeadCipher(algorithm, rawKey);
    case 'javascript':
      return new JsChaCha20Poly1305Cipher(rawKey);
  }
}

// The ciphers (and the size sources of chunk-sizes.ts) are classes, not objects of closures:
// every connection's cipher then shares the same methods, so the data path that TurboFan
// optimized for the first link's cipher stays valid for the next link's. With closures made per
// connection, each new link (the portal drains one every 256 sessions) deoptimized the encoder
// and decoder ("wrong call target") and they were compiled again.

/** One OpenSSL context that keeps its key and takes a new nonce per chunk (src-core/engine/native). */
class NativeAeadCipher implements ChunkCipher {
  readonly overhead = TAG_LENGTH;
  private readonly context: NativeAeadContext;

  constructor(private readonly native: NativeAead, algorithm: AeadAlgorithm, rawKey: Buffer, direction: Direction) {
    const id = algorithm === 'aes-128-gcm' ? NATIVE_ALGORITHM.aes128Gcm : NATIVE_ALGORITHM.chacha20Poly1305;
    this.context = native.create(id, rawKey, direction === 'seal');
  }

  seal(plain: Buffer, nonce: Buffer, out: Buffer, offset: number): number {
    this.native.seal(this.context, nonce, plain, out, offset);
    return plain.length + TAG_LENGTH;
  }

  sealPieces(pieces: readonly Buffer[], cursor: Int32Array, length: number, nonce: Buffer, out: Buffer, offset: number): number {
    this.native.sealPieces(this.context, nonce, pieces, cursor, length, out, offset);
    return length + TAG_LENGTH;
  }

  open(sealed: Buffer, nonce: Buffer, out: Buffer, offset: number): number {
    if (sealed.length < TAG_LENGTH) return -1;
    return this.native.open(this.context, nonce, sealed, out, offset) ? sealed.length - TAG_LENGTH : -1;
  }

  openRun(nonce: Buffer, input: Buffer, sizes: Uint16Array, padding: boolean, out: Buffer, cursor: Int32Array): number {
    return this.native.openRun(this.context, nonce, input, sizes, padding, out, cursor);
  }
}

/** node:crypto fallback: a cipher object per chunk, since Node cannot give one a new nonce. */
class NodeAeadCipher implements ChunkCipher {
  readonly overhead = TAG_LENGTH;
  private readonly key: KeyObject;

  constructor(private readonly algorithm: AeadAlgorithm, rawKey: Buffer) {
    this.key = createSecretKey(rawKey);
  }

  seal(plain: Buffer, nonce: Buffer, out: Buffer, offset: number): number {
    // The ternaries' branches differ only in which createCipheriv overload TypeScript resolves.
    const cipher: CipherGCM | CipherChaCha20Poly1305 = this.algorithm === 'aes-128-gcm'
      ? createCipheriv(this.algorithm, this.key, nonce, TAG_OPTIONS)
      : createCipheriv(this.algorithm, this.key, nonce, TAG_OPTIONS);
    if (plain.length > 0) out.set(cipher.update(plain), offset);
    cipher.final();
    out.set(cipher.getAuthTag(), offset + plain.length);
    return plain.length + TAG_LENGTH;
  }

  open(sealed: Buffer, nonce: Buffer, out: Buffer, offset: number): number {
    if (sealed.length < TAG_LENGTH) return -1;
    const decipher: DecipherGCM | DecipherChaCha20Poly1305 = this.algorithm === 'aes-128-gcm'
      ? createDecipheriv(this.algorithm, this.key, nonce, TAG_OPTIONS)
      : createDecipheriv(this.algorithm, this.key, nonce, TAG_OPTIONS);
    const textLength = sealed.length - TAG_LENGTH;
    decipher.setAuthTag(sealed.subarray(textLength));
    const plain = decipher.update(sealed.subarray(0, textLength));
    try {
      decipher.final();
    } catch {
      return -1;
    }
    out.set(plain, offset);
    return plain.length;
  }
}

/** Pure-JavaScript chacha20-poly1305 (common/crypto), for runtimes whose node:crypto lacks it. */
class JsChaCha20Poly1305Cipher implements ChunkCipher {
  readonly overhead = TAG_LENGTH;
  private readonly cipher: ChaCha20Poly1305;

  constructor(rawKey: Buffer) {
    this.cipher = new ChaCha20Poly1305(rawKey);
  }

  seal(plain: Buffer, nonce: Buffer, out: Buffer, offset: number): number {
    return this.cipher.seal(nonce, plain, out, offset);
  }

  open(sealed: Buffer, nonce: Buffer, out: Buffer, offset: number): number {
    return this.cipher.open(nonce, sealed, out, offset);
  }
}

export const noOpCipher: ChunkCipher = {
  overhead: 0,
  seal(plain, _nonce, out, offset) {
    out.set(plain, offset);
    return plain.length;
  },
  open(sealed, _nonce, out, offset) {
    out.set(sealed, offset);
    return sealed.length;
  },
};

/** `FnvAuthenticator`: FNV-1a-32 (BE) ‖ plaintext. */
export const fnvCipher: ChunkCipher = {
  overhead: LEGACY_AUTH_OVERHEAD,
  seal(plain, _nonce, out, offset) {
    out.writeUInt32BE(fnv1a32(plain), offset);
    out.set(plain, offset + LEGACY_AUTH_OVERHEAD);
    return plain.length + LEGACY_AUTH_OVERHEAD;
  },
  open(sealed, _nonce, out, offset) {
    if (sealed.length < LEGACY_AUTH_OVERHEAD) return -1;
    if (sealed.readUInt32BE(0) !== fnv1a32(sealed, LEGACY_AUTH_OVERHEAD)) return -1;
    out.set(sealed.subarray(LEGACY_AUTH_OVERHEAD), offset);
    return sealed.length - LEGACY_AUTH_OVERHEAD;
  },
};

/** `MD5(k) ‖ MD5(MD5(k))`: the 32-byte chacha20-poly1305 key from a 16-byte body key. */
export function chachaKey(key: Buffer): Buffer {
  const first = createHash('md5').update(key).digest();
  return Buffer.concat([first, createHash('md5').update(first).digest()]);
}
