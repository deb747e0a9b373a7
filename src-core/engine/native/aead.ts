/**
 * The optional native chunk AEAD (aead.c): one OpenSSL context per direction that keeps its key
 * schedule and takes a new nonce per chunk. VMess body codecs use it when it is built and fall back
 * to node:crypto (a new cipher object per chunk) when it is not.
 *
 * Two builds of it (binding.gyp): `porthole_aead_static` carries its own hidden libcrypto and
 * loads anywhere, Electron included (whose Node has BoringSSL, without EVP_chacha20_poly1305 at
 * all; docs/crypto.md); `porthole_aead` links against the OpenSSL symbols plain Node exports and
 * is the fallback where no static libcrypto was found at build time.
 * `PORTHOLE_NATIVE_AEAD=0` turns it off (to compare, or to rule it out). Before it is used it
 * seals and opens one known answer per algorithm (`selfTestNativeAead`); `porthole run` says why
 * when it is not in use.
 */
import { loadAddon } from './load.js';

export const NATIVE_ALGORITHM = { aes128Gcm: 0, chacha20Poly1305: 1 } as const;
export type NativeAlgorithm = (typeof NATIVE_ALGORITHM)[keyof typeof NATIVE_ALGORITHM];

declare const contextBrand: unique symbol;
/** An OpenSSL cipher context for one direction (opaque). */
export type NativeAeadContext = { readonly [contextBrand]: true };

export interface NativeAead {
  /** Built with its own libcrypto: needs nothing from the host. */
  readonly selfContained: boolean;
  create(algorithm: NativeAlgorithm, key: Buffer, encrypt: boolean): NativeAeadContext;
  /** Writes ciphertext ‖ 16-byte tag of `plain` at `out[offset…]`. */
  seal(context: NativeAeadContext, nonce: Buffer, plain: Buffer, out: Buffer, offset: number): void;
  /**
   * Seals `length` plaintext bytes gathered from `pieces`, starting at `cursor` (PIECE_CURSOR),
   * which is advanced past them; writes ciphertext ‖ tag at `out[offset…]`. Nothing is copied first.
   */
  sealPieces(context: NativeAeadContext, nonce: Buffer, pieces: readonly Buffer[], cursor: Int32Array, length: number, out: Buffer, offset: number): void;
  /** Writes the plaintext of `sealed` (ciphertext ‖ tag) at `out[offset…]`; false when it is not authentic. */
  open(context: NativeAeadContext, nonce: Buffer, sealed: Buffer, out: Buffer, offset: number): boolean;
  /**
   * Opens consecutive whole VMess chunks of `input` (see aead.c): `sizes` holds the SHAKE values
   * drawn ahead (padding length, then mask, per chunk), `cursor` is read and advanced (RUN_CURSOR).
   * Returns a RUN_STATUS.
   */
  openRun(context: NativeAeadContext, nonce: Buffer, input: Buffer, sizes: Uint16Array, padding: boolean, out: Buffer, cursor: Int32Array): number;
}

/** Fields of `sealPieces`' cursor: the next plaintext byte is `pieces[index][offset]`. */
export const PIECE_CURSOR = { index: 0, offset: 1, fields: 2 } as const;
/** Fields of `openRun`'s cursor. */
export const RUN_CURSOR = { input: 0, sizes: 1, sizesEnd: 2, out: 3, counter: 4, fields: 5 } as const;
/** What stopped `openRun`. */
export const RUN_STATUS = { more: 0, end: 1, authFailed: 2, badLength: 3 } as const;

/** Known answers: zero key and nonce, one zero byte sealed (GCM: computed with OpenSSL; ChaCha: RFC 8439 A.1's keystream). */
const SELF_TEST: readonly { algorithm: NativeAlgorithm; keyLength: number; sealed: string }[] = [
  { algorithm: NATIVE_ALGORITHM.aes128Gcm, keyLength: 16, sealed: '035bc76c6e04efc25ab6d301679e074c70' },
  { algorithm: NATIVE_ALGORITHM.chacha20Poly1305, keyLength: 32, sealed: '9fbedcfd1809ff3c10adf8277fcc0581b8' },
];

/** Throws unless `addon` seals and opens the known answers of both algorithms. */
export function selfTestNativeAead(addon: NativeAead): void {
  const nonce = Buffer.alloc(12);
  for (const { algorithm, keyLength, sealed } of SELF_TEST) {
    const key = Buffer.alloc(keyLength);
    const out = Buffer.alloc(17);
    addon.seal(addon.create(algorithm, key, true), nonce, Buffer.alloc(1), out, 0);
    if (out.toString('hex') !== sealed) throw new Error(`algorithm ${algorithm} sealed ${out.toString('hex')}, not ${sealed}`);
    const plain = Buffer.alloc(1, 0xff);
    if (!addon.open(addon.create(algorithm, key, false), nonce, out, plain, 0) || plain[0] !== 0) {
      throw new Error(`algorithm ${algorithm} did not open its own seal`);
    }
  }
}

function loadNativeAead() {
  const selfContained = loadAddon<NativeAead>('porthole_aead_static', { disabledBy: 'PORTHOLE_NATIVE_AEAD', needsOpenSsl: false, inElectron: true, selfTest: selfTestNativeAead });
  // `PORTHOLE_NATIVE_AEAD=self-contained` loads what Electron loads (the bench's tray-app column).
  if (selfContained.addon || process.versions.electron || process.env.PORTHOLE_NATIVE_AEAD === 'self-contained') return selfContained;
  const hostLinked = loadAddon<NativeAead>('porthole_aead', { disabledBy: 'PORTHOLE_NATIVE_AEAD', needsOpenSsl: true, selfTest: selfTestNativeAead });
  return hostLinked.addon ? hostLinked : selfContained;
}

const loaded = loadNativeAead();

/** The addon, or undefined when it is not available here (see `nativeAeadStatus`). */
export const nativeAead: NativeAead | undefined = loaded.addon;
/** Why the addon is or is not in use, for logs and `porthole version`. */
export const nativeAeadStatus: string = loaded.reason;
