// ESLint flat config. The import rules below are the project's layering (style.md point 1):
// do not relax them; move code to the right layer instead.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

const coreBannedPaths = [
  { name: 'electron', message: 'src-core is pure Node: only src-main imports electron.' },
  { name: 'react', message: 'src-core never imports the UI.' },
  { name: 'react-dom', message: 'src-core never imports the UI.' },
  { name: 'zustand', message: 'src-core never imports the UI.' },
];
const corePatterns = [
  { group: ['**/src-main/**', '**/src-renderer/**'], message: 'src-core never imports src-main or src-renderer.' },
  { group: ['electron/*', 'react/*', 'react-dom/*'], message: 'src-core is pure Node.' },
];
/** What ships (dist/) may not import what does not. */
const shippedPatterns = [
  { group: ['**/tooling/**'], message: 'Shipped code never imports src-core/tooling.' },
  { group: ['**/testdata/**', '**/*.test.js', '**/*.suite.js', '**/*.bench.js'], message: 'Shipped code never imports tests or test vectors.' },
];
const testFiles = ['src-core/**/*.test.ts', 'src-core/**/*.bench.ts', 'src-core/**/*.suite.ts', 'src-core/**/testdata/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-tooling/**', 'node_modules/**', 'release/**', 'bench/results/**', 'e2e/screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // do not relax: src-core is pure Node and runs headless. Inside it, the engine (the V2Ray-like
  // core) never reaches into its host (API, service, dashboard, CLI, process tuning) or into
  // tooling, and nothing that ships imports tests, test vectors or tooling (ARCHITECTURE.md).
  {
    files: ['src-core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: coreBannedPaths, patterns: corePatterns }] },
  },
  {
    files: ['src-core/host/**/*.ts'],
    ignores: testFiles,
    rules: { 'no-restricted-imports': ['error', { paths: coreBannedPaths, patterns: [...corePatterns, ...shippedPatterns] }] },
  },
  {
    files: ['src-core/engine/**/*.ts'],
    ignores: testFiles,
    rules: {
      'no-restricted-imports': ['error', {
        paths: coreBannedPaths,
        patterns: [...corePatterns, ...shippedPatterns,
          { group: ['**/host/**'], message: 'The engine never imports its host (src-core/host): pass what it needs in.' }],
      }],
    },
  },
  // do not relax: src-core/host/api is the only layer the renderer sees, so it stays free of Node (style.md point 2).
  {
    files: ['src-core/host/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins.map((name) => ({ name, message: 'src-core/host/api is shared with the renderer: no Node builtins.' })),
          { name: 'electron', message: 'src-core/host/api is shared with the renderer.' },
          { name: 'react', message: 'src-core never imports the UI.' }],
        patterns: [{ regex: '^\\.\\./', message: 'src-core/host/api imports only itself.' }],
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
          { regex: '(^|/)src-core/(?!host/api/)', message: 'The renderer sees only src-core/host/api.' },
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
