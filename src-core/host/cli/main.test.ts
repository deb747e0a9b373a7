import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main } from './main.js';

const fixtures = new URL('../../engine/config/fixtures/', import.meta.url).pathname;

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('porthole CLI', () => {
  it('test: prints "Configuration OK." for the bridge of the V2Ray docs', async () => {
    expect(await run(['test', '-c', join(fixtures, 'bridge.json')])).toEqual({ code: EXIT_OK, out: 'Configuration OK.', err: '' });
  });

  it('test: accepts V2Ray\'s -config spelling and merges several files', async () => {
    const result = await run(['test', '-config', join(fixtures, 'portal.json'), '-c', join(fixtures, 'bridge.json')]);
    expect(result.code).toBe(EXIT_OK);
  });

  it('test: one line naming the missing comma of the V2Ray docs snippet, exit 1, no stack', async () => {
    const file = join(fixtures, 'invalid-doc-outbound-missing-comma.json');
    const result = await run(['test', '-c', file]);
    expect(result).toEqual({ code: EXIT_FAILURE, out: '', err: `porthole: ${file}:2:15: missing comma after "tag": "out"? add "," at the end of line 2` });
  });

  it('test: a semantic error names file:line:column and the JSON path', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'porthole-cli-'));
    const file = join(folder, 'bad.json');
    writeFileSync(file, '{\n  "outbounds": [{ "protocol": "vmesss" }]\n}\n');
    const result = await run(['test', '-c', file]);
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.err).toMatch(new RegExp(`^porthole: ${file}:2:\\d+: outbounds\\[0\\]\\.protocol: .*did you mean "vmess"`));
    expect(result.err.split('\n')).toHaveLength(1);
  });

  it('usage errors exit 2 with a hint', async () => {
    expect(await run(['test'])).toEqual({ code: EXIT_USAGE, out: '', err: 'porthole: no config file given: pass -c FILE (repeat -c to merge several) (run porthole --help for usage)' });
    expect((await run(['frobnicate'])).code).toBe(EXIT_USAGE);
  });

  it('a missing file is one line', async () => {
    const result = await run(['test', '-c', '/nonexistent/porthole.json']);
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.err).toContain('/nonexistent/porthole.json');
  });

  it('version and help', async () => {
    const version = (await run(['version'])).out;
    expect(version).toMatch(/^Porthole \d+\.\d+\.\d+ /);
    // Which chunk cipher runs: the native one where it was built, else why not.
    expect(version).toMatch(/\nnative AEAD: (loaded from \S+porthole_aead(_static)?\.node|not built|turned off|this runtime)/);
    expect(version).toMatch(/\nnative heap trim: (loaded from \S+porthole_heap\.node|not built|turned off)/);
    const help = await run(['--help']);
    expect(help.code).toBe(EXIT_OK);
    expect(help.out).toContain('run [options]');
  });
});
