import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsStore } from './settings-store.js';

const folders: string[] = [];
afterEach(() => { for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true }); });

function file(content: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'porthole-settings-'));
  folders.push(folder);
  const path = join(folder, 'settings.json');
  writeFileSync(path, content);
  return path;
}

describe('SettingsStore', () => {
  it('keeps an exposure\'s inspector settings when in range, and drops them (defaults) when not', async () => {
    const exposure = (id: string, inspector: unknown) => ({ id, name: id, localHost: '127.0.0.1', localPort: 80 + Number(id.slice(-1)), inspector });
    const store = new SettingsStore(file(JSON.stringify({
      exposures: [
        exposure('e-00000001', { enabled: false, ringSize: 20, bodyCapBytes: 0 }),
        exposure('e-00000002', { enabled: true, ringSize: 0, bodyCapBytes: 10 }),
        exposure('e-00000003', { enabled: true, ringSize: 10, bodyCapBytes: 64 * 1024 * 1024 + 1 }),
        exposure('e-00000004', { ringSize: 10, bodyCapBytes: 10 }),
        exposure('e-00000005', 'on'),
      ],
    })));
    const state = await store.load();
    expect(state.exposures.map((kept) => kept.inspector)).toEqual([{ enabled: false, ringSize: 20, bodyCapBytes: 0 }, undefined, undefined, undefined, undefined]);
    expect(store.dropped).toBe(0);
  });

  it('keeps every valid exposure, skips and counts damaged ones', async () => {
    const store = new SettingsStore(file(JSON.stringify({
      theme: 'dark',
      exposuresPaused: true,
      exposures: [
        { id: 'e-0000000a', name: 'web', localHost: '127.0.0.1', localPort: 80, publicPort: 8080, enabled: false, createdAt: 5 },
        { id: 'not-an-id', localHost: '127.0.0.1', localPort: 80 },
        { id: 'e-0000000b', localHost: '127.0.0.1', localPort: 99999 },
        { id: 'e-0000000c', localHost: 'nas.lan', localPort: 5000, publicPort: 'x' },
        { id: 'e-0000000a', localHost: '127.0.0.1', localPort: 81 },
      ],
    })));
    const state = await store.load();
    expect(state.exposures).toEqual([
      { id: 'e-0000000a', name: 'web', localHost: '127.0.0.1', localPort: 80, publicPort: 8080, enabled: false, createdAt: 5, label: 'web' },
      { id: 'e-0000000c', name: 'nas.lan:5000', localHost: 'nas.lan', localPort: 5000, publicPort: null, enabled: true, createdAt: 0, label: 'app-5000' },
    ]);
    expect(store.dropped).toBe(3);
    expect(state.exposuresPaused).toBe(true);
    expect(state.settings.theme).toBe('dark');
  });

  it('round-trips what it saves', async () => {
    const store = new SettingsStore(file('{}'));
    const state = await store.load();
    state.exposures.push({
      id: 'e-00000001', name: 'x', localHost: '::1', localPort: 1, publicPort: null, enabled: true, createdAt: 1,
      label: 'shop', basicAuth: { user: 'ann', password: 's3cret:with colon' }, allow: ['10.0.0.0/8', '2001:db8::/32'], proxyProtocol: 2,
    });
    await store.save(state);
    expect(await new SettingsStore(store.file).load()).toEqual(state);
    // It holds passwords: readable by its owner only.
    expect((statSync(store.file as string).mode & 0o777).toString(8)).toBe('600');
  });

  it('gives exposures from before names a unique default label, and a damaged allowlist admits nobody', async () => {
    const store = new SettingsStore(file(JSON.stringify({
      exposures: [
        { id: 'e-0000000a', name: 'Web App', localHost: '127.0.0.1', localPort: 80 },
        { id: 'e-0000000b', name: 'web app!', localHost: '127.0.0.1', localPort: 81, label: 'web-app' },
        { id: 'e-0000000c', localHost: '127.0.0.1', localPort: 3000, label: 'Not_A_Label', allow: ['10.0.0.0/8', 'nonsense'], proxyProtocol: 3, basicAuth: { user: 'x' } },
      ],
    })));
    const state = await store.load();
    expect(state.exposures.map(({ label, allow, proxyProtocol, basicAuth }) => ({ label, allow, proxyProtocol, basicAuth }))).toEqual([
      { label: 'web-app', allow: undefined, proxyProtocol: undefined, basicAuth: undefined },
      { label: 'web-app-2', allow: undefined, proxyProtocol: undefined, basicAuth: undefined },
      { label: 'app-3000', allow: ['0.0.0.0/32'], proxyProtocol: undefined, basicAuth: undefined },
    ]);
  });
});
