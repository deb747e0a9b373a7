/**
 * The proof, with real processes: a Porthole portal runs from a config file; `porthole
 * invite` adds a user and prints a link; `porthole join` makes that link a bridge config; a real
 * Porthole bridge links and a visitor reaches the local web server. Then `invite --revoke` and
 * SIGHUP: the portal drops that user's link and refuses it when the same bridge dials again.
 *
 * The CLI runs from source, bundled by esbuild into a temporary file (dist/ is not built here).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { startHttp, type RunningServer } from '../../../test/support/upstream.js';

const root = new URL('../../../', import.meta.url).pathname;
const PAGE = 'hello from behind NAT, by invitation\n';

let folder: string;
let cli: string;
let web: RunningServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-invite-'));
  cli = join(folder, 'porthole.mjs');
  const entry = join(folder, 'entry.ts');
  writeFileSync(entry, [
    `import { main } from ${JSON.stringify(join(root, 'src-core/host/cli/main.ts'))};`,
    'const code = await main(process.argv.slice(2));',
    'await Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => s.write("", r))));',
    'process.exit(code);',
  ].join('\n'));
  await build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', mainFields: ['module', 'main'], outfile: cli, logLevel: 'warning',
    // Modules that find files or packages from their own place look from the source tree.
    define: { 'import.meta.url': JSON.stringify(`file://${join(root, 'src-core/host/cli/main.ts')}`) },
    banner: { js: `import { createRequire as __portholeRequire } from 'node:module'; const require = __portholeRequire(${JSON.stringify(join(root, 'package.json'))});` },
  });
  web = await startHttp(PAGE);
}, 60_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await web.close();
  rmSync(folder, { recursive: true, force: true });
});

function porthole(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function launch(file: string): { child: ChildProcess; output(): string } {
  const child = spawn(process.execPath, [cli, 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return { child, output: () => output };
}

async function httpGet(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return await response.text();
  } catch {
    return undefined;
  }
}

async function reload(portal: { child: ChildProcess; output(): string }): Promise<void> {
  const before = portal.output().split('SIGHUP: config reloaded').length;
  portal.child.kill('SIGHUP');
  await waitUntil(() => portal.output().split('SIGHUP: config reloaded').length > before, 10_000, `the portal to reload:\n${portal.output()}`);
}

/** The portal of V2Ray's reverse-proxy doc, with its comments, on free ports, at warning level. */
function portalText(publicPort: number, linkPort: number, upstreamPort: number): string {
  return `// The portal: visitors on ${publicPort}, bridges dial ${linkPort}.
{
  "log": {"loglevel": "info"},
  "reverse": {"portals": [{"tag": "portal", "domain": "invite.porthole.test"}]},
  "inbounds": [
    {"tag": "external", "listen": "127.0.0.1", "port": ${publicPort}, "protocol": "dokodemo-door",
     "settings": {"address": "127.0.0.1", "port": ${upstreamPort}, "network": "tcp"}},
    {
      "tag": "interconn", "listen": "127.0.0.1", "port": ${linkPort}, "protocol": "vmess",
      "settings": {
        # the owner's own bridge
        "clients": [{"id": "27848739-7e62-4138-9fd3-098a63964b6b", "email": "owner"}]
      }
    }
  ],
  "routing": {"rules": [
    {"type": "field", "inboundTag": ["external"], "outboundTag": "portal"},
    {"type": "field", "inboundTag": ["interconn"], "outboundTag": "portal"}
  ]}
}
`;
}

describe('porthole invite → join → bridge → revoke (processes)', () => {
  it('an invite link round-trips into a working bridge; a revoked invite\'s link is refused', async () => {
    const [publicPort = 0, linkPort = 0] = await freePorts(2);
    const portalFile = join(folder, 'portal.json');
    writeFileSync(portalFile, portalText(publicPort, linkPort, web.port));
    const portal = launch(portalFile);
    await waitForPort(linkPort);

    const invited = porthole('invite', '-c', portalFile, '--name', 'alice', '--address', '127.0.0.1');
    expect(invited.stderr).toBe('');
    expect(invited.status).toBe(0);
    const link = invited.stdout.split('\n').find((line) => line.startsWith('porthole://'));
    expect(link).toMatch(/^porthole:\/\/join\?v=1&proto=vmess&addr=127\.0\.0\.1&port=\d+&id=[0-9a-f-]{36}&domain=invite\.porthole\.test&name=alice$/);
    expect(invited.stdout).toContain('▄'); // the QR code
    const id = /id=([0-9a-f-]{36})/.exec(link!)![1]!;
    const edited = readFileSync(portalFile, 'utf8');
    expect(edited).toContain('# the owner\'s own bridge');
    expect(edited).toContain(`"email": "alice"`);
    await reload(portal);

    const bridgeFile = join(folder, 'bridge.json');
    const joined = porthole('join', link!, '-o', bridgeFile);
    expect(joined.stderr).toBe('');
    expect(joined.status).toBe(0);
    const bridge = launch(bridgeFile);
    await waitUntil(async () => (await httpGet(publicPort)) === PAGE, 15_000, `the page through the invited bridge:\n${portal.output()}\n${bridge.output()}`);

    expect(portal.output()).toMatch(/from user alice/); // the portal knows the bridge as its own user
    const revoked = porthole('invite', '-c', portalFile, '--revoke', 'alice');
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toContain(`Revoked "alice" (${id})`);
    expect(porthole('invite', '-c', portalFile, '--list').stdout).not.toContain(id);
    await reload(portal);

    // The portal refuses the same bridge: it dials again and again and never links.
    const afterRevoke = () => portal.output().split('SIGHUP: config reloaded').at(-1)!;
    await waitUntil(() => /rejected a connection from 127\.0\.0\.1:\d+: vmess: invalid user/.test(afterRevoke()), 15_000, `a rejection line on the portal:\n${portal.output()}`);
    expect(afterRevoke()).toMatch(/bridge link down from user alice/);
    await waitUntil(async () => (await httpGet(publicPort)) !== PAGE, 15_000, 'the page to stop coming through');
    expect(await httpGet(publicPort)).not.toBe(PAGE);
    expect(bridge.child.exitCode).toBeNull(); // still running, still refused
  }, 90_000);
});
