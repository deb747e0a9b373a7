/**
 * Micro-benchmark of the VMess body codecs (not a test): `npx vitest bench --run src-core/engine/proxy/vmess`.
 * Each iteration frames 64 KiB and decodes it again; MB/s = 0.0655 × hz.
 */
import { randomBytes } from 'node:crypto';
import { bench, describe } from 'vitest';
import { createBodyDecoder, createBodyEncoder } from './body.js';
import { SECURITY, type BodySecurity } from './consts.js';

const data = randomBytes(64 * 1024);

for (const [name, security, options] of [
  ['aes-128-gcm, masking + padding (0x0D)', SECURITY.aes128Gcm, 0x0d],
  ['chacha20-poly1305, masking + padding (0x0D)', SECURITY.chacha20Poly1305, 0x0d],
  ['none, masking (0x05)', SECURITY.none, 0x05],
] as const satisfies readonly (readonly [string, BodySecurity, number])[]) {
  describe(name, () => {
    const codec = { security, options, command: 1, key: randomBytes(16), iv: randomBytes(16) };
    const encoder = createBodyEncoder(codec);
    const wire = createBodyEncoder(codec).encode(data);
    // A pair whose states move in step (the lone encoder above runs ahead of any decoder).
    const pairEncoder = createBodyEncoder(codec);
    const pairDecoder = createBodyDecoder(codec);
    bench('encode 64 KiB', () => {
      encoder.encode(data);
    });
    // A fresh decoder each time: a decoder's nonces and SHAKE state move on.
    bench('decode 64 KiB (fresh decoder)', () => {
      createBodyDecoder(codec).push(wire);
    });
    bench('encode + decode 64 KiB', () => {
      pairDecoder.push(pairEncoder.encode(data));
    });
  });
}
