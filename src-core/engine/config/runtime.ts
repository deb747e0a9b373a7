/**
 * Helpers the engine uses to apply the typed config with V2Ray 4.34's meaning: effective policy
 * per level, VMess `auto` security, and the routing matchers (domain, CIDR, port).
 */
import { compileRe2 } from './v4/regexp.js';
import { parseIp } from './v4/net.js';
import type { Cidr, DomainMatcher, LevelPolicy, PortRange, PortholeConfig, VmessSecurity } from './types.js';

/**
 * Default per-connection buffer: 512 KiB, V2Ray's value on amd64/386/others
 * (`features/policy/policy.go`; V2Ray uses 4 KiB on arm64, 0 on arm/mips, and reads the
 * `v2ray.ray.buffer.size` environment variable; Porthole uses 512 KiB everywhere).
 */
export const DEFAULT_BUFFER_BYTES = 512 * 1024;

/** `reverse.portals[].exposures.maxPerUser` when the config leaves it out: one user cannot take a whole range. */
export const DEFAULT_EXPOSURES_PER_USER = 10;

/**
 * V2Ray 4.34 `policy.SessionDefault()`: handshake 60 s (aligned with nginx's
 * `client_header_timeout`), connIdle 300 s, uplinkOnly 1 s, downlinkOnly 1 s, no user stats.
 * (Older docs say 4/300/2/5; the 4.34 source says this.)
 */
export const DEFAULT_LEVEL_POLICY: LevelPolicy = {
  handshake: 60,
  connIdle: 300,
  uplinkOnly: 1,
  downlinkOnly: 1,
  statsUserUplink: false,
  statsUserDownlink: false,
  bufferBytes: DEFAULT_BUFFER_BYTES,
};

/**
 * Effective policy for a user level, as V2Ray computes it:
 * - no `policy` section: the defaults, except level 1 gets connIdle 600 s
 *   (`features/policy/default.go` `DefaultManager`);
 * - a `policy` section: a listed level is the defaults overridden by the fields it sets; an
 *   unlisted level gets the plain defaults (`app/policy/manager.go`).
 *
 * A dokodemo/freedom `timeout` > 0 at `userLevel` 0 replaces `connIdle`; pass it as `timeout`.
 */
export function policyForLevel(config: Pick<PortholeConfig, 'policy'>, level: number, timeout = 0): LevelPolicy {
  let policy: LevelPolicy = DEFAULT_LEVEL_POLICY;
  if (!config.policy) {
    if (level === 1) policy = { ...policy, connIdle: 600 };
  } else {
    const set = config.policy.levels[level];
    if (set) {
      policy = {
        handshake: set.handshake ?? policy.handshake,
        connIdle: set.connIdle ?? policy.connIdle,
        uplinkOnly: set.uplinkOnly ?? policy.uplinkOnly,
        downlinkOnly: set.downlinkOnly ?? policy.downlinkOnly,
        statsUserUplink: set.statsUserUplink,
        statsUserDownlink: set.statsUserDownlink,
        bufferBytes: set.bufferBytes ?? policy.bufferBytes,
      };
    }
  }
  if (timeout > 0 && level === 0) policy = { ...policy, connIdle: timeout };
  return policy;
}

/**
 * V2Ray's `auto` security (`common/protocol/headers.go`): AES-128-GCM on amd64, arm64 and s390x,
 * ChaCha20-Poly1305 elsewhere. `arch` is a Node `process.arch` value.
 */
export function resolveVmessSecurity(security: VmessSecurity, arch: string = process.arch): Exclude<VmessSecurity, 'auto'> {
  if (security !== 'auto') return security;
  return arch === 'x64' || arch === 'arm64' || arch === 's390x' ? 'aes-128-gcm' : 'chacha20-poly1305';
}

/**
 * A predicate for one domain matcher with V2Ray's meaning (`common/strmatcher`): case-sensitive,
 * `regexp` unanchored, `dotless` = `^[^.]*<value>[^.]*$`.
 */
export function compileDomainMatcher(matcher: DomainMatcher): (domain: string) => boolean {
  const value = matcher.value;
  switch (matcher.kind) {
    case 'full':
      return (domain) => domain === value;
    case 'domain':
      return (domain) => domain.endsWith(value) && (domain.length === value.length || domain[domain.length - value.length - 1] === '.');
    case 'keyword':
      return (domain) => domain.includes(value);
    case 'regexp': {
      const re = compileRe2(value);
      return (domain) => re.test(domain);
    }
    case 'dotless': {
      const re = compileRe2(`^[^.]*${value}[^.]*$`);
      return (domain) => re.test(domain);
    }
  }
}

/** True when `address` (any IP text, e.g. Node's `::ffff:1.2.3.4`) is inside `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const ip = parseIp(address);
  const network = parseIp(cidr.address);
  if (!ip || !network || ip.family !== network.family) return false;
  for (let bit = 0; bit < cidr.prefix; bit++) {
    const mask = 0x80 >> (bit & 7);
    if (((ip.bytes[bit >> 3] ?? 0) & mask) !== ((network.bytes[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

/** True when `port` is in one of `ranges`. */
export function portInRanges(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some((range) => range.from <= port && port <= range.to);
}

/** `exposures.names.acme.directory` when the config leaves it out. */
export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
/** `exposures.names.acme.storage` when the config leaves it out (relative to the working directory, as V2Ray resolves files). */
export const DEFAULT_ACME_STORAGE = 'porthole-acme';
