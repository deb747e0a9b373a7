/**
 * The VMess codecs, the v2ray 4.34 captures and a bridge ↔ portal echo with node:crypto cut down
 * to Electron's tables (BoringSSL plus Electron's aes-128-cfb patch) and the native chunk cipher off: how the engine runs in
 * Electron, checked byte for byte on plain Node. The tests are in crypto-fallback.suite.ts.
 */
import { vi } from 'vitest';

const previous = vi.hoisted(() => {
  const value = process.env.PORTHOLE_NATIVE_AEAD;
  process.env.PORTHOLE_NATIVE_AEAD = '0';
  return value;
});
vi.mock('node:crypto', async (importOriginal) => {
  const { boringSslCrypto } = await import('../../../../test/support/boringssl-crypto.js');
  return boringSslCrypto(await importOriginal(), 'electron');
});
const { runCryptoFallbackTests } = await import('./crypto-fallback.suite.js');
await runCryptoFallbackTests('electron', previous);
