/**
 * "Check the system": one shell script on the server prints what the setup needs to know (kernel
 * and CPU, the distribution, the account's rights, systemd, tools, the ports listening now) in
 * marked sections; the parsers and `judgeSystem` here are pure so tests read real outputs.
 */
import { installLayout } from './service-unit.js';

/** The one-file portal's architectures, by what `uname -m` says. */
const ARCHES: Record<string, 'x64' | 'arm64'> = { x86_64: 'x64', amd64: 'x64', aarch64: 'arm64', arm64: 'arm64' };


export const PROBE_SCRIPT = [
  'echo "--- uname"; uname -sm',
  'echo "--- os-release"; cat /etc/os-release 2>/dev/null',
  'echo "--- account"; id -u; id -un; printf "%s\\n" "$HOME"',
  // With sudo, ss is asked through it too, so that a root-owned listener is named.
  'if [ "$(id -u)" = 0 ]; then rights=root; S=; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then rights=sudo; S="sudo -n "; else rights=none; S=; fi',
  'echo "--- rights"; echo $rights',
  'echo "--- systemd"; if command -v systemctl >/dev/null 2>&1; then systemctl is-system-running 2>/dev/null || true; else echo missing; fi',
  'echo "--- tools"; for tool in gzip sha256sum ss ufw firewall-cmd; do command -v $tool >/dev/null 2>&1 && echo $tool; done; true',
  'echo "--- unprivileged-port-start"; cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024',
  'if command -v ss >/dev/null 2>&1; then echo "--- ss"; ${S}ss -Hltnp 2>/dev/null; else echo "--- proc"; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; fi',
  // Which file each listening process runs: the portal's own listener (a re-run) is not in the way.
  'echo "--- exe"; for pid in $(${S}ss -Hltnp 2>/dev/null | grep -o "pid=[0-9]*" | cut -d= -f2 | sort -u); do echo "$pid $(${S}readlink /proc/$pid/exe 2>/dev/null)"; done',
  'true',
].join('\n');

export interface Listener {
  address: string;
  port: number;
  /** `sshd (pid 812)` when the server lets this account see it. */
  process?: string;
  /** The file the process runs (`/proc/<pid>/exe`), when visible. */
  exe?: string;
}

export interface SystemProbe {
  kernel: string;
  machine: string;
  os: string;
  uid: number;
  userName: string;
  home: string;
  rights: 'root' | 'sudo' | 'none';
  /** What `systemctl is-system-running` said ('running', 'degraded', 'offline', …), or 'missing'. */
  systemd: string;
  tools: Set<string>;
  unprivilegedPortStart: number;
  listeners: Listener[];
}

export function sections(output: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const mark = /^--- ([a-z-]+)$/.exec(line);
    if (mark?.[1]) {
      current = [];
      result.set(mark[1], current);
    } else if (current && line.trim() !== '') {
      current.push(line);
    }
  }
  return result;
}

/** `uname -sm` → kernel and machine. */
export function parseUname(line: string): { kernel: string; machine: string } {
  const [kernel = '', machine = ''] = line.trim().split(/\s+/);
  return { kernel, machine };
}

/** /etc/os-release → its PRETTY_NAME (else NAME VERSION_ID), e.g. "Debian GNU/Linux 12 (bookworm)". */
export function parseOsRelease(lines: readonly string[]): string {
  const values = new Map<string, string>();
  for (const line of lines) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) values.set(match[1], match[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  return values.get('PRETTY_NAME') ?? ([values.get('NAME'), values.get('VERSION_ID')].filter(Boolean).join(' ') || 'an unknown Linux');
}

/** `<pid> <file>` lines (readlink /proc/<pid>/exe; a replaced file reads `<file> (deleted)`). */
export function parseExes(lines: readonly string[]): Map<number, string> {
  const exes = new Map<number, string>();
  for (const line of lines) {
    const match = /^(\d+) (\/.*?)(?: \(deleted\))?$/.exec(line.trim());
    if (match?.[1] && match[2]) exes.set(Number(match[1]), match[2]);
  }
  return exes;
}

/** `ss -Hltnp` lines: `LISTEN 0 511 127.0.0.1:10086 0.0.0.0:* users:(("porthole-portal",pid=9,fd=20))`. */
export function parseSs(lines: readonly string[], exes: ReadonlyMap<number, string> = new Map()): Listener[] {
  const listeners: Listener[] = [];
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    const local = fields[3];
    if (fields[0] !== 'LISTEN' || !local) continue;
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (!Number.isInteger(port)) continue;
    const user = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
    const exe = user?.[2] ? exes.get(Number(user[2])) : undefined;
    listeners.push({ address: local.slice(0, colon).replace(/^\[|\]$/g, ''), port, ...(user ? { process: `${user[1]} (pid ${user[2]})` } : {}), ...(exe ? { exe } : {}) });
  }
  return listeners;
}

/** /proc/net/tcp and tcp6 rows in state 0A (LISTEN): `0: 0100007F:2766 00000000:0000 0A …`. */
export function parseProcNetTcp(lines: readonly string[]): Listener[] {
  const listeners: Listener[] = [];
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== '0A' || !fields[1]) continue;
    const [hex = '', portHex = ''] = fields[1].split(':');
    const address = hex.length === 8 ? (hex.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)).join('.') : hex === '0'.repeat(32) ? '::' : hex;
    listeners.push({ address, port: parseInt(portHex, 16) });
  }
  return listeners;
}

