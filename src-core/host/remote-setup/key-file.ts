/**
 * The private key file the user named for the SSH login. `~` and `~/…` mean the home folder of the
 * user running Porthole, as in a shell (the window suggests `~/.ssh/id_ed25519`); nothing else
 * expands (`~other/…` is taken as written). A file that cannot be read is one line naming it.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `~` or `~/rest` → the home folder (joined with rest); any other path unchanged. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/** How messages name the file: as written, and where that is when `~` was expanded. */
export function keyFileName(path: string, home: string = homedir()): string {
  const expanded = expandHome(path, home);
  return expanded === path ? path : `${path} (${expanded})`;
}

const REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'cannot be read: permission denied',
  EPERM: 'cannot be read: permission denied',
  EISDIR: 'is a folder, not a key file',
  ENOTDIR: 'does not exist (part of its path is not a folder)',
};

/** The key file's bytes; rejects with one line (`the key file … does not exist`). */
export async function readKeyFile(path: string, home: string = homedir()): Promise<Buffer> {
  try {
    return await readFile(expandHome(path, home));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new Error(`the key file ${keyFileName(path, home)} ${REASONS[code] ?? `cannot be read (${code || (error as Error).message})`}`, { cause: error });
  }
}
