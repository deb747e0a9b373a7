/**
 * The VMess codecs, the v2ray 4.34 captures and a bridge ↔ portal echo with the native chunk
 * cipher turned off the way a user turns it off (PORTHOLE_NATIVE_AEAD=0), on plain Node's
 * node:crypto: the path of a machine where the addon is not built. The tests are in
 * crypto-fallback.suite.ts; boringssl-crypto.test.ts runs them on a BoringSSL-like node:crypto.
 */
import { vi } from 'vitest';

const previous = vi.hoisted(() => {
  const value = process.env.PORTHOLE_NATIVE_AEAD;
  process.env.PORTHOLE_NATIVE_AEAD = '0';
  return value;
});
const { runCryptoFallbackTests } = await import('./crypto-fallback.suite.js');
await runCryptoFallbackTests('openssl', previous);
