#!/usr/bin/env node
// Thin entry: the CLI lives in src-core/host/cli, compiled to dist/ by `npm ci` (the `prepare` script).
// Porthole runs on Node 24 (the Node inside Electron 40+). On an older `node`, it hands over to
// the Node 24 that `npm ci` pins in node_modules (node-linux-*), or says what to install.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NEEDED_MAJOR = 24;

if (Number.parseInt(process.versions.node, 10) < NEEDED_MAJOR) {
  const pinned = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    console.error(`porthole: needs Node.js ${NEEDED_MAJOR} or later, and this is ${process.version}. Install Node ${NEEDED_MAJOR} (\`nvm install\` reads .nvmrc), or run \`npm ci\` in the project folder, which brings a pinned Node ${NEEDED_MAJOR} on Linux.`);
    process.exit(1);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // The CLI stops on SIGINT/SIGTERM and reloads on SIGHUP: pass them on, and exit as it does.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.once('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
  child.once('error', (error) => {
    console.error(`porthole: cannot start the pinned Node ${NEEDED_MAJOR} (${pinned}): ${error.message}`);
    process.exit(1);
  });
} else {
  const entry = new URL('../dist/src-core/host/cli/main.js', import.meta.url);
  if (!existsSync(fileURLToPath(entry))) {
    console.error('porthole: the engine is not built yet. Run `npm ci` (or `npm run build`) in the project folder first.');
    process.exit(1);
  }
  const { main } = await import(entry.href);
  const code = await main(process.argv.slice(2));
  // The engine is stopped: exit now rather than wait for the event loop to empty. Node's own
  // clean-up at a natural exit waits for every pending request, and after a V2Ray bridge carried
  // traffic one never completed: the process spun there forever after SIGTERM.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit(code);
}
