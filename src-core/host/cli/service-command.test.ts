/**
 * `porthole service install|uninstall` into a temporary unit folder: the unit's lines, the config
 * check first, and `systemd-analyze verify` on the result where that tool exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig, loadConfig } from '../../engine/config/index.js';
import { portalConfig } from '../../../test/support/reverse-pair.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main } from './main.js';
import { selfCommand } from './service-command.js';
import { execWord, writablePathsOf } from './systemd-unit.js';

let folder: string;
let configFile: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-service-'));
  configFile = join(folder, 'my portal.json');
  const config = exportV2RayConfig(portalConfig({ publicPort: 18080, linkPort: 18443, upstreamPort: 18081 })) as Record<string, unknown>;
  // A log file's folder must stay writable under ProtectSystem=strict.
  mkdirSync(join(folder, 'logs'));
  config.log = { loglevel: 'warning', error: join(folder, 'logs', 'error.log') };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

describe('porthole service', () => {
  it('writes a unit that runs this porthole with the config, hardened, and says how to start it', async () => {
    const unitDir = join(folder, 'units');
    const result = await run(['service', 'install', '-c', configFile, '--unit-dir', unitDir, '--user', 'porthole', '--name', 'porthole-test', '--metrics']);
    const unitFile = join(unitDir, 'porthole-test.service');
    expect(result).toEqual({ code: EXIT_OK, err: [], out: [`wrote ${unitFile}`, 'to start it now and at boot: systemctl daemon-reload && systemctl enable --now porthole-test'] });
    const unit = readFileSync(unitFile, 'utf8');
    const [node, script] = selfCommand();
    expect(unit).toContain(`ExecStart=${execWord(node ?? '')} ${script ? `${execWord(script)} ` : ''}run -c "${configFile}" --metrics\n`);
    for (const line of ['User=porthole', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'Restart=on-failure', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'ExecReload=/bin/kill -HUP $MAINPID', `ReadWritePaths=-${join(folder, 'logs')}`, 'WantedBy=multi-user.target']) {
      expect(unit).toContain(`${line}\n`);
    }
    const verify = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    if (!verify.error) {
      expect(verify.status).toBe(0);
      // Only lines about this unit's own syntax matter here (the host may warn about its other units).
      const ours = `${verify.stdout}${verify.stderr}`.split('\n').filter((line) => line.includes('porthole-test.service'));
      expect(ours).toEqual([]);
    }
    expect((await run(['service', 'install', '-c', configFile, '--unit-dir', unitDir, '--name', 'porthole-test'])).out[0]).toBe(`replaced ${unitFile}`);
  });

  it('writes a user unit without capabilities or User=', async () => {
    const unitDir = join(folder, 'user-units');
    expect((await run(['service', 'install', '-c', configFile, '--unit-dir', unitDir, '--user-unit'])).out.at(-1)).toBe('to start it now and at boot: systemctl --user daemon-reload && systemctl --user enable --now porthole');
    const unit = readFileSync(join(unitDir, 'porthole.service'), 'utf8');
    expect(unit).not.toContain('User=');
    expect(unit).not.toContain('AmbientCapabilities');
    expect(unit).toContain('WantedBy=default.target\n');
  });

  it('checks the config first: a bad file is one line with its place, and nothing is written', async () => {
    const bad = join(folder, 'bad.json');
    writeFileSync(bad, '{\n  "inbounds": [ { "protocol": "nope", "port": 1 } ]\n}\n');
    const unitDir = join(folder, 'not-written');
    const result = await run(['service', 'install', '-c', bad, '--unit-dir', unitDir]);
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.err).toEqual([expect.stringMatching(/^porthole: .*bad\.json:2:/) as unknown as string]);
    expect(existsSync(unitDir)).toBe(false);
    expect((await run(['service', 'install', '--unit-dir', unitDir])).code).toBe(EXIT_USAGE);
    expect((await run(['service', 'install', '-c', configFile, '--unit-dir', unitDir, '--name', '../etc/x'])).err[0]).toContain('--name: "../etc/x" is not a unit name');
  });

  it('uninstall removes the unit and its enable link, and says what to run', async () => {
    const unitDir = join(folder, 'remove');
    await run(['service', 'install', '-c', configFile, '--unit-dir', unitDir]);
    mkdirSync(join(unitDir, 'multi-user.target.wants'));
    symlinkSync(join(unitDir, 'porthole.service'), join(unitDir, 'multi-user.target.wants', 'porthole.service'));
    const result = await run(['service', 'uninstall', '--unit-dir', unitDir]);
    expect(result.out).toEqual([`removed ${join(unitDir, 'porthole.service')}`, 'to stop it if it still runs: systemctl stop porthole && systemctl daemon-reload']);
    expect(existsSync(join(unitDir, 'porthole.service'))).toBe(false);
    expect(existsSync(join(unitDir, 'multi-user.target.wants', 'porthole.service'))).toBe(false);
    expect((await run(['service', 'uninstall', '--unit-dir', unitDir])).out).toEqual([`no unit at ${join(unitDir, 'porthole.service')}: nothing to remove`]);
  });

  it('quotes ExecStart words as systemd reads them', () => {
    expect(execWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(execWord('/srv/my portal.json')).toBe('"/srv/my portal.json"');
    expect(execWord('/a/100%/$HOME')).toBe('/a/100%%/$$HOME');
    expect(execWord('say "hi"')).toBe('"say \\"hi\\""');
  });
});

describe('what a unit lets the service write', () => {
  it('the ACME store of a TLS inbound that gets its certificate itself, beside the log folder', () => {
    const config = loadConfig([{ name: 'portal.json', text: JSON.stringify({
      log: { error: '/var/log/porthole/error.log' },
      inbounds: [{ port: 443, protocol: 'vmess', settings: { clients: [] }, streamSettings: { security: 'tls', tlsSettings: { serverName: 'vps.example.com', acme: { storage: '/var/lib/porthole/acme' } } } }],
    }) }]);
    expect(writablePathsOf(config)).toEqual(['/var/lib/porthole/acme', '/var/log/porthole']);
  });
});
