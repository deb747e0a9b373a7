/**
 * The engine's log files never take it down: a file that cannot be opened is an error where the
 * instance is built (or a reload refused before it changes anything), and a write that fails later
 * is reported once while the engine carries on.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatErrorLine } from './common/errors.js';
import { loadConfig, type PortholeConfig } from './config/index.js';
import { Instance } from './instance.js';

const DIR = mkdtempSync(join(tmpdir(), 'porthole-instance-logs-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** A config whose `log` section is `log` (loadConfig: no file checks, as for a profile from elsewhere). */
function withLog(log: object): PortholeConfig {
  return loadConfig([{ name: 'c.json', text: `{"log": ${JSON.stringify(log)}}` }], { env: {} });
}

describe('Instance and its log files', () => {
  it('throws where it is built when a log file cannot be opened, naming the config place', () => {
    const path = join(DIR, 'missing', 'error.log');
    let caught: unknown;
    try {
      new Instance(withLog({ error: path }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'PH_CONFIG_VALUE' });
    expect(formatErrorLine(caught)).toBe(`c.json:1:18: log.error: cannot open the error log "${path}" > ENOENT: no such file or directory, open '${path}'`);
  });

  it('refuses a reload whose log file cannot be opened before changing anything', async () => {
    const folder = join(DIR, 'reload');
    mkdirSync(folder);
    const before = withLog({ loglevel: 'info', error: join(folder, 'error.log') });
    const instance = new Instance(before);
    try {
      await expect(instance.reload(withLog({ loglevel: 'debug', error: join(DIR, 'gone', 'error.log') }))).rejects.toMatchObject({ code: 'PH_CONFIG_VALUE' });
      expect(instance.config).toBe(before);
      expect(instance.logger.enabled('debug')).toBe(false);
      instance.logger.log('info', 'test', 'still logging');
    } finally {
      await instance.close();
    }
    expect(readFileSync(join(folder, 'error.log'), 'utf8')).toContain('still logging');
  });

  it.skipIf(!existsSync('/dev/full'))('reports a log file whose writes fail once, and keeps running', async () => {
    const reports: string[] = [];
    const instance = new Instance(withLog({ loglevel: 'info', error: '/dev/full', access: '/dev/full' }), { onLogFileError: (message) => reports.push(message) });
    try {
      for (let i = 0; i < 5; i += 1) instance.logger.log('warning', 'test', `line ${i}`);
      instance.logger.access({ from: '127.0.0.1:1', status: 'accepted', to: 'tcp:127.0.0.1:2', route: 'a -> b' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      instance.logger.log('warning', 'test', 'after the failure');
    } finally {
      await instance.close();
    }
    expect(reports.sort()).toEqual([
      'the access log "/dev/full" failed: ENOSPC: no space left on device, write; its lines are dropped until a reload (SIGHUP) reopens it',
      'the error log "/dev/full" failed: ENOSPC: no space left on device, write; its lines are dropped until a reload (SIGHUP) reopens it',
    ]);
  });
});
