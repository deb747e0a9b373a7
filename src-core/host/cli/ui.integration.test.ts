/**
 * `porthole run --ui`: the engine plus the token-protected dashboard, as a real process (from the
 * built dist/, which also proves the dashboard finds dist/renderer), and the flags' usage errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig } from '../../engine/config/index.js';
import { freePorts, waitUntil } from '../../../test/support/ports.js';
import { portalConfig } from '../../../test/support/reverse-pair.js';
import { EXIT_USAGE, main, parseUiAddress } from './main.js';

const binary = new URL('../../../bin/porthole.js', import.meta.url).pathname;
let folder: string;
let configFile: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-ui-'));
  const [publicPort = 0, linkPort = 0, upstreamPort = 0] = await freePorts(3);
  configFile = join(folder, 'portal.json');
  writeFileSync(configFile, JSON.stringify(exportV2RayConfig(portalConfig({ publicPort, linkPort, upstreamPort })), null, 2));
});

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

async function run(args: string[]) {
  const err: string[] = [];
  const code = await main(args, { out: () => {}, err: (line) => err.push(line) });
  return { code, err: err.join('\n') };
}

describe('porthole run --ui', () => {
  it.each([
    ['127.0.0.1:7070', { host: '127.0.0.1', port: 7070 }],
    ['7071', { host: '127.0.0.1', port: 7071 }],
    ['[::1]:7072', { host: '::1', port: 7072 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ])('reads %s', (value, expected) => {
    expect(parseUiAddress(value)).toEqual(expected);
  });

  it('refuses a bad address, a reachable address without --ui-allow-remote, and the flag alone', async () => {
    expect(await run(['run', '-c', configFile, '--ui', 'nope:port'])).toEqual({ code: EXIT_USAGE, err: expect.stringContaining('--ui: expected host:port') as unknown as string });
    expect(await run(['run', '-c', configFile, '--ui', '0.0.0.0:7070'])).toEqual({ code: EXIT_USAGE, err: expect.stringContaining('add --ui-allow-remote') as unknown as string });
    expect(await run(['run', '-c', configFile, '--ui-allow-remote'])).toEqual({ code: EXIT_USAGE, err: expect.stringContaining('--ui-allow-remote needs --ui') as unknown as string });
  });

  it('prints a URL with the token; without it the page is 401, with it the app loads; SIGTERM stops it', async () => {
    let output = '';
    child = spawn(process.execPath, [binary, 'run', '-c', configFile, '--ui', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PORTHOLE_CONFIG_DIR: join(folder, 'home') },
    });
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await waitUntil(() => /dashboard: (http:\/\/\S+)/.test(output), 15_000, `the dashboard URL in:\n${output}`);
    const url = new URL(/dashboard: (http:\/\/\S+)/.exec(output)?.[1] ?? '');
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(output).toMatch(/started \(.*portal\.json\): portal "portal"/);

    const withoutToken = await fetch(url.origin);
    const login = await fetch(url, { redirect: 'manual' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await fetch(url.origin, { headers: { Cookie: cookie } });
    const body = await page.text();
    const status = await fetch(`${url.origin}/api/call`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{"method":"getStatus","args":[]}' });
    expect({
      withoutToken: withoutToken.status,
      login: [login.status, login.headers.get('location')],
      page: [page.status, body.includes('<div id="root">')],
      engine: ((await status.json()) as { result: { state: string; profile: string } }).result,
    }).toEqual({
      withoutToken: 401,
      login: [303, '/'],
      page: [200, true],
      engine: expect.objectContaining({ state: 'running', profile: 'portal.json' }) as unknown as object,
    });

    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
