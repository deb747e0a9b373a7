import { test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createBodyEncoder, createBodyDecoder } from './body.js';
test('bench', () => {
  const key = randomBytes(16), iv = randomBytes(16);
  for (const security of [3, 4, 5] as const) for (const options of [0x0d, 0x05]) {
    const enc = createBodyEncoder({ security, options, command: 1, key, iv });
    const dec = createBodyDecoder({ security, options, command: 1, key, iv });
    const data = randomBytes(64 * 1024);
    const N = 1500;
    for (let i = 0; i < 100; i++) dec.push(enc.encode(data));
    let te = 0, td = 0;
    for (let i = 0; i < N; i++) { let t0 = performance.now(); const w = enc.encode(data); te += performance.now() - t0; t0 = performance.now(); dec.push(w); td += performance.now() - t0; }
    const mb = (N * data.length) / 1e6;
    console.log(`sec ${security} opt ${options}: encode ${(mb / te * 1000).toFixed(0)} MB/s decode ${(mb / td * 1000).toFixed(0)} MB/s both ${(mb / (te+td) * 1000).toFixed(0)}`);
  }
});
