import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandHome, keyFileName, readKeyFile } from './key-file.js';

const home = mkdtempSync(join(tmpdir(), 'porthole-key-file-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('expandHome', () => {
  it.each([
    ['~', home],
    ['~/.ssh/id_ed25519', join(home, '.ssh/id_ed25519')],
    ['~/', home],
    ['/etc/ssh/key', '/etc/ssh/key'],
    ['relative/key', 'relative/key'],
    ['~other/.ssh/key', '~other/.ssh/key'],
    ['/srv/~/key', '/srv/~/key'],
  ])('%s → %s', (path, expected) => {
    expect(expandHome(path, home)).toBe(expected);
  });
});

describe('readKeyFile', () => {
  it('reads a file under ~ and names it as written and where it is', async () => {
    writeFileSync(join(home, 'id_test'), 'key bytes');
    expect((await readKeyFile('~/id_test', home)).toString()).toBe('key bytes');
    expect(keyFileName('~/id_test', home)).toBe(`~/id_test (${home}/id_test)`);
    expect(keyFileName('/k', home)).toBe('/k');
  });

  it.each([
    ['~/missing', `the key file ~/missing (${home}/missing) does not exist`],
    [`${home}/missing`, `the key file ${home}/missing does not exist`],
    ['~', `the key file ~ (${home}) is a folder, not a key file`],
  ])('%s: one line naming the file', async (path, message) => {
    await expect(readKeyFile(path, home)).rejects.toThrow(message);
  });
});
