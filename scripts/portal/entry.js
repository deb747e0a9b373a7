/**
 * Entry of the one-file portal, `porthole-portal` (scripts/build-portal.js bundles it into a Node
 * single-executable application): the `porthole` CLI without the dashboard's files. The addons
 * module comes first so that the engine's native parts, loaded as their modules are evaluated,
 * find the copies carried inside the executable.
 */
import { portalTarget, unpackedAddons } from './addons.js';
import { EXIT_USAGE, main } from '../../src-core/host/cli/main.js';

const argv = process.argv.slice(2);

async function runPortal() {
  // The dashboard's page (dist/renderer) is not inside this file; say so rather than serve nothing.
  if (argv.some((arg) => arg === '--ui' || arg.startsWith('--ui='))) {
    process.stderr.write('porthole-portal: --ui is not in the one-file portal build (it carries no dashboard files); use `porthole run --ui` from the full package\n');
    return EXIT_USAGE;
  }
  const code = await main(argv);
  if (argv[0] === 'version') {
    const addons = unpackedAddons.length ? `${unpackedAddons.join(', ')} (unpacked into a private temporary folder, removed once loaded)` : 'none';
    process.stdout.write(`one-file portal build (${portalTarget}): native addons from inside: ${addons}\n`);
  }
  return code;
}

// As bin/porthole.js: exit once output is flushed rather than wait for the event loop to empty.
runPortal().catch((error) => {
  process.stderr.write(`porthole-portal: ${error?.message ?? error}\n`);
  return 1;
}).then(async (code) => {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit(code);
});
