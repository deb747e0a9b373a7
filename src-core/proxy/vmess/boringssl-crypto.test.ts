/**
 * The VMess codecs, the v2ray 4.34 captures and a bridge ↔ portal echo with node:crypto cut down
 * to upstream BoringSSL's tables (no aes-128-cfb either) and the native chunk cipher off: how the engine runs in
 * Electron, checked byte for byte on plain Node. The tests are in crypto-fallback.suite.ts.
 */
import { afterAll, vi } from 'vitest';

const previous = vi.hoisted(() => {
  const value = process.env.PORTHOLE_NATIVE_AEAD;
  process.env.PORTHOLE_NATIVE_AEAD = '0';
  return value;
});
vi.mock('node:crypto', async (importOriginal) => {
  const { boringSslCrypto } = await import('../../../test/support/boringssl-crypto.js');
  return boringSslCrypto(await importOriginal(), 'boringssl');
});
afterAll(() => {
  if (previous === undefined) delete process.env.PORTHOLE_NATIVE_AEAD;
  else process.env.PORTHOLE_NATIVE_AEAD = previous;
});

const { defineCryptoFallbackTests } = await import('./crypto-fallback.suite.js');
defineCryptoFallbackTests('boringssl');

// The codec suites that need no reference cipher of their own run again on this node:crypto:
// among them the v2ray 4.34 captures (chacha20-poly1305 bodies, legacy CFB headers), byte for byte.
await import('./client-handshake.test.js');
await import('./server-handshake.test.js');
await import('./legacy.test.js');
await import('./aead.test.js');
await import('./account.test.js');
await import('./codec.test.js');
await import('./kdf.test.js');
await import('./body-wide.test.js');
await import('./body-stream-udp.test.js');
