import { defineConfig } from 'vitest/config';

// End-to-end scenarios in real Chromium (e2e/specs), run after the renderer is built.
export default defineConfig({
  test: {
    include: ['e2e/specs/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
