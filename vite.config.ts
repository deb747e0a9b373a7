// Builds the renderer (src-renderer) into dist/renderer: what the dashboard serves and Electron loads.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // No inline polyfill script: the page's CSP allows only 'self' scripts.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
});
