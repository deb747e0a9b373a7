/**
 * The VMess codecs, the v2ray 4.34 captures and a bridge ↔ portal echo with the native chunk
 * cipher turned off the way a user turns it off (PORTHOLE_NATIVE_AEAD=0), on plain Node's
 * node:crypto: the path of a machine where the addon is not built. The tests are in
 * crypto-fallback.suite.ts; boringssl-crypto.test.ts runs them on a BoringSSL-like node:crypto.
 */
import { afterAll, vi } from 'vitest';

const previous = vi.hoisted(() => {
  const value = process.env.PORTHOLE_NATIVE_AEAD;
  process.env.PORTHOLE_NATIVE_AEAD = '0';
  return value;
});
afterAll(() => {
  if (previous === undefined) delete process.env.PORTHOLE_NATIVE_AEAD;
  else process.env.PORTHOLE_NATIVE_AEAD = previous;
});

const { defineCryptoFallbackTests } = await import('./crypto-fallback.suite.js');
defineCryptoFallbackTests('openssl');

// The codec suites again, on node:crypto (body.test.ts checks against its own OpenSSL reference decoder).
await import('./body.test.js');
await import('./client-handshake.test.js');
await import('./server-handshake.test.js');
await import('./legacy.test.js');
await import('./aead.test.js');
await import('./body-wide.test.js');
await import('./body-stream-udp.test.js');
