/**
 * "Launch at login". macOS and Windows have `app.setLoginItemSettings`; Linux has no such API in
 * Electron, so there the app writes (or removes) an XDG autostart entry,
 * `~/.config/autostart/porthole.desktop`, as desktop environments expect. The app started this way
 * gets `--hidden` and stays in the tray. Node only (no `electron` import), tested on a temporary folder.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The flag a login launch passes, so the app starts in the tray without a window. */
export const HIDDEN_FLAG = '--hidden';

/** Where the autostart entry lives (`$XDG_CONFIG_HOME/autostart`, default `~/.config/autostart`). */
export function autostartFile(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const configHome = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'autostart', 'porthole.desktop');
}

/** Quotes one argument of an `Exec=` line as the Desktop Entry spec asks. */
function quoteExecArgument(argument: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(argument)) return argument;
  return `"${argument.replace(/[\\"`$]/g, (character) => `\\${character}`)}"`;
}

/** The autostart entry that runs `command` (the AppImage, or the installed binary) hidden. */
export function autostartEntry(command: readonly string[]): string {
  const exec = [...command, HIDDEN_FLAG].map(quoteExecArgument).join(' ').replace(/%/g, '%%');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Porthole',
    'Comment=Expose local services through your V2Ray server',
    `Exec=${exec}`,
    'Icon=porthole',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** The command that starts this app again: the AppImage when run from one (its mount point changes each run). */
export function launchCommand(execPath: string, env: NodeJS.ProcessEnv, appPath: string | null): string[] {
  if (env.APPIMAGE) return [env.APPIMAGE];
  // Unpackaged (`electron .`): the Electron binary needs the app folder too.
  return appPath ? [execPath, appPath] : [execPath];
}

/** Writes or removes the Linux autostart entry. */
export function setLinuxAutostart(file: string, enabled: boolean, command: readonly string[]): void {
  if (!enabled) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, autostartEntry(command), 'utf8');
}
