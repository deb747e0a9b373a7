/**
 * The text of a systemd unit running `porthole run -c <config>` as a headless portal or bridge.
 * Pure (paths in, text out) so the tests read the exact lines.
 */
import { dirname } from 'node:path';
import type { PortholeConfig } from '../../engine/config/index.js';

export interface UnitOptions {
  /** What `ExecStart` runs before `run -c …`: node and the CLI script, or the one-file portal alone. */
  command: readonly string[];
  /** Absolute config paths. */
  configFiles: readonly string[];
  /** `User=` for a system unit (absent: root). */
  user?: string | undefined;
  /** A unit for `systemctl --user`: no `User=`, no capabilities a user manager cannot grant. */
  userUnit: boolean;
  /** Folders the engine writes to (ACME storage, log files): writable despite ProtectSystem=strict. */
  writablePaths: readonly string[];
  /** Extra arguments after `run -c …`, e.g. `--metrics`. */
  runArgs?: readonly string[];
}

/** Quotes one `ExecStart` word as systemd reads it: `%` and `$` doubled, spaces and quotes inside "…". */
export function execWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (!/[\s"'\\;]/.test(escaped) && escaped.length > 0) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Folders a config writes to at run time: ACME storage (the edge's and TLS inbounds') and log files' folders. */
export function writablePathsOf(config: PortholeConfig): string[] {
  const paths = new Set<string>();
  for (const portal of config.reverse.portals) {
    const storage = portal.exposures?.names?.acme?.storage;
    if (storage) paths.add(storage);
  }
  for (const inbound of config.inbounds) {
    const storage = inbound.streamSettings?.tls?.acme?.storage;
    if (storage) paths.add(storage);
  }
  for (const target of [config.log.access, config.log.error]) {
    if (target.type === 'file') paths.add(dirname(target.path));
  }
  return [...paths];
}

export function systemdUnit(options: UnitOptions): string {
  const exec = [...options.command, 'run', ...options.configFiles.flatMap((file) => ['-c', file]), ...(options.runArgs ?? [])];
  const lines = [
    '# Written by `porthole service install`; `porthole service uninstall` removes it.',
    '[Unit]',
    `Description=Porthole (${options.configFiles.join(', ')})`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec.map(execWord).join(' ')}`,
    // The CLI re-reads its config files on SIGHUP (a bad file is reported and the running config stays).
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=2',
    'LimitNOFILE=65536',
  ];
  if (!options.userUnit) {
    if (options.user) lines.push(`User=${options.user}`);
    // Ports below 1024 (80, 443) without running as root.
    lines.push('AmbientCapabilities=CAP_NET_BIND_SERVICE', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE');
    lines.push('NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=read-only', 'PrivateTmp=yes', 'ProtectKernelTunables=yes', 'ProtectControlGroups=yes');
    // `-`: a folder not made yet does not stop the start (the installer says to make it).
    if (options.writablePaths.length > 0) lines.push(`ReadWritePaths=${options.writablePaths.map((path) => `-${execWord(path)}`).join(' ')}`);
  } else {
    lines.push('NoNewPrivileges=yes');
  }
  lines.push('', '[Install]', `WantedBy=${options.userUnit ? 'default.target' : 'multi-user.target'}`, '');
  return lines.join('\n');
}
