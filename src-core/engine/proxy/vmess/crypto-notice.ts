/**
 * What the engine says once at start (`porthole run`) about how VMess is encrypted in this
 * process, when it is not the usual path: the native chunk cipher not in use (and why), a
 * JavaScript fallback standing in for a cipher this runtime's node:crypto lacks, or a primitive
 * with no path at all. docs/crypto.md has the table behind it.
 */
import { nodeCryptoSupport, type NodeCryptoPrimitive, type NodeCryptoSupport } from '../../common/crypto/node-crypto-support.js';
import { nativeAead, nativeAeadStatus } from '../../native/aead.js';

/** What the notice is made from (this process's by default). */
export interface CryptoState {
  /** Whether the native chunk AEAD (src-core/engine/native) is in use, and why or why not. */
  native: { loaded: boolean; reason: string };
  support: NodeCryptoSupport;
}

/** Primitives the engine has no other path for, and what needs them. */
const REQUIRED: readonly (readonly [NodeCryptoPrimitive, string])[] = [
  ['aes-128-gcm', 'VMess AEAD headers and security aes-128-gcm'],
  ['aes-128-ecb', 'VMess AuthIDs'],
  ['md5', 'VMess user keys'],
  ['sha256', 'VMess response keys'],
  ['hmac-md5', 'legacy (alterId) headers'],
  ['hmac-sha256', 'the VMess inbound behaviour seed'],
];

/** One line (without the `porthole: ` prefix), or undefined when there is nothing to say. */
export function formatCryptoNotice(state: CryptoState): string | undefined {
  const parts: string[] = [];
  if (!state.native.loaded) parts.push(`native AEAD not in use (${state.native.reason}), so VMess chunk ciphers use node:crypto instead`);
  if (!state.support['chacha20-poly1305'] && !state.native.loaded) {
    parts.push("security chacha20-poly1305 runs in JavaScript (this runtime's node:crypto lacks it)");
  }
  if (!state.support['aes-128-cfb']) {
    parts.push(
      state.support['aes-128-ecb']
        ? "legacy (alterId) AES-128-CFB is built on aes-128-ecb (this runtime's node:crypto lacks aes-128-cfb)"
        : "legacy (alterId) headers cannot work: this runtime's node:crypto has neither aes-128-cfb nor aes-128-ecb",
    );
  }
  for (const [primitive, users] of REQUIRED) {
    if (!state.support[primitive]) parts.push(`${users} cannot work: this runtime's node:crypto lacks ${primitive}`);
  }
  return parts.length > 0 ? `crypto: ${parts.join('; ')}` : undefined;
}

/** The notice for this process. */
export function vmessCryptoNotice(): string | undefined {
  return formatCryptoNotice({ native: { loaded: nativeAead !== undefined, reason: nativeAeadStatus }, support: nodeCryptoSupport });
}
