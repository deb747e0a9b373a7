import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Version from Porthole's package.json. Found by walking up from this file, since it runs
 * both from src-core/ (tests) and from dist/src-core/ (the built CLI).
 */
export function readPackageVersion(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(folder, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'porthole' && manifest.version) return manifest.version;
    }
    const parent = dirname(folder);
    if (parent === folder) return '0.0.0-unknown';
    folder = parent;
  }
}
