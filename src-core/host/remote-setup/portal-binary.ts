/**
 * Finds the one-file portal for the server's architecture on this machine: `PORTHOLE_PORTAL_DIR`,
 * then the Electron app's resources (`<resources>/portal`), then the repository's `release/`
 * (where `npm run dist:portal` puts it). Its SHA-256 is kept per file, size and time, so a retry
 * does not read 108 MiB again.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const portalBinaryName = (arch: 'x64' | 'arm64') => `porthole-portal-linux-${arch}`;

/** The repository (or installed package) root: the nearest folder up from here with a package.json. */
function packageRoot(): string | undefined {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth += 1) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
  return undefined;
}

export function portalFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const root = packageRoot();
  return [env.PORTHOLE_PORTAL_DIR, resources ? join(resources, 'portal') : undefined, root ? join(root, 'release') : undefined]
    .filter((folder): folder is string => typeof folder === 'string' && folder.length > 0);
}

export interface LocatedBinary {
  file: string;
  size: number;
  sha256: string;
}

const hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The binary for `arch`, or the one line saying which file is missing and how to make it. */
export async function locatePortalBinary(arch: 'x64' | 'arm64', folders: readonly string[] = portalFolders()): Promise<LocatedBinary | { reason: string }> {
  const name = portalBinaryName(arch);
  for (const folder of folders) {
    const file = join(folder, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    const known = hashes.get(file);
    if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) return { file, size: info.size, sha256: known.sha256 };
    const sha256 = await sha256Of(file);
    hashes.set(file, { size: info.size, mtimeMs: info.mtimeMs, sha256 });
    return { file, size: info.size, sha256 };
  }
  return { reason: `${name} is missing (looked in ${folders.join(', ') || 'no folder'}): build it with npm run dist:portal` };
}
