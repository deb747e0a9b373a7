import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src-core/**/*.test.ts', 'src-main/**/*.test.ts', 'src-renderer/**/*.test.{ts,tsx}'],
    exclude: ['dist/**', 'node_modules/**', 'e2e/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
