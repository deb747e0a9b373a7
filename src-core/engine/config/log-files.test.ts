import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatErrorLine } from '../common/errors.js';
import { loadConfigFiles } from './index.js';

const DIR = mkdtempSync(join(tmpdir(), 'porthole-log-files-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

let counter = 0;
/** Loads a config whose `log` section is `log` (on line 2) from a file; the one-line error, or "accepted". */
function loadWithLog(log: object): string {
  const file = join(DIR, `c${counter++}.json`);
  writeFileSync(file, `{\n"log": ${JSON.stringify(log)}\n}\n`);
  try {
    loadConfigFiles([file]);
    return 'accepted';
  } catch (error) {
    return `${(error as { code: string }).code} ${formatErrorLine(error).slice(file.length + 1)}`;
  }
}

describe('loadConfigFiles checks log files as V2Ray opens them at load', () => {
  mkdirSync(join(DIR, 'folder'));
  writeFileSync(join(DIR, 'plain.txt'), '');

  it.each<[string, object, string]>([
    ['error log in a folder that does not exist', { error: join(DIR, 'missing', 'err.log') },
      `PH_CONFIG_VALUE 2:17: log.error: cannot open the error log "${join(DIR, 'missing', 'err.log')}": folder "${join(DIR, 'missing')}" does not exist`],
    ['access log in a folder that does not exist', { access: join(DIR, 'missing', 'a.log') },
      `PH_CONFIG_VALUE 2:18: log.access: cannot open the access log "${join(DIR, 'missing', 'a.log')}": folder "${join(DIR, 'missing')}" does not exist`],
    ['a folder given as the file', { access: join(DIR, 'folder') },
      `PH_CONFIG_VALUE 2:18: log.access: cannot open the access log "${join(DIR, 'folder')}": it is a folder, not a file`],
    ['a file given as a folder', { error: join(DIR, 'plain.txt', 'err.log') },
      `PH_CONFIG_VALUE 2:17: log.error: cannot open the error log "${join(DIR, 'plain.txt', 'err.log')}": a part of "${join(DIR, 'plain.txt', 'err.log')}" is not a folder`],
    ['a relative path in a missing folder', { access: 'no-such-folder-here/a.log' },
      'PH_CONFIG_VALUE 2:18: log.access: cannot open the access log "no-such-folder-here/a.log": folder "no-such-folder-here" does not exist'],
    ['the access log first, as V2Ray opens it first', { access: join(DIR, 'missing', 'a.log'), error: join(DIR, 'missing', 'e.log') },
      `PH_CONFIG_VALUE 2:18: log.access: cannot open the access log "${join(DIR, 'missing', 'a.log')}": folder "${join(DIR, 'missing')}" does not exist`],
    ['"none" turns a log off, so its path is not opened', { access: join(DIR, 'missing', 'a.log'), loglevel: 'none' }, 'accepted'],
    ['a new file in a folder that exists', { access: join(DIR, 'folder', 'a.log'), error: join(DIR, 'folder', 'e.log') }, 'accepted'],
    ['"" means the console', { access: '', error: '' }, 'accepted'],
  ])('%s', (_name, log, expected) => {
    expect(loadWithLog(log)).toBe(expected);
  });

  it('leaves no trace: a log file that does not exist yet is not created by checking', () => {
    expect(loadWithLog({ access: join(DIR, 'folder', 'new.log') })).toBe('accepted');
    expect(existsSync(join(DIR, 'folder', 'new.log'))).toBe(false);
  });

  // Root may write anything (and so may V2Ray run as root); the CLI test runs this as "nobody".
  it.skipIf(isRoot)('a file or folder this user may not write', () => {
    const locked = join(DIR, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'ro.log'), '');
    chmodSync(join(locked, 'ro.log'), 0o444);
    chmodSync(locked, 0o555);
    try {
      expect(loadWithLog({ access: join(locked, 'ro.log') })).toBe(
        `PH_CONFIG_VALUE 2:18: log.access: cannot open the access log "${join(locked, 'ro.log')}": permission denied: this user may not write the file`);
      expect(loadWithLog({ access: join(locked, 'new.log') })).toBe(
        `PH_CONFIG_VALUE 2:18: log.access: cannot open the access log "${join(locked, 'new.log')}": permission denied: this user may not create files in "${locked}"`);
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});
