/** The bench's checks before it starts anything: a broken setup is one line and exit 1, not a stack or a run of failed pairings. */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const runBench = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['bench/run.js', '--rounds', '1'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });

describe('bench setup checks', () => {
  it('names a V2Ray binary that does not run', () => {
    const result = runBench({ V2RAY_BINARY: '/nonexistent/v2ray' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('bench: /nonexistent/v2ray does not run; install v2ray (apt-get install -y v2ray) or set V2RAY_BINARY');
  });

  it('names a Porthole CLI whose engine is not built', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bench-setup-'));
    mkdirSync(join(folder, 'bin'));
    copyFileSync('bin/porthole.js', join(folder, 'bin', 'porthole.js'));
    // A stand-in that answers -version as v2ray does, so this check runs without v2ray installed.
    const fakeV2ray = join(folder, 'v2ray');
    writeFileSync(fakeV2ray, '#!/bin/sh\necho "V2Ray 4.34.0 (stand-in)"\n');
    chmodSync(fakeV2ray, 0o755);
    const result = runBench({ V2RAY_BINARY: fakeV2ray, PORTHOLE_CLI: join(folder, 'bin', 'porthole.js') });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`bench: the engine is not built in ${join(folder, 'dist', 'src-core')}; run \`npm run build:core\` (npm run bench does it)`);
  });
});
