/** What ships is the engine and its host: the build leaves tests, vectors, benches and tooling out. */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const built = join(root, 'dist', 'src-core');

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(built, join(entry.parentPath, entry.name)));
}

describe.runIf(existsSync(built))('dist/src-core (after npm run build)', () => {
  it('holds only the engine and its host', () => {
    expect(readdirSync(built).sort()).toEqual(['engine', 'host']);
  });

  it('holds no tests, test vectors, benches or tooling', () => {
    const strays = filesUnder(built).filter((file) => /(^|\/)(testdata|tooling|fuzz)\/|\.(test|bench|suite)\.js/.test(file));
    expect(strays).toEqual([]);
  });
});
