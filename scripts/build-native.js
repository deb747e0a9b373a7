#!/usr/bin/env node
// Builds the optional native addons (src-core/engine/native/binding.gyp: the chunk AEAD and the heap
// trimmer) with node-gyp. Without a C compiler the engine still works (node:crypto, slower; no
// heap trim after traffic), so a failed build warns and exits 0;
// set PORTHOLE_REQUIRE_NATIVE=1 to make it an error (CI does).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
const result = spawnSync(command, [...args, 'rebuild', '--loglevel=warn', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: directory, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (result.status === 0) process.exit(0);
const lines = (result.stderr || '').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('at '));
const why = result.error ? result.error.message : lines.slice(-3).join(' | ');
console.warn(`porthole: the native addons were not built (${why}); VMess uses node:crypto instead, which is slower, and the C heap is not trimmed after traffic`);
process.exit(process.env.PORTHOLE_REQUIRE_NATIVE === '1' ? 1 : 0);
