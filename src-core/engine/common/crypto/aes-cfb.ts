/**
 * AES-128-CFB (CFB128, NIST SP 800-38A §6.3) as a stream: node:crypto's `aes-128-cfb` where the
 * runtime has it, else built here on `aes-128-ecb`. VMess's legacy (alterId) header and its
 * response, and the body of security "legacy", are one CFB stream each (spec §1.6, §2).
 *
 * Why a fallback: upstream BoringSSL keeps CFB in decrepit/ and leaves it out of the cipher-name
 * table node:crypto looks names up in; Electron adds it back with a patch of its own
 * (feat_expose_several_extra_cipher_functions.patch), and Electron has dropped such a patch
 * before (des-ede3 in Electron 13, electron/electron#30428). ECB is in BoringSSL's own table.
 *
 *   encrypt: C_i = P_i XOR E(K, R),  R = C_(i-1) (R = IV for the first block)
 *   decrypt: P_i = C_i XOR E(K, R),  R = C_(i-1)
 * A partial block uses the first bytes of E(K, R); the next call continues inside it.
 */
import { createCipheriv, createDecipheriv, type Cipheriv } from 'node:crypto';
import { PortholeError } from '../errors.js';
import { nodeCryptoSupport } from './node-crypto-support.js';

const BLOCK = 16;

/** A cipher stream: every call continues where the previous one stopped. */
export interface StreamCipher {
  update(data: Buffer): Buffer;
}

export type CfbDirection = 'encrypt' | 'decrypt';

/** AES-128-CFB over an AES-128-ECB cipher object (one ECB call per block; decryption batches whole blocks). */
export class AesCfbOverEcb implements StreamCipher {
  private readonly ecb: Cipheriv;
  /** The next block's cipher input, filled with ciphertext as the current block goes by. */
  private readonly register: Buffer;
  private keystream = Buffer.alloc(BLOCK);
  /** Bytes of `keystream` used; BLOCK when the next byte starts a new block. */
  private used = BLOCK;

  constructor(key: Buffer, iv: Buffer, private readonly direction: CfbDirection) {
    if (key.length !== 16 || iv.length !== BLOCK) throw new RangeError('aes-128-cfb: key and IV have 16 bytes');
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
    this.register = Buffer.from(iv);
  }

  update(data: Buffer): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    const decrypt = this.direction === 'decrypt';
    let at = 0;
    while (at < data.length) {
      if (this.used === BLOCK) {
        const whole = Math.floor((data.length - at) / BLOCK);
        if (decrypt && whole > 1) {
          // Every cipher input is known up front: R, then the ciphertext blocks but the last.
          at = this.decryptBlocks(data, at, whole, out);
          continue;
        }
        this.keystream = this.ecb.update(this.register);
        this.used = 0;
      }
      const input = data[at]!;
      const output = input ^ this.keystream[this.used]!;
      out[at] = output;
      this.register[this.used] = decrypt ? input : output;
      this.used += 1;
      at += 1;
    }
    return out;
  }

  /** Decrypts `count` whole blocks from `data[at…]` with one ECB call; returns where it stopped. */
  private decryptBlocks(data: Buffer, at: number, count: number, out: Buffer): number {
    const inputs = Buffer.allocUnsafe(count * BLOCK);
    this.register.copy(inputs, 0);
    data.copy(inputs, BLOCK, at, at + (count - 1) * BLOCK);
    const keystream = this.ecb.update(inputs);
    for (let i = 0; i < count * BLOCK; i++) out[at + i] = data[at + i]! ^ keystream[i]!;
    data.copy(this.register, 0, at + (count - 1) * BLOCK, at + count * BLOCK);
    return at + count * BLOCK;
  }
}

/**
 * An AES-128-CFB stream: node:crypto's own when this runtime has it (the same object as before
 * this fallback existed), else {@link AesCfbOverEcb}. Throws `PH_CONFIG_UNSUPPORTED` when
 * node:crypto has neither.
 */
export function createAesCfb(key: Buffer, iv: Buffer, direction: CfbDirection): StreamCipher {
  if (nodeCryptoSupport['aes-128-cfb']) {
    return direction === 'encrypt' ? createCipheriv('aes-128-cfb', key, iv) : createDecipheriv('aes-128-cfb', key, iv);
  }
  if (nodeCryptoSupport['aes-128-ecb']) return new AesCfbOverEcb(key, iv, direction);
  throw new PortholeError('PH_CONFIG_UNSUPPORTED', "aes-128-cfb: this runtime's node:crypto has neither aes-128-cfb nor aes-128-ecb to build it on");
}
