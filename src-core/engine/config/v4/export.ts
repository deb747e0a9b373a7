/**
 * Typed config → V2Ray 4.34 JSON, with the keys V2Ray's docs use. The inverse of the builders:
 * `loadConfig` of the result deep-equals the input, and `v2ray -test` accepts it. Empty-but-present
 * routing conditions (which never match) are written as `""`, the spelling V2Ray reads that way.
 */
import type {
  DomainMatcher, InboundConfig, ProxyAccount, LevelPolicySettings, LogTarget, OutboundConfig, PortRange, PortholeConfig, RoutingRule, VlessFallback, VlessUser, VmessUser,
} from '../types.js';
import { exportStreamSettings } from './stream.js';

type Json = Record<string, unknown>;

function logPath(target: LogTarget): string | undefined {
  if (target.type === 'none') return 'none';
  if (target.type === 'file') return target.path;
  return undefined;
}

function portRange(range: PortRange): number | string {
  return range.from === range.to ? range.from : `${range.from}-${range.to}`;
}

function portList(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(',');
}

const PREFIXES = ['regexp:', 'domain:', 'full:', 'keyword:', 'dotless:', 'geosite:', 'ext:', 'ext-domain:'];

function domainRule(matcher: DomainMatcher): string {
  if (matcher.kind !== 'keyword') return `${matcher.kind}:${matcher.value}`;
  if (matcher.value !== '' && PREFIXES.some((prefix) => matcher.value.startsWith(prefix))) return `keyword:${matcher.value}`;
  return matcher.value;
}

function user(u: VmessUser): Json {
  return { id: u.id, alterId: u.alterId, level: u.level, ...(u.email !== undefined ? { email: u.email } : {}), security: u.security };
}

