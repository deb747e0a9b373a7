/** Runs the real `v2ray` (Debian's 4.34) with a JSON config for a test, and stops it after. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const V2RAY_BINARY = process.env.V2RAY_BINARY ?? '/usr/bin/v2ray';

/** True when the v2ray binary runs here (CI installs it; see .ci/run). */
export function v2rayAvailable(): boolean {
  return spawnSync(V2RAY_BINARY, ['-version'], { stdio: 'ignore' }).status === 0;
}

export interface V2RayProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startV2Ray(config: unknown): V2RayProcess {
  const folder = mkdtempSync(join(tmpdir(), 'porthole-v2ray-'));
  const file = join(folder, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child = spawn(V2RAY_BINARY, ['-config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return {
    child,
    output: () => output,
    stop: () => new Promise<void>((resolve) => {
      const done = () => {
        rmSync(folder, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) {
        done();
        return;
      }
      child.once('exit', done);
      child.kill('SIGTERM');
    }),
  };
}

/** Runs `v2ray -test -config FILE`; returns its exit status and output. */
export function v2rayTest(configText: string): { status: number | null; output: string } {
  const folder = mkdtempSync(join(tmpdir(), 'porthole-v2ray-test-'));
  const file = join(folder, 'config.json');
  writeFileSync(file, configText);
  const result = spawnSync(V2RAY_BINARY, ['-test', '-config', file], { encoding: 'utf8' });
  rmSync(folder, { recursive: true, force: true });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
