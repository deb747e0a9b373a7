import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autostartEntry, autostartFile, launchCommand, setLinuxAutostart } from './login-item.js';

describe('Linux autostart', () => {
  it('lives in XDG_CONFIG_HOME/autostart, or ~/.config/autostart', () => {
    expect(autostartFile({ XDG_CONFIG_HOME: '/cfg' }, '/home/me')).toBe('/cfg/autostart/porthole.desktop');
    expect(autostartFile({}, '/home/me')).toBe('/home/me/.config/autostart/porthole.desktop');
    expect(autostartFile({ XDG_CONFIG_HOME: 'relative' }, '/home/me')).toBe('/home/me/.config/autostart/porthole.desktop');
  });

  it('runs the AppImage when there is one, else Electron with the app folder', () => {
    expect(launchCommand('/tmp/.mount_x/porthole', { APPIMAGE: '/home/me/Porthole.AppImage' }, null)).toEqual(['/home/me/Porthole.AppImage']);
    expect(launchCommand('/opt/Porthole/porthole', {}, null)).toEqual(['/opt/Porthole/porthole']);
    expect(launchCommand('/x/electron', {}, '/src/porthole')).toEqual(['/x/electron', '/src/porthole']);
  });

  it('quotes the Exec line as the Desktop Entry spec asks and starts hidden', () => {
    const entry = autostartEntry(['/home/me/My Apps/Porthole "1".AppImage']);
    expect(entry).toContain('Exec="/home/me/My Apps/Porthole \\"1\\".AppImage" --hidden\n');
    expect(autostartEntry(['/opt/100%/porthole'])).toContain('Exec=/opt/100%%/porthole --hidden\n');
    expect(entry.startsWith('[Desktop Entry]\nType=Application\n')).toBe(true);
  });

  it('writes the entry when enabled and removes it when not', () => {
    const folder = mkdtempSync(join(tmpdir(), 'porthole-autostart-'));
    try {
      const file = join(folder, 'autostart', 'porthole.desktop');
      setLinuxAutostart(file, true, ['/opt/Porthole/porthole']);
      expect(readFileSync(file, 'utf8')).toContain('Exec=/opt/Porthole/porthole --hidden');
      setLinuxAutostart(file, false, []);
      setLinuxAutostart(file, false, []);
      expect(existsSync(file)).toBe(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
