/** The real one-file portal for tests (scripts/build-portal.js, a few seconds). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Builds `porthole-portal-linux-x64` into `out` with the pinned Node; throws with the build's output on failure. */
export function buildTestPortal(out: string): string {
  const build = spawnSync(join(root, 'node_modules/.bin/node'), [join(root, 'scripts/build-portal.js'), '--arch', 'x64', '--out', out], { encoding: 'utf8', timeout: 110_000 });
  if (build.status !== 0) throw new Error(`build-portal failed (${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`);
  return join(out, 'porthole-portal-linux-x64');
}
