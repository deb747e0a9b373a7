#!/usr/bin/env node
// `npm start`: the tray app where Electron can run; otherwise Porthole headless, saying which and why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The first error line of a failed probe: the root cause ("TypeError: fetch failed"), not Node's trailer. */
function firstErrorLine(text) {
  const lines = `${text}`.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => /^[A-Za-z]*Error\b/.test(line)) ?? lines[0] ?? 'unknown error';
}

/** Path of a runnable Electron binary, or the reason there is none. Electron ≥ 42 downloads it on first require. */
function findElectron() {
  // Checked first: without a display there is nothing to download Electron for.
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset; under Xvfb, set DISPLAY)' };
  }
  const probe = spawnSync(process.execPath, ['-e', 'process.stdout.write("\\n" + require("electron"))'], {
    cwd: root, encoding: 'utf8', timeout: 60_000,
  });
  if (probe.error?.code === 'ETIMEDOUT') return { reason: 'downloading the Electron binary took more than a minute' };
  if (probe.status !== 0) {
    return { reason: `the Electron binary is not installed and could not be downloaded (${firstErrorLine(probe.stderr)}); on a machine that reaches Electron's downloads, \`npx install-electron\` fetches it, or point ELECTRON_OVERRIDE_DIST_PATH at an unpacked Electron ${electronVersion()}` };
  }
  // The download, when it happens, prints progress first: the path is the last line.
  const binary = `${probe.stdout}`.trim().split('\n').pop() ?? '';
  if (!existsSync(binary)) return { reason: `the Electron binary is missing at ${binary}` };
  return { binary };
}

function electronVersion() {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
  } catch {
    return '(see package.json)';
  }
}

/** Where Electron keeps the app's data (app.getPath('userData') for the app name "porthole"). */
function userDataFolder() {
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'porthole');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'porthole');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'porthole');
}

const mainEntry = join(root, 'dist', 'src-main', 'main.js');
const electron = existsSync(mainEntry) ? findElectron() : { reason: `the tray app is not built (no ${mainEntry}); run \`npm run build\` first` };
if (electron.binary) {
  console.log('porthole: starting the tray app (Electron). Look for the Porthole icon in the system tray; the window opens unless "start minimised" is on.');
  console.log(`porthole: profiles and settings are in ${userDataFolder()}; the app logs here. Ctrl-C quits it.`);
  const child = spawn(electron.binary, [root], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
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
