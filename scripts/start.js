#!/usr/bin/env node
// `npm start`: the tray app where Electron can run; otherwise Porthole headless, saying which and why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Path of a runnable Electron binary, or the reason there is none. Electron ≥ 42 downloads it on first require. */
function findElectron() {
  const probe = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("electron"))'], {
    cwd: root, encoding: 'utf8', timeout: 60_000,
  });
  if (probe.status !== 0) {
    const lastLine = `${probe.stderr}`.trim().split('\n').filter(Boolean).pop() ?? 'unknown error';
    return { reason: `the Electron binary is not installed and could not be downloaded (${lastLine})` };
  }
  const binary = probe.stdout.trim();
  if (!existsSync(binary)) return { reason: `the Electron binary is missing at ${binary}` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  return { binary };
}

const mainEntry = join(root, 'dist', 'src-main', 'main.js');
const electron = existsSync(mainEntry) ? findElectron() : { reason: 'the tray app (src-main) is not built in this version yet' };
if (electron.binary) {
  console.log('porthole: starting the tray app (Electron).');
  const child = spawn(electron.binary, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const config = join(root, 'examples', 'local-demo.json');
  const ui = (await portIsFree(7070)) ? '127.0.0.1:7070' : '127.0.0.1:0';
  console.log(`porthole: cannot open the tray app here: ${electron.reason}.`);
  console.log(`porthole: starting the web dashboard instead: node bin/porthole.js run -c ${config} --ui ${ui}`);
  console.log('porthole: the demo profile is bridge and portal at once: http://127.0.0.1:8080/ shows what listens on localhost:80.');
  console.log('porthole: open the dashboard URL printed below (it carries the access token). Ctrl-C stops it.');
  const child = spawn(process.execPath, [join(root, 'bin', 'porthole.js'), 'run', '-c', config, '--ui', ui], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

/** Whether 127.0.0.1:port can be listened on right now. */
function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