export function parseProbe(output: string): SystemProbe {
  const parts = sections(output);
  const first = (name: string) => parts.get(name)?.[0]?.trim() ?? '';
  const account = parts.get('account') ?? [];
  const rights = first('rights');
  return {
    ...parseUname(first('uname')),
    os: parseOsRelease(parts.get('os-release') ?? []),
    uid: Number(account[0] ?? NaN),
    userName: account[1]?.trim() ?? '',
    home: account[2]?.trim() ?? '',
    rights: rights === 'root' || rights === 'sudo' ? rights : 'none',
    systemd: first('systemd') || 'missing',
    tools: new Set((parts.get('tools') ?? []).map((tool) => tool.trim())),
    unprivilegedPortStart: Number(first('unprivileged-port-start')) || 1024,
    listeners: parts.has('ss') ? parseSs(parts.get('ss') ?? [], parseExes(parts.get('exe') ?? [])) : parseProcNetTcp(parts.get('proc') ?? []),
  };
}

/** `20000-20099` → [20000, 20099]; one clear line for anything else. */
export function parseRange(range: string): [number, number] {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(range.trim());
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1 || last > 65535 || first > last) throw new Error(`exposure range "${range}" should be first-last with 1 ≤ first ≤ last ≤ 65535, e.g. 20000-20099`);
  if (last - first >= 10_000) throw new Error(`exposure range "${range}" is ${last - first + 1} ports: keep it to 10000 or fewer`);
  return [first, last];
}

export interface SystemFacts {
  arch: 'x64' | 'arm64';
  os: string;
  scope: 'system' | 'user';
  /** Commands needing root are prefixed `sudo -n` (an account with password-less sudo). */
  sudo: boolean;
  home: string;
  userName: string;
  tools: Set<string>;
}

const RUNNING_SYSTEMD = new Set(['running', 'degraded', 'starting', 'initializing', 'maintenance']);

/** Whether the setup can go on with this server, and how; a reason (one line) when not. */
export function judgeSystem(probe: SystemProbe, ports: { linkPort: number; range: [number, number]; challengePort?: number | undefined }): { facts: SystemFacts } | { reason: string } {
  if (probe.kernel !== 'Linux') return { reason: `the server runs ${probe.kernel || 'an unknown system'}: the one-file portal is for Linux` };
  const arch = ARCHES[probe.machine];
  if (!arch) return { reason: `the server's CPU is ${probe.machine || 'unknown'}: the one-file portal is built for x86_64 and aarch64 only` };
  if (!RUNNING_SYSTEMD.has(probe.systemd)) {
    return { reason: probe.systemd === 'missing' ? 'the server has no systemd (systemctl is missing): the portal runs as a systemd service' : `systemd is not running on the server (systemctl says "${probe.systemd}"): the portal runs as a systemd service` };
  }
  if (!probe.home.startsWith('/')) return { reason: 'the account has no home folder ($HOME is empty): the portal\'s files go there' };
  const scope = probe.rights === 'none' ? 'user' : 'system';
  const [first, last] = ports.range;
  if (scope === 'user') {
    const { challengePort } = ports;
    if (challengePort !== undefined && challengePort < probe.unprivilegedPortStart) {
      return { reason: `the CA checks port ${challengePort} for the certificate (HTTP-01), and ports below ${probe.unprivilegedPortStart} need root, which ${probe.userName} has not (nor password-less sudo): log in as root, or give certificate files already on the server` };
    }
    const low = [ports.linkPort, first].filter((port) => port < probe.unprivilegedPortStart);
    if (low.length > 0) {
      return { reason: `ports below ${probe.unprivilegedPortStart} need root and ${probe.userName} has neither root nor password-less sudo: pick a link port and exposure range ≥ ${probe.unprivilegedPortStart}, or log in as root` };
    }
  }
  const ours = installLayout(scope, probe.home, probe.rights === 'sudo').binary;
  const wanted = (port: number) => port === ports.linkPort || port === ports.challengePort || (port >= first && port <= last);
  const busy = probe.listeners.filter((listener) => wanted(listener.port) && listener.exe !== ours);
  const taken = busy[0];
  if (taken) {
    const who = taken.process ? ` by ${taken.process}` : ' (by a process this account cannot see)';
    if (taken.port === ports.challengePort) {
      return { reason: `port ${taken.port} is in use on the server${who}, and the portal must answer the CA there to get its certificate (HTTP-01): stop it and retry, or give certificate files already on the server` };
    }
    const what = taken.port === ports.linkPort ? 'the link port' : `in the exposure range ${first}-${last}`;
    return { reason: `port ${taken.port} (${what}) is in use on the server${who}: free it and retry, or pick another port` };
  }
  return { facts: { arch, os: `${probe.os}, ${probe.machine}`, scope, sudo: probe.rights === 'sudo', home: probe.home, userName: probe.userName, tools: probe.tools } };
}
