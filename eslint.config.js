// ESLint flat config. The import rules below are the project's layering (style.md point 1):
// do not relax them; move code to the right layer instead.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'bench/results/**', 'e2e/screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // do not relax: the engine is pure Node and runs headless.
  {
    files: ['src-core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'electron', message: 'src-core is pure Node: only src-main imports electron.' },
          { name: 'react', message: 'src-core never imports the UI.' },
          { name: 'react-dom', message: 'src-core never imports the UI.' },
          { name: 'zustand', message: 'src-core never imports the UI.' },
        ],
        patterns: [
          { group: ['**/src-main/**', '**/src-renderer/**'], message: 'src-core never imports src-main or src-renderer.' },
          { group: ['electron/*', 'react/*', 'react-dom/*'], message: 'src-core is pure Node.' },
        ],
      }],
    },
  },
  // do not relax: src-core/api is the only layer the renderer sees, so it stays free of Node (style.md point 2).
  {
    files: ['src-core/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins.map((name) => ({ name, message: 'src-core/api is shared with the renderer: no Node builtins.' })),
          { name: 'electron', message: 'src-core/api is shared with the renderer.' },
          { name: 'react', message: 'src-core never imports the UI.' }],
        patterns: [{ regex: '^\\.\\./', message: 'src-core/api imports only itself.' }],
      }],
    },
  },
  // do not relax: the renderer runs sandboxed in Electron and in a plain browser.
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.map((name) => ({ name, message: 'The renderer is sandboxed: no Node builtins.' })),
          { name: 'electron', message: 'The renderer never imports electron; use the EngineService.' },
        ],
        patterns: [
          { group: ['electron/*'], message: 'The renderer never imports electron.' },
          { group: ['**/src-main/**'], message: 'The renderer never imports src-main.' },
          { regex: '(^|/)src-core/(?!api/)', message: 'The renderer sees only src-core/api.' },
        ],
      }],
    },
  },
  // do not relax: only src-main may import electron.
  {
    files: ['bin/**', 'scripts/**', 'e2e/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'Only src-main imports electron.' }],
      }],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/src-renderer/**'], message: 'src-main never imports renderer code.' }],
      }],
    },
  },
);
