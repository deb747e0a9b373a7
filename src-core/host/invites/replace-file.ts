/**
 * Rewrites a config file in place the safe way: the new text goes to a file beside it, which is
 * then renamed over it, so a portal reloading meanwhile (SIGHUP, or the window's reload) never
 * reads half a file. The file keeps its permission bits (a config holds credentials).
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

export function replaceFile(path: string, text: string): void {
  const temporary = `${path}.porthole-${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: statSync(path).mode & 0o777 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
