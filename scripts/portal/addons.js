/**
 * The native addons the one-file portal carries as SEA assets (scripts/build-portal.js). dlopen
 * needs a file, so each is written, when the engine first asks for it, into a fresh private
 * folder (mkdtemp: mode 0700, a new random name, nothing to pre-plant) and the folder is removed
 * on the next tick, once the synchronous load is done (or at exit, should loading fail first): a
 * mapped library outlives its file on Linux, so nothing stays behind on the server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRawAsset, isSea } from 'node:sea';
import { useAddonSource } from '../../src-core/engine/native/load.js';

/* global PORTHOLE_PORTAL_ADDONS, PORTHOLE_PORTAL_TARGET */
/** Addon name → SEA asset key, and the platform, both set by the build (esbuild `define`). */
const carried = /** @type {Record<string, string>} */ (PORTHOLE_PORTAL_ADDONS);
export const portalTarget = /** @type {string} */ (PORTHOLE_PORTAL_TARGET);

let folder;
/** The addons unpacked so far, for `porthole-portal version`. */
export const unpackedAddons = [];

function removeFolder() {
  process.off('exit', removeFolder);
  if (folder) rmSync(folder, { recursive: true, force: true });
  folder = undefined;
}

/** Writes the carried addon `name` to a private folder and returns its path; throws why it cannot. */
export function unpackAddon(name) {
  const key = carried[name];
  if (!key || !isSea()) throw new Error(`not carried in this one-file build (${portalTarget})`);
  try {
    if (!folder) {
      folder = mkdtempSync(join(tmpdir(), 'porthole-portal-'));
      process.nextTick(removeFolder);
      process.once('exit', removeFolder);
    }
    const file = join(folder, `${name}.node`);
    writeFileSync(file, new Uint8Array(getRawAsset(key)), { mode: 0o500, flag: 'wx' });
    unpackedAddons.push(name);
    return file;
  } catch (error) {
    throw new Error(`cannot unpack it from this one-file build into ${tmpdir()} (set TMPDIR to a private folder that allows executables): ${error.message}`, { cause: error });
  }
}

useAddonSource((name) => [unpackAddon(name)]);
