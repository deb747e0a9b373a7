/**
 * The body codec tests again without the native AEAD (src-core/engine/native), on the node:crypto
 * fallback that runs where the addon is not built and in Electron.
 */
import { vi } from 'vitest';

vi.mock('../../native/aead.js', async (importOriginal) => ({ ...(await importOriginal<object>()), nativeAead: undefined }));

await import('./body.test.js');
await import('./body-wide.test.js');

const { test, expect } = await import('vitest');
test('runs without the native AEAD', async () => {
  expect((await import('../../native/aead.js')).nativeAead).toBeUndefined();
});
