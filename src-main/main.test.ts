/**
 * main.ts wired to fakes of the few Electron APIs it uses (`testing/fake-electron.ts`), with the
 * real engine service, IPC server, tray logic and settings files. electron-store is swapped for
 * what it is built on (conf) with the same options, since electron-store itself loads `electron`.
 * One app start per file: main.ts starts itself on import, as Electron runs it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineSnapshot } from '../src-core/host/api/index.js';
import { app, becomeReady, fake, ipcMain } from './testing/fake-electron.js';
import type { FakeMenuItem } from './testing/fake-electron.js';

vi.mock('electron', () => import('./testing/fake-electron.js'));
vi.mock('electron-store', async () => {
  const { default: Conf } = await import('conf');
  class Store extends Conf<Record<string, unknown>> {
    constructor(options: { name: string; cwd: string } & Record<string, unknown>) {
      const { name, ...rest } = options;
      super({ ...rest, configName: name, projectVersion: '0.0.0' });
    }
  }
  return { default: Store };
});

const PAGE = 'app://porthole/index.html';
let userData: string;
const savedXdg = process.env.XDG_CONFIG_HOME;

function window() {
  const opened = fake.windows[0];
  if (!opened) throw new Error('no window');
  return opened;
}

function call(method: string, args: unknown[], url = `${PAGE}#/overview`): Promise<unknown> {
  const handler = ipcMain.handlers.get('porthole:call');
  if (!handler) throw new Error('no call handler');
  return handler({ sender: window().webContents, senderFrame: { url, parent: null } }, method, args);
}

function menuLabels(items: FakeMenuItem[] | undefined): string[] {
  return (items ?? []).map((item) => (item.type === 'separator' ? '---' : `${item.label ?? ''}${item.enabled === false ? ' (off)' : ''}`));
}

beforeAll(async () => {
  userData = mkdtempSync(join(tmpdir(), 'porthole-main-'));
  process.env.XDG_CONFIG_HOME = join(userData, 'xdg');
  // A settings file damaged by a crash mid-write: the app must start with defaults and say so.
  writeFileSync(join(userData, 'settings.json'), '{"theme": "dark", "launchAtLogin": tr');
  fake.userData = userData;
  await import('./main.js');
  becomeReady();
  await vi.waitFor(() => expect(fake.windows).toHaveLength(1), { timeout: 10_000 });
});

afterAll(() => {
  if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = savedXdg;
  rmSync(userData, { recursive: true, force: true });
});

describe('the tray app, wired', () => {
  it('recovers the damaged settings file: defaults, the original kept aside, a notice', () => {
    const files = readdirSync(userData);
    const backup = files.find((file) => file.startsWith('settings.json.invalid-'));
    expect(backup).toBeDefined();
    expect(readFileSync(join(userData, backup ?? ''), 'utf8')).toBe('{"theme": "dark", "launchAtLogin": tr');
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'))).toMatchObject({ theme: 'system', launchAtLogin: false, exposures: [] });
    expect(fake.notifications).toContainEqual({ title: 'Some settings could not be read', body: expect.stringContaining(`The original file is kept as ${join(userData, backup ?? '')}`) as unknown as string });
  });

  it('opens one locked-down window on the renderer, with the preload beside main.js', () => {
    const opened = window();
    expect(opened.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(String(opened.options.webPreferences.preload)).toMatch(/src-main[\\/]preload\.cjs$/);
    expect(opened.loaded).toEqual(['app://porthole/index.html#/overview']);
    expect(opened.shown).toBe(1);
  });

  it('serves the renderer on app://porthole/, registered as privileged before ready', async () => {
    expect(fake.privilegedSchemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, corsEnabled: true, supportFetchAPI: true, codeCache: true }, beforeReady: true }]);
    const handler = fake.protocolHandlers.get('app');
    const [page, escape] = await Promise.all([
      handler?.(new Request('app://porthole/index.html')),
      handler?.(new Request('app://porthole/%2e%2e/%2e%2e/package.json')),
    ]);
    // The fake app path has no built renderer: the page is looked up there (404), the escape never is.
    expect([page?.status, escape?.status, page?.headers.get('content-security-policy')]).toEqual([404, 404, expect.stringContaining("script-src 'self'")]);
  });

  it('denies new windows (web links go to the browser), navigation and permissions; sends the CSP', async () => {
    const contents = window().webContents;
    expect([contents.openHandler?.({ url: 'https://example.com/' }), contents.openHandler?.({ url: 'file:///etc/passwd' })]).toEqual([{ action: 'deny' }, { action: 'deny' }]);
    expect(fake.openedExternally).toEqual(['https://example.com/']);
    const navigate = (event: string, url: string): boolean => {
      const navigation = { url, prevented: false, preventDefault() { this.prevented = true; } };
      contents.emit(event, navigation);
      return navigation.prevented;
    };
    expect([
      navigate('will-navigate', 'app://porthole/index.html#/logs'),
      navigate('will-navigate', 'file:///opt/Porthole/resources/app.asar/dist/renderer/index.html'),
      navigate('will-navigate', 'https://evil.example/'),
      navigate('will-frame-navigate', 'app://evil/'),
      navigate('will-redirect', 'http://127.0.0.1:7070/'),
    ]).toEqual([false, true, true, true, true]);
    expect(await new Promise((resolve) => fake.permissionHandler?.(contents, 'media', resolve))).toBe(false);
    let headers: Record<string, string[]> = {};
    fake.headersHandler?.({ responseHeaders: {} }, (response) => { headers = response.responseHeaders; });
    expect(headers['Content-Security-Policy']?.[0]).toContain("script-src 'self'");
  });

  it('shows the tray: idle icon, the menu product.md lists', () => {
    const tray = fake.trays[0];
    expect(tray?.image.path).toMatch(/assets[\\/]tray-idle-light\.png$/);
    expect(menuLabels(tray?.menu?.template)).toEqual([
      'Not running (off)', '---', 'Expose localhost:80', 'Expose a port…', '---', 'Open Porthole', 'Set up my server…', 'Import V2Ray config…', 'Join from clipboard', '---', 'Pause all (off)', 'Quit',
    ]);
  });

  it('serves the contract to our page and refuses anyone else', async () => {
    expect(await call('listProfiles', [])).toEqual({ ok: true, value: [] });
    expect(await call('listProfiles', [], 'https://evil.example/')).toMatchObject({ ok: false, error: { code: 'PH_API_UNAUTHORIZED' } });
    // The renderer's file: URL of old is someone else now: any file on disk has it.
    expect(await call('listProfiles', [], 'file:///opt/Porthole/resources/app.asar/dist/renderer/index.html')).toMatchObject({ ok: false, error: { code: 'PH_API_UNAUTHORIZED' } });
    expect(await call('getProfile', ['../x'])).toMatchObject({ ok: false, error: { code: 'PH_API_BAD_ARGUMENTS' } });
  });

  it('keeps the theme the page sets in the settings store', async () => {
    expect(await call('setSettings', [{ theme: 'dark' }])).toEqual({ ok: true, value: { theme: 'dark', launchAtLogin: false, startMinimised: false } });
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'))).toMatchObject({ theme: 'dark' });
  });

  it('shows and keeps the desktop settings (start minimised) next to the service\'s', async () => {
    expect(await call('setSettings', [{ startMinimised: true }])).toEqual({ ok: true, value: { theme: 'dark', launchAtLogin: false, startMinimised: true } });
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'))).toMatchObject({ startMinimised: true });
    expect(await call('setSettings', [{ startMinimised: false }])).toMatchObject({ ok: true, value: { startMinimised: false } });
  });

  it('forwards snapshots to the window once it subscribes', async () => {
    const contents = window().webContents;
    ipcMain.emit('porthole:subscribe', { sender: contents, senderFrame: { url: PAGE, parent: null } }, 'snapshot', true);
    await vi.waitFor(() => expect(contents.sent.length).toBeGreaterThan(0), { timeout: 5_000 });
    const [channel, name, value] = contents.sent[0] ?? [];
    expect([channel, name, (value as EngineSnapshot).status.state]).toEqual(['porthole:event', 'snapshot', 'stopped']);
  });

  it('brings the window forward when the app is launched again', () => {
    const before = window().shown;
    // Electron emits this in the first instance when a second one starts.
    app.emit('second-instance');
    expect([window().shown, fake.windows.length]).toEqual([before + 1, 1]);
  });

  it('removes the Linux autostart entry while launch at login is off', () => {
    expect(existsSync(join(userData, 'xdg', 'autostart', 'porthole.desktop'))).toBe(false);
  });

  it('quits cleanly: the engine service closes, then the process exits', async () => {
    app.quit();
    await vi.waitFor(() => expect(fake.exitCode).toBe(0), { timeout: 10_000 });
    expect(fake.trays[0]?.destroyed).toBe(true);
    expect(ipcMain.handlers.size).toBe(0);
  });
});
