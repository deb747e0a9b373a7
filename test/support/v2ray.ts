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
  return startV2RayFile('config.json', JSON.stringify(config, null, 2));
}

/** Runs `v2ray -config <fileName>` with `text` written unchanged (as a user would save it). */
export function startV2RayFile(fileName: string, text: string): V2RayProcess {
  return startWithConfigFile((file) => [V2RAY_BINARY, '-config', file], fileName, text);
}

/** Runs `command(file)` with `text` written to a fresh temporary `fileName`; stops it with SIGTERM (SIGKILL after 5 s). */
export function startWithConfigFile(command: (file: string) => string[], fileName: string, text: string): V2RayProcess {
  const folder = mkdtempSync(join(tmpdir(), 'porthole-v2ray-'));
  const file = join(folder, fileName);
  writeFileSync(file, text);
  const [executable = '', ...args] = command(file);
  return superviseProcess(spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] }), folder);
}

/**
 * Collects a child's output and stops it with SIGTERM (SIGKILL after 5 s), then removes `folder`,
 * its scratch folder. `moreOutput` adds what it writes elsewhere (a log file).
 */
export function superviseProcess(child: ChildProcess, folder: string, moreOutput: () => string = () => ''): V2RayProcess {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return {
    child,
    output: () => `${output}${moreOutput()}`,
    stop: () => new Promise<void>((resolve) => {
      const done = () => {
        rmSync(folder, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) {
        done();
        return;
      }
      // A process that ignores SIGTERM must not hang the suite.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.kill('SIGTERM');
    }),
  };
}

/** Runs `v2ray -test -config FILE`; returns its exit status and output. */
export function v2rayTest(configText: string): { status: number | null; output: string } {
  const folder = mkdtempSync(join(tmpdir(), 'porthole-v2ray-test-'));
  const file = join(folder, 'config.json');
  writeFileSync(file, configText);
  const result = spawnSync(V2RAY_BINARY, ['-test', '-config', file], { encoding: 'utf8', timeout: 15_000 });
  rmSync(folder, { recursive: true, force: true });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
