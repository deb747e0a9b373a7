/** The bench's checks before it starts anything: a broken setup is one line and exit 1, not a stack or a run of failed pairings. */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The machine's own node when it is older than 24 (this one's system Node 20), else undefined. */
const olderNode = (() => {
  const probe = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return probe.status === 0 && Number.parseInt(probe.stdout, 10) < 24 ? '/usr/bin/node' : undefined;
})();

const runBench = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['bench/run.js', '--rounds', '1'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });

describe('bench setup checks', () => {
  it('names a V2Ray binary that does not run', () => {
    const result = runBench({ V2RAY_BINARY: '/nonexistent/v2ray' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('bench: /nonexistent/v2ray does not run; install v2ray (apt-get install -y v2ray) or set V2RAY_BINARY');
  });

  it('names an unknown link transport, from the option or from BENCH_TRANSPORT', () => {
    const flag = spawnSync(process.execPath, ['bench/run.js', '--transport', 'ws+tls,quic'], { encoding: 'utf8', timeout: 20_000 });
    expect(flag.status).toBe(2);
    expect(flag.stderr.trim()).toBe('bench: --transport (BENCH_TRANSPORT) takes a comma-separated list of tcp, tls, ws, ws+tls, got "quic"');
    const env = runBench({ BENCH_TRANSPORT: 'wss' });
    expect(env.status).toBe(2);
    expect(env.stderr.trim()).toBe('bench: --transport (BENCH_TRANSPORT) takes a comma-separated list of tcp, tls, ws, ws+tls, got "wss"');
  });

  it.runIf(olderNode)('refuses a Node older than 24, whose CLI would hand over to a child the bench cannot measure', () => {
    const result = spawnSync(olderNode!, ['bench/run.js', '--rounds', '1'], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^bench: Porthole runs on Node 24 and this is v\d+\.\S+; run `npm run bench` \(it uses the pinned Node 24\)$/);
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
