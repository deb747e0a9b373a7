/**
 * Loads one of the optional native addons that scripts/build-native.js builds (binding.gyp), from
 * src-core/native (tests) or dist/src-core/native (the CLI). A missing or unloadable addon is not
 * an error: the caller falls back and reports `reason`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface LoadedAddon<T> {
  addon?: T;
  /** Why it is or is not in use, for logs and `porthole version`. */
  reason: string;
}

export function loadAddon<T>(name: string, options: { disabledBy: string; needsOpenSsl: boolean }): LoadedAddon<T> {
  if (process.env[options.disabledBy] === '0') return { reason: `turned off by ${options.disabledBy}=0` };
  if (process.versions.electron) return { reason: 'not loaded in Electron' };
  if (options.needsOpenSsl && !process.versions.openssl) return { reason: 'this runtime has no OpenSSL to link against' };
  const candidates = [`./build/Release/${name}.node`, `../../../src-core/native/build/Release/${name}.node`];
  const path = candidates.map((candidate) => fileURLToPath(new URL(candidate, import.meta.url))).find((file) => existsSync(file));
  if (!path) return { reason: 'not built (npm run build:native)' };
  try {
    return { addon: createRequire(import.meta.url)(path) as T, reason: `loaded from ${path}` };
  } catch (error) {
    return { reason: `cannot load ${path}: ${(error as Error).message}` };
  }
}
