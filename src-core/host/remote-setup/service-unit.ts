/**
 * Where the portal's files go on the server and the systemd unit that runs it (the CLI's
 * `systemdUnit`, so the service is the one `porthole service install` writes): system-wide under
 * /opt/porthole with root or password-less sudo, else the account's own unit and ~/.porthole.
 */
import type { RemoteServer } from '../api/index.js';
import { systemdUnit } from '../cli/systemd-unit.js';
import { shellQuote } from './shell.js';

export const UNIT_NAME = 'porthole-portal.service';
export const SYSTEM_FOLDER = '/opt/porthole';

export interface InstallLayout {
  scope: 'system' | 'user';
  folder: string;
  binary: string;
  config: string;
  unitFile: string;
  unitName: string;
  /** Put before a command that needs root: '' (root, or the user's own unit) or 'sudo -n '. */
  sudo: string;
  /** `systemctl` for this unit's manager, ready to take a verb. */
  systemctl: string;
  /** `journalctl` for this unit's manager, ready to take options. */
  journalctl: string;
}

/** A user manager is reached through XDG_RUNTIME_DIR, which a non-login SSH command may lack. */
const USER_MANAGER_ENV = 'XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}"';

export function installLayout(scope: 'system' | 'user', home: string, sudo: boolean): InstallLayout {
  const folder = scope === 'system' ? SYSTEM_FOLDER : `${home}/.porthole`;
  const prefix = scope === 'system' && sudo ? 'sudo -n ' : '';
  return {
    scope,
    folder,
    binary: `${folder}/porthole-portal`,
    config: `${folder}/portal.json`,
    unitFile: scope === 'system' ? `/etc/systemd/system/${UNIT_NAME}` : `${home}/.config/systemd/user/${UNIT_NAME}`,
    unitName: UNIT_NAME,
    sudo: prefix,
    systemctl: scope === 'system' ? `${prefix}systemctl` : `${USER_MANAGER_ENV} systemctl --user`,
    journalctl: scope === 'system' ? `${prefix}journalctl` : `${USER_MANAGER_ENV} journalctl --user`,
  };
}

/** The layout a recorded server used (for removal). */
export function layoutOf(server: Pick<RemoteServer, 'folder' | 'unit'>, home: string, sudo: boolean): InstallLayout {
  const layout = installLayout(server.unit.scope, home, sudo);
  return { ...layout, folder: server.folder, binary: `${server.folder}/porthole-portal`, config: `${server.folder}/portal.json`, unitName: server.unit.name };
}

/** `writable`: folders the portal writes (its ACME store); a system unit sees the rest read-only. */
export function portalUnit(layout: InstallLayout, writable: readonly string[] = []): string {
  return systemdUnit({ command: [layout.binary], configFiles: [layout.config], userUnit: layout.scope === 'user', writablePaths: [...writable] })
    .replace(/^# Written by .*$/m, '# Written by Porthole\'s "Set up my server"; "Remove from server" removes it.');
}

/** Writes `text` to `file` as the layout's owner would (through sudo when needed), whole or not at all. */
export function writeFileCommand(layout: InstallLayout, file: string, mode: string): string {
  const temp = `${file}.tmp`;
  const folder = file.slice(0, file.lastIndexOf('/')) || '/';
  return `${layout.sudo}mkdir -p ${shellQuote(folder)} && ${layout.sudo}sh -c ${shellQuote(`umask 077 && cat > ${shellQuote(temp)} && chmod ${mode} ${shellQuote(temp)} && mv -f ${shellQuote(temp)} ${shellQuote(file)}`)}`;
}
