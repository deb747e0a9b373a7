/** `porthole invite` and `porthole join` in process: what they print, write and refuse. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFiles } from '../../engine/config/index.js';
import { main } from './main.js';

const fixture = new URL('../../engine/config/fixtures/portal.json', import.meta.url);
const ID = 'b831381d-6324-4d53-ad4f-8cda48b30811';

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

function portalCopy(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'porthole-invite-cli-')), 'portal.json');
  writeFileSync(file, readFileSync(fixture, 'utf8'));
  return file;
}

describe('porthole invite', () => {
  it('adds a user, prints the link, a QR code and how to reload; --list shows it; --revoke removes it', async () => {
    const file = portalCopy();
    const invited = await run('invite', '-c', file, '--name', 'alice', '--address', 'vps.example.com');
    expect(invited.err).toEqual([]);
    expect(invited.code).toBe(0);
    expect(invited.out[0]).toMatch(/^Invited "alice" \([0-9a-f-]{36}\) to inbound "interconn" in .*portal\.json\.$/);
    expect(invited.out[1]).toContain('kill -HUP');
    expect(invited.out[3]).toMatch(/^porthole:\/\/join\?v=1&proto=vmess&addr=vps\.example\.com&port=1024&id=[0-9a-f-]{36}&domain=test\.v2ray\.com&name=alice$/);
    expect(invited.out[4]).toContain('▄');
    expect(readFileSync(file, 'utf8')).toContain('// Must be the same as in bridge');
    expect((await run('invite', '-c', file, '--list')).out.join('\n')).toMatch(/alice\s+[0-9a-f-]{36}/);
    expect((await run('invite', '-c', file, '--name', 'alice', '--address', 'x.example')).err).toEqual(['porthole: invite: inbound "interconn" already has a user named "alice" (revoke it or pick another name) (run porthole --help for usage)']);
    const revoked = await run('invite', '-c', file, '--revoke', 'alice');
    expect(revoked.code).toBe(0);
    expect(loadConfigFiles([file]).inbounds.find((inbound) => inbound.tag === 'interconn')).toMatchObject({ settings: { clients: [{ id: '27848739-7e62-4138-9fd3-098a63964b6b' }] } });
  });

  it.each([
    [['invite'], 'porthole: invite: pass exactly one -c FILE, the portal config to edit (run porthole --help for usage)', 2],
    [['invite', '-c', 'a.json', '--list', '--revoke', 'x'], 'porthole: invite: --name, --list and --revoke go alone (run porthole --help for usage)', 2],
    [['invite', '-c', '/nonexistent/portal.json'], 'porthole: invite: cannot read /nonexistent/portal.json: ENOENT (run porthole --help for usage)', 2],
  ])('refuses %j with one line', async (argv, line, code) => {
    const result = await run(...argv);
    expect(result.err).toEqual([line]);
    expect(result.code).toBe(code);
  });

  it('needs an address when the portal config has no publicHost', async () => {
    const result = await run('invite', '-c', portalCopy(), '--no-qr');
    expect(result.err).toEqual(['porthole: invite: no public address: pass --address HOST (or set reverse.portals[].exposures.publicHost)']);
    expect(result.code).toBe(1);
  });
});

describe('porthole join', () => {
  it('prints a bridge config for a vless:// share link and a domain', async () => {
    const result = await run('join', `vless://${ID}@vps.example.com:443?security=tls&type=ws&path=%2Fp#home`, '--domain', 'r.example', '--redirect', '127.0.0.1:8080');
    expect(result.code).toBe(0);
    const text = result.out.join('\n');
    expect(text).toMatch(/^\/\/ Bridge made by Porthole from a vless:\/\/ link "home" \(vless to vps\.example\.com:443\)\./);
    expect(text).toContain('"redirect": "127.0.0.1:8080"');
  });

  it('writes an invite\'s bridge to a new file, and never over an existing one', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'porthole-join-')), 'bridge.json');
    const link = `porthole://join?v=1&proto=vmess&addr=127.0.0.1&port=1024&id=${ID}&domain=test.v2ray.com`;
    expect((await run('join', link, '-o', out)).code).toBe(0);
    expect(loadConfigFiles([out]).reverse.bridges).toEqual([{ tag: 'bridge', domain: 'test.v2ray.com' }]);
    expect((await run('join', link, '-o', out)).err).toEqual([`porthole: join: ${out} already exists; pick a new file name (run porthole --help for usage)`]);
  });

  it.each([
    [[`vless://${ID}@vps.example.com:443`], 'porthole: join: a share link has no reverse domain: pass --domain (the portal\'s reverse.portals[].domain) (run porthole --help for usage)', 2],
    [['https://example.com'], 'porthole: join: expected a porthole://, vmess:// or vless:// link (run porthole --help for usage)', 2],
    [['porthole://join?v=1'], 'porthole: invite link: the protocol (proto=) is missing', 1],
  ])('refuses %j with one line', async (argv, line, code) => {
    const result = await run('join', ...argv);
    expect(result.err).toEqual([line]);
    expect(result.code).toBe(code);
  });
});
