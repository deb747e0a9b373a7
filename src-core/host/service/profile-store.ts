/**
 * Profiles as named V2Ray JSON texts, one `<name>.json` file each in a folder (for the CLI,
 * `~/.config/porthole/profiles`). Names are checked against the contract's pattern, so a name can
 * never reach outside the folder. Writes go through a temporary file and a rename.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROFILE_NAME_PATTERN, ServiceError } from '../api/index.js';

export interface StoredProfile {
  name: string;
  text: string;
  updatedAt: number;
}

const EXTENSION = '.json';

export function checkProfileName(name: string): void {
  if (!PROFILE_NAME_PATTERN.test(name)) {
    throw new ServiceError('PH_PROFILE_BAD_NAME', `"${name}" is not a usable profile name: use 1–80 letters, digits, spaces and . _ ( ) + -`);
  }
}

export class ProfileStore {
  constructor(readonly folder: string) {}

  async list(): Promise<StoredProfile[]> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const profiles: StoredProfile[] = [];
    for (const file of names) {
      if (!file.endsWith(EXTENSION)) continue;
      const name = file.slice(0, -EXTENSION.length);
      if (!PROFILE_NAME_PATTERN.test(name)) continue;
      const profile = await this.read(name).catch(() => undefined);
      if (profile) profiles.push(profile);
    }
    return profiles;
  }

  /** The profile, or undefined when there is no such file. */
  async read(name: string): Promise<StoredProfile | undefined> {
    checkProfileName(name);
    const path = this.pathOf(name);
    try {
      const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      return { name, text, updatedAt: info.mtimeMs };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async write(name: string, text: string): Promise<StoredProfile> {
    checkProfileName(name);
    await mkdir(this.folder, { recursive: true });
    const path = this.pathOf(name);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
    return { name, text, updatedAt: (await stat(path)).mtimeMs };
  }

  async remove(name: string): Promise<boolean> {
    checkProfileName(name);
    const existed = (await this.read(name)) !== undefined;
    await rm(this.pathOf(name), { force: true });
    return existed;
  }

  private pathOf(name: string): string {
    return join(this.folder, `${name}${EXTENSION}`);
  }
}
