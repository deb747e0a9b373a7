#!/usr/bin/env node
// Thin entry: the CLI lives in src-core/cli, compiled to dist/ by `npm ci` (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src-core/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('porthole: the engine is not built yet. Run `npm ci` (or `npm run build`) in the project folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
// Everything is closed by now; should a socket or timer still hold the loop, exit anyway.
setTimeout(() => process.exit(), 1000).unref();