function hostPort(address: string | undefined, port: number): string {
  if (address === undefined) return `:${port}`;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function vlessUser(u: VlessUser, encryption?: 'none'): Json {
  return { id: u.id, level: u.level, ...(u.email !== undefined ? { email: u.email } : {}), ...(encryption ? { encryption } : {}) };
}

/** Type and dest as 4.34's builder left them, so it reads them back unchanged. */
function vlessFallback(f: VlessFallback): Json {
  return { ...(f.alpn !== '' ? { alpn: f.alpn } : {}), ...(f.path !== '' ? { path: f.path } : {}), type: f.type, dest: f.dest, xver: f.xver };
}

function account(a: ProxyAccount): Json {
  return { user: a.user, pass: a.pass };
}

function inbound(ib: InboundConfig): Json {
  const common = {
    ...(ib.tag !== undefined ? { tag: ib.tag } : {}), listen: ib.listen, port: portRange(ib.port), protocol: ib.protocol,
    ...(ib.streamSettings ? { streamSettings: exportStreamSettings(ib.streamSettings) } : {}),
  };
  if (ib.protocol === 'vmess') {
    const s = ib.settings;
    return {
      ...common,
      settings: {
        clients: s.clients.map(user),
        ...(s.default ? { default: { alterId: s.default.alterId, level: s.default.level } } : {}),
        disableInsecureEncryption: s.disableInsecureEncryption,
      },
    };
  }
  if (ib.protocol === 'vless') {
    const s = ib.settings;
    return { ...common, settings: { clients: s.clients.map((u) => vlessUser(u)), decryption: 'none', fallbacks: s.fallbacks.map(vlessFallback) } };
  }
  if (ib.protocol === 'socks') {
    const s = ib.settings;
    return {
      ...common,
      settings: { auth: s.auth, accounts: s.accounts.map(account), udp: s.udp, ...(s.ip !== undefined ? { ip: s.ip } : {}), timeout: s.timeout, userLevel: s.userLevel },
    };
  }
  if (ib.protocol === 'http') {
    const s = ib.settings;
    return { ...common, settings: { timeout: s.timeout, accounts: s.accounts.map(account), allowTransparent: s.allowTransparent, userLevel: s.userLevel } };
  }
  const s = ib.settings;
  return {
    ...common,
    settings: {
      ...(s.address !== undefined ? { address: s.address } : {}),
      port: s.port,
      network: [...s.network],
      timeout: s.timeout,
      userLevel: s.userLevel,
    },
  };
}

function outbound(ob: OutboundConfig): Json {
  const common = {
    ...(ob.tag !== undefined ? { tag: ob.tag } : {}),
    protocol: ob.protocol,
    ...(ob.sendThrough !== undefined ? { sendThrough: ob.sendThrough } : {}),
    ...(ob.mux ? { mux: { enabled: ob.mux.enabled, concurrency: ob.mux.concurrency } } : {}),
    ...(ob.streamSettings ? { streamSettings: exportStreamSettings(ob.streamSettings) } : {}),
  };
  switch (ob.protocol) {
    case 'freedom': {
      const s = ob.settings;
      return {
        ...common,
        settings: {
          domainStrategy: s.domainStrategy,
          ...(s.redirect ? { redirect: hostPort(s.redirect.address, s.redirect.port) } : {}),
          timeout: s.timeout,
          userLevel: s.userLevel,
        },
      };
    }
    case 'vmess':
      return {
        ...common,
        settings: { vnext: ob.settings.vnext.map((server) => ({ address: server.address, port: server.port, users: server.users.map(user) })) },
      };
    case 'vless':
      return {
        ...common,
        settings: { vnext: ob.settings.vnext.map((server) => ({ address: server.address, port: server.port, users: server.users.map((u) => vlessUser(u, 'none')) })) },
      };
    case 'blackhole':
      return { ...common, settings: { response: { type: ob.settings.response } } };
  }
}

function nonEmpty(list: readonly string[]): readonly string[] | string {
  return list.length === 0 ? '' : list;
}

function rule(r: RoutingRule): Json {
  return {
    type: 'field',
    ...(r.inboundTag ? { inboundTag: nonEmpty(r.inboundTag) } : {}),
    ...(r.domain ? { domain: r.domain.map(domainRule) } : {}),
    ...(r.ip ? { ip: r.ip.map((c) => `${c.address}/${c.prefix}`) } : {}),
    ...(r.port ? { port: portList(r.port) } : {}),
    ...(r.network ? { network: r.network.join(',') } : {}),
    ...(r.source ? { source: r.source.map((c) => `${c.address}/${c.prefix}`) } : {}),
    ...(r.sourcePort ? { sourcePort: portList(r.sourcePort) } : {}),
    ...(r.user ? { user: nonEmpty(r.user) } : {}),
    outboundTag: r.outboundTag,
  };
}

function level(p: LevelPolicySettings): Json {
  return {
    ...(p.handshake !== undefined ? { handshake: p.handshake } : {}),
    ...(p.connIdle !== undefined ? { connIdle: p.connIdle } : {}),
    ...(p.uplinkOnly !== undefined ? { uplinkOnly: p.uplinkOnly } : {}),
    ...(p.downlinkOnly !== undefined ? { downlinkOnly: p.downlinkOnly } : {}),
    statsUserUplink: p.statsUserUplink,
    statsUserDownlink: p.statsUserDownlink,
    ...(p.bufferBytes !== undefined ? { bufferSize: p.bufferBytes < 0 ? -1 : p.bufferBytes / 1024 } : {}),
  };
}

export function exportConfig(config: PortholeConfig): Record<string, unknown> {
  const access = logPath(config.log.access);
  const error = logPath(config.log.error);
  const out: Json = {
    log: { ...(access !== undefined ? { access } : {}), ...(error !== undefined ? { error } : {}), loglevel: config.log.level },
    inbounds: config.inbounds.map(inbound),
    outbounds: config.outbounds.map(outbound),
    routing: { domainStrategy: config.routing.domainStrategy, rules: config.routing.rules.map(rule) },
  };
  if (config.reverse.bridges.length > 0 || config.reverse.portals.length > 0) {
    out.reverse = {
      ...(config.reverse.bridges.length > 0 ? { bridges: config.reverse.bridges.map((b) => ({ tag: b.tag, domain: b.domain })) } : {}),
      ...(config.reverse.portals.length > 0 ? { portals: config.reverse.portals.map((p) => ({ tag: p.tag, domain: p.domain })) } : {}),
    };
  }
  if (config.policy) {
    const levels: Json = {};
    for (const [key, value] of Object.entries(config.policy.levels)) levels[key] = level(value);
    out.policy = { levels, system: { ...config.policy.system } };
  }
  return out;
}
