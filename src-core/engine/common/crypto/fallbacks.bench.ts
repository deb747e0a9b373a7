/**
 * What the BoringSSL fallbacks cost next to node:crypto's OpenSSL (not a test; docs/crypto.md):
 * `npx vitest bench --run src-core/engine/common/crypto/fallbacks.bench.ts`. Plain Node never runs the
 * fallbacks; Electron runs them where its node:crypto lacks the cipher.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { bench, describe } from 'vitest';
import { AesCfbOverEcb } from './aes-cfb.js';
import { ChaCha20Poly1305 } from './chacha20-poly1305.js';

for (const size of [2030, 64 * 1024 - 18]) {
  describe(`chacha20-poly1305, seal ${size} bytes`, () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const plain = randomBytes(size);
    const out = Buffer.alloc(size + 16);
    const js = new ChaCha20Poly1305(key);
    bench('node:crypto (a cipher object per chunk, as NodeAeadCipher)', () => {
      const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      out.set(cipher.update(plain));
      cipher.final();
      out.set(cipher.getAuthTag(), size);
    });
    bench('JavaScript fallback', () => {
      js.seal(nonce, plain, out, 0);
    });
  });
}

describe('aes-128-cfb, 64 KiB', () => {
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const data = randomBytes(64 * 1024);
  const node = createCipheriv('aes-128-cfb', key, iv);
  const nodeDecipher = createDecipheriv('aes-128-cfb', key, iv);
  const fallback = new AesCfbOverEcb(key, iv, 'encrypt');
  const fallbackDecipher = new AesCfbOverEcb(key, iv, 'decrypt');
  bench('node:crypto encrypt', () => {
    node.update(data);
  });
  bench('over aes-128-ecb, encrypt (one ECB call per block)', () => {
    fallback.update(data);
  });
  bench('node:crypto decrypt', () => {
    nodeDecipher.update(data);
  });
  bench('over aes-128-ecb, decrypt (whole blocks batched)', () => {
    fallbackDecipher.update(data);
  });
});
