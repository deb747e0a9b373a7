/**
 * The packaged binary's Electron fuses (electron-builder.yml): a change to any of them is a change
 * to the security model in docs/desktop.md, so it has to show up here too. The installed
 * electron-builder's schema checks the key names when it loads the file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The `electronFuses:` block of the YAML as a map (flat `key: true|false` lines). */
function electronFuses(yaml: string): Record<string, boolean> {
  const block = /^electronFuses:\n((?: {2}\w+: (?:true|false)\n)+)/m.exec(yaml)?.[1] ?? '';
  return Object.fromEntries(block.trim().split('\n').filter(Boolean).map((line) => {
    const [key = '', value = ''] = line.trim().split(': ');
    return [key, value === 'true'];
  }));
}

describe('electron-builder.yml', () => {
  const yaml = readFileSync(new URL('../electron-builder.yml', import.meta.url), 'utf8');

  it('flips the fuses that lock the packaged binary to this app', () => {
    expect(electronFuses(yaml)).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs the app into an asar, which onlyLoadAppFromAsar needs', () => {
    expect(yaml).toMatch(/^asar: true$/m);
  });
});
