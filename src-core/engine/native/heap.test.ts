import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, test } from 'vitest';
import { nativeHeap, nativeHeapStatus } from './heap.js';

// Built with the native AEAD by scripts/build-native.js; PORTHOLE_NATIVE_HEAP=0 is the only way to run without it.
const expectNative = process.env.PORTHOLE_NATIVE_HEAP !== '0' && process.env.PORTHOLE_NATIVE_AEAD !== '0';

describe('native heap trim', () => {
  test.runIf(expectNative)('is built and loaded', () => {
    expect(nativeHeap, nativeHeapStatus).toBeDefined();
  });

  it.runIf(expectNative)('gives freed Buffer memory back: the resident set shrinks after trim()', () => {
    // A child that does what a bulk transfer does to the C heap: many 64 KiB Buffers, interleaved
    // with small long-lived ones (so glibc cannot simply shrink the top), then freed by a GC.
    const addon = fileURLToPath(new URL('./build/Release/porthole_heap.node', import.meta.url));
    const script = `
      const { createRequire } = await import('node:module');
      const { trim } = createRequire(import.meta.url)(${JSON.stringify(addon)});
      const rss = () => process.memoryUsage.rss();
      let big = [];
      const small = [];
      for (let i = 0; i < 800; i++) { big.push(Buffer.allocUnsafe(64 * 1024).fill(i)); small.push(Buffer.allocUnsafe(8192).fill(i)); }
      big = undefined;
      gc(); gc();
      const before = rss();
      const released = trim();
      console.log(JSON.stringify({ before, after: rss(), released, kept: small.length }));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.status, child.stderr).toBe(0);
    const { before, after, released } = JSON.parse(child.stdout) as { before: number; after: number; released: boolean };
    expect(released).toBe(true);
    expect(before - after).toBeGreaterThan(16 * 1024 * 1024);
  });
});
