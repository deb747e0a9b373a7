/**
 * The "done when": `porthole run -c portal.json` and `porthole run -c bridge.json`, as
 * real processes, expose a local HTTP server through the portal's port; and the same with either
 * side swapped for the real v2ray.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig } from '../../engine/config/index.js';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { bridgeConfig, portalConfig, type Peer } from '../../../test/support/reverse-pair.js';
import { startHttp, type RunningServer } from '../../../test/support/upstream.js';
import { V2RAY_BINARY, v2rayAvailable } from '../../../test/support/v2ray.js';

const binary = new URL('../../../bin/porthole.js', import.meta.url).pathname;
const PAGE = 'hello from behind NAT\n';

let web: RunningServer;
const children: ChildProcess[] = [];
const outputs = new Map<ChildProcess, () => string>();
beforeAll(async () => {
  web = await startHttp(PAGE);
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await web.close();
});

function launch(kind: Peer, file: string): ChildProcess {
  const child = kind === 'porthole'
    ? spawn(process.execPath, [binary, 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(V2RAY_BINARY, ['-config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  outputs.set(child, () => output);
  return child;
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => {
      console.log(`did not exit: ${child.spawnargs.join(' ')}\n${outputs.get(child)?.()}`);
    }, 8000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

async function httpGet(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return await response.text();
  } catch {
    return undefined;
  }
}

const pairings: Array<[Peer, Peer]> = [['porthole', 'porthole'], ['v2ray', 'porthole'], ['porthole', 'v2ray']];

describe('porthole run (processes)', () => {
  it.each(pairings)('portal %s + bridge %s expose a local web server', async (portalKind, bridgeKind) => {
    if ((portalKind === 'v2ray' || bridgeKind === 'v2ray') && !v2rayAvailable()) return;
    const folder = mkdtempSync(join(tmpdir(), 'porthole-cli-'));
    const [publicPort = 0, linkPort = 0] = await freePorts(2);
    const ports = { publicPort, linkPort, upstreamPort: web.port };
    const portalFile = join(folder, 'portal.json');
    const bridgeFile = join(folder, 'bridge.json');
    writeFileSync(portalFile, JSON.stringify(exportV2RayConfig(portalConfig(ports)), null, 2));
    writeFileSync(bridgeFile, JSON.stringify(exportV2RayConfig(bridgeConfig(ports)), null, 2));

    const portal = launch(portalKind, portalFile);
    await waitForPort(linkPort);
    const bridge = launch(bridgeKind, bridgeFile);
    await waitForPort(publicPort);
    let page: string | undefined;
    await waitUntil(async () => (page = await httpGet(publicPort)) === PAGE, 15_000, 'the page through the tunnel').catch((error: Error) => {
      throw new Error(`${error.message}\nportal:\n${outputs.get(portal)?.()}\nbridge:\n${outputs.get(bridge)?.()}`);
    });
    expect(page).toBe(PAGE);
    // SIGTERM stops Porthole cleanly with exit 0.
    const codes = await Promise.all([stop(bridge), stop(portal)]);
    expect(codes.filter((_, index) => [bridgeKind, portalKind][index] === 'porthole')).toEqual(
      [bridgeKind, portalKind].filter((kind) => kind === 'porthole').map(() => 0));
  }, 60_000);
});
