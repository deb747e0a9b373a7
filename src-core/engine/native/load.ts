/**
 * Loads one of the optional native addons that scripts/build-native.js builds (binding.gyp), from
 * src-core/engine/native (tests) or dist/src-core/engine/native (the CLI). A missing or unloadable addon is not
 * an error: the caller falls back and reports `reason`.
 *
 * The addon is bound with RTLD_NOW where the platform has it: an OpenSSL symbol this Node does not
 * export then fails the load here, where it is caught, instead of killing the process at the first
 * call (Node's own `require` binds lazily). `selfTest` then runs the addon once on known answers,
 * so that one that loads but computes something else is not used either.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface LoadedAddon<T> {
  addon?: T;
  /** Why it is or is not in use, for logs and `porthole version`. */
  reason: string;
}

export interface LoadAddonOptions<T> {
  /** The environment variable that turns the addon off when it is `0`. */
  disabledBy: string;
  /** It links against the OpenSSL symbols of the Node binary (none in Electron, whose Node uses BoringSSL). */
  needsOpenSsl: boolean;
  /** Loaded in Electron too (default false): only addons that need nothing from the host. */
  inElectron?: boolean;
  /** Throws when the loaded addon does not compute its known answers. */
  selfTest?: (addon: T) => void;
  /** Files to try, in order (default: the build folders beside this file and in the source tree). */
  candidates?: readonly string[];
}

function defaultCandidates(name: string): string[] {
  const files = [`./build/Release/${name}.node`, `../../../../src-core/engine/native/build/Release/${name}.node`].map((candidate) =>
    fileURLToPath(new URL(candidate, import.meta.url)),
  );
  return withUnpacked(files);
}

/** In the packaged app, shared objects sit beside app.asar (electron-builder's asarUnpack): dlopen cannot read inside it. */
export function withUnpacked(files: readonly string[]): string[] {
  return files.flatMap((file) => (file.includes('app.asar/') ? [file.replace('app.asar/', 'app.asar.unpacked/'), file] : [file]));
}

/** Files to try for an addon, in place of the build folders; throws to say why there are none. */
export type AddonSource = (name: string) => readonly string[];

let addonSource: AddonSource | undefined;

/** The one-file portal (scripts/build-portal.js) carries its addons inside itself and unpacks them on demand. */
export function useAddonSource(source: AddonSource): void {
  addonSource = source;
}

export function loadAddon<T>(name: string, options: LoadAddonOptions<T>): LoadedAddon<T> {
  if (process.env[options.disabledBy] === '0') return { reason: `turned off by ${options.disabledBy}=0` };
  if (process.versions.electron && !options.inElectron) return { reason: 'not loaded in Electron' };
  if (options.needsOpenSsl && !process.versions.openssl) return { reason: 'this runtime has no OpenSSL to link against' };
  let candidates: readonly string[];
  try {
    candidates = options.candidates ?? addonSource?.(name) ?? defaultCandidates(name);
  } catch (error) {
    return { reason: (error as Error).message };
  }
  const path = candidates.find((file) => existsSync(file));
  if (!path) return { reason: 'not built (npm run build:native)' };
  let addon: T;
  try {
    const module = { exports: {} as T };
    const bindNow = constants.dlopen.RTLD_NOW;
    if (bindNow === undefined) process.dlopen(module, path);
    else process.dlopen(module, path, bindNow);
    addon = module.exports;
  } catch (error) {
    return { reason: `cannot load ${path}: ${(error as Error).message}` };
  }
  try {
    options.selfTest?.(addon);
  } catch (error) {
    return { reason: `${path} failed its self-test: ${(error as Error).message}` };
  }
  return { addon, reason: `loaded from ${path}` };
}
