#!/usr/bin/env node
// Builds the optional native addons (src-core/engine/native/binding.gyp: the chunk AEAD and the heap
// trimmer) with node-gyp. Without a C compiler the engine still works (node:crypto, slower; no
// heap trim after traffic), so a failed build warns and exits 0;
// set PORTHOLE_REQUIRE_NATIVE=1 to make it an error (CI does).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const directory = join(dirname(fileURLToPath(import.meta.url)), '..', 'src-core', 'engine', 'native');
// npm points npm_config_node_gyp at the node-gyp it bundles; outside npm, the one next to npm, or on PATH.
const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined);
const [command, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
// Build against the headers installed with the Node that runs this (offline, and the pinned Node
// 24 of node_modules/node-linux-* ships them) rather than downloading them; a configured nodedir
// (npm's, for a system Node) is the fallback.
const prefix = join(dirname(process.execPath), '..');
const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : process.env.npm_config_nodedir;
const staticLibcrypto = findStaticLibcrypto();
const result = spawnSync(command, [
  ...args, 'rebuild', '--loglevel=warn', ...(nodedir ? [`--nodedir=${nodedir}`] : []),
  // A gyp variable: binding.gyp then also builds porthole_aead_static, which Electron can load.
  ...(staticLibcrypto ? [`--static_libcrypto=${staticLibcrypto}`] : []),
], { cwd: directory, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (result.status === 0 && !staticLibcrypto) {
  console.warn('porthole: no static libcrypto (Debian: apt-get install libssl-dev), so the AEAD addon is built for plain Node only; the tray app (Electron) will use node:crypto, which is slower');
  // CI builds what the tray app ships.
  if (process.env.PORTHOLE_REQUIRE_NATIVE === '1') process.exit(1);
}
if (result.status === 0) process.exit(0);
const lines = (result.stderr || '').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('at '));
const why = result.error ? result.error.message : lines.slice(-3).join(' | ');
console.warn(`porthole: the native addons were not built (${why}); VMess uses node:crypto instead, which is slower, and the C heap is not trimmed after traffic`);
process.exit(process.env.PORTHOLE_REQUIRE_NATIVE === '1' ? 1 : 0);

/** OpenSSL's libcrypto.a, where the system has one (libssl-dev on Debian), else undefined. */
function findStaticLibcrypto() {
  if (process.env.PORTHOLE_STATIC_LIBCRYPTO) return process.env.PORTHOLE_STATIC_LIBCRYPTO;
  const probe = spawnSync('pkg-config', ['--variable=libdir', 'libcrypto'], { encoding: 'utf8' });
  const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[arch()];
  const folders = [probe.status === 0 ? probe.stdout.trim() : '', triplet ? `/usr/lib/${triplet}` : '', '/usr/lib', '/usr/local/lib', '/opt/homebrew/opt/openssl@3/lib'];
  return folders.filter(Boolean).map((folder) => join(folder, 'libcrypto.a')).find((file) => existsSync(file));
}
