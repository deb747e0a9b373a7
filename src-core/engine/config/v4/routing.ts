/**
 * `routing` section. V2Ray `infra/conf/router.go` (parsing) and `app/router/config.go`,
 * `app/router/condition.go` (what a condition means; wire doc §6).
 *
 * Porthole is stricter than V2Ray in three places, each a rule that can never match in V2Ray:
 * a port above 65535 in a rule, a rule port range whose first port is greater, and a rule
 * naming a tag no outbound or portal has (cross-check). Conditions V2Ray accepts but that never
 * match (`"port": ""`, `"network": "tcp udp"`) are kept as empty lists, with a warning.
 */
import type { Cidr, DomainMatcher, Network, PortRange, RoutingConfig, RoutingDomainStrategy, RoutingRule } from '../types.js';
import type { BuildContext, ListEntry } from './decode.js';
import { Struct, buildEach, fail, readArray, readString, readStringList, record, typeError, warn } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { formatIp, parseAddress, parseStringPort } from './net.js';
import { RegexpSyntaxError, translateRe2 } from './regexp.js';

const DOMAIN_STRATEGIES: Record<string, RoutingDomainStrategy> = {
  asis: 'AsIs',
  alwaysip: 'AlwaysIP', always_ip: 'AlwaysIP', 'always-ip': 'AlwaysIP',
  ipifnonmatch: 'IPIfNonMatch', ip_if_non_match: 'IPIfNonMatch', 'ip-if-non-match': 'IPIfNonMatch',
  ipondemand: 'IPOnDemand', ip_on_demand: 'IPOnDemand', 'ip-on-demand': 'IPOnDemand',
};

const RULE_FIELDS = [
  'type', 'outboundTag', 'balancerTag', 'domain', 'domains', 'ip', 'port', 'network', 'source', 'sourcePort',
  'user', 'inboundTag', 'protocol', 'attrs',
] as const;

/**
 * V2Ray `NetworkList`: a list or a comma-separated string, lowercased but not trimmed. Unknown
 * entries (`" udp"`) match nothing in V2Ray, so they are dropped here with a warning.
 */
export function readNetworkList(ctx: BuildContext, node: JsonNode): Network[] {
  const entries = readStringList(node) ?? [];
  const out: Network[] = [];
  for (const entry of entries) {
    const lower = entry.value.toLowerCase();
    if (lower === 'tcp' || lower === 'udp' || lower === 'unix') {
      if (!out.includes(lower)) out.push(lower);
    } else {
      warn(ctx, entry.node, `${JSON.stringify(entry.value)} is not a network V2Ray knows (it does not trim spaces), so it is ignored; use "tcp", "udp" or "tcp,udp"`);
    }
  }
  return out;
}

/** Go `json.Unmarshal(text, &uint32)` then `PortFromInt`. */
function parseIntPort(text: string): number | undefined {
  if (text === 'null') return 0; // json.Unmarshal("null") leaves the zero value
  if (!/^(?:0|[1-9]\d*)$/.test(text)) return undefined;
  const value = Number(text);
  return value <= 65535 ? value : undefined;
}

/** V2Ray `PortList` for rules: 80, "80", "1000-2000", "80,443,1000-2000". */
export function readPortList(ctx: BuildContext, node: JsonNode): PortRange[] {
  if (node.kind === 'number') {
    if (!/^\d+$/.test(node.raw) || BigInt(node.raw) > 4294967295n) typeError(node, 'a port, a port range or a comma-separated list of them');
    const port = Number(node.raw);
    if (port > 65535) fail('PH_CONFIG_VALUE', node, `invalid port ${port}: expected 0 to 65535`);
    // V2Ray quirk: the number 0 adds nothing (unlike the string "0").
    return port === 0 ? [] : [{ from: port, to: port }];
  }
  if (node.kind !== 'string') typeError(node, 'a port, a port range or a comma-separated list of them');
  const out: PortRange[] = [];
  for (const part of node.value.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    if (trimmed.includes('-')) {
      const range = parseStringPort(trimmed, ctx.env);
      if (typeof range === 'string') fail('PH_CONFIG_VALUE', node, `invalid port range ${JSON.stringify(trimmed)}: write "from-to" with ports 0 to 65535`);
      if (range.from > range.to) fail('PH_CONFIG_VALUE', node, `invalid port range ${JSON.stringify(trimmed)}: the first port is greater, so it matches nothing`);
      out.push(range);
    } else {
      const port = parseIntPort(trimmed);
      if (port === undefined) fail('PH_CONFIG_VALUE', node, `invalid port ${JSON.stringify(trimmed)}: expected 0 to 65535`);
      out.push({ from: port, to: port });
    }
  }
  return out;
}

/** V2Ray `ParseIP`: an IP or CIDR (mask optional; "1.2.3.4/" means /32). Host bits are cleared. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const mask = slash < 0 ? '' : text.slice(slash + 1);
  const address = parseAddress(addressText);
  if (address.kind !== 'ip') return `unsupported address for router: ${JSON.stringify(text)} (expected an IP or CIDR such as 10.0.0.0/8)`;
  const max = address.ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (mask !== '') {
    if (!/^\d+$/.test(mask)) return `invalid network mask ${JSON.stringify(mask)} in ${JSON.stringify(text)}`;
    prefix = Number(mask);
    if (prefix > max) return `invalid network mask ${mask} in ${JSON.stringify(text)}: at most ${max}`;
  }
  const bytes = Uint8Array.from(address.ip.bytes);
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7));
  return { address: formatIp({ family: address.ip.family, bytes }), prefix };
}

/** V2Ray `toCidrList`: a `StringList` of IPs and CIDRs. */
export function readCidrList(ctx: BuildContext, node: JsonNode): Cidr[] {
  const out: Cidr[] = [];
  for (const entry of readStringList(node) ?? []) {
    const value = entry.value;
    if (value.startsWith('geoip:') || value.startsWith('ext:') || value.startsWith('ext-ip:')) {
      fail('PH_CONFIG_UNSUPPORTED', entry.node, `${JSON.stringify(value)}: GeoIP data files are not supported by Porthole yet; list the IP ranges instead`);
    }
    const cidr = parseCidr(value);
    if (typeof cidr === 'string') fail('PH_CONFIG_VALUE', entry.node, `invalid IP: ${cidr}`);
    out.push(cidr);
  }
  return out;
}

const DOMAIN_PREFIXES = [
  ['regexp:', 'regexp'], ['domain:', 'domain'], ['full:', 'full'], ['keyword:', 'keyword'],
] as const;

/** V2Ray `parseDomainRule`. */
export function parseDomainRule(value: string): DomainMatcher | { error: string; unsupported?: boolean } {
  if (value.startsWith('geosite:') || value.startsWith('ext:') || value.startsWith('ext-domain:')) {
    return { error: `${JSON.stringify(value)}: geosite data files are not supported by Porthole yet; list the domains instead (e.g. "domain:example.com")`, unsupported: true };
  }
  for (const [prefix, kind] of DOMAIN_PREFIXES) {
    if (!value.startsWith(prefix)) continue;
    const rest = value.slice(prefix.length);
    if (rest === '') return { error: `empty ${kind} rule ${JSON.stringify(value)}: write a value after "${prefix}"` };
    if (kind === 'regexp') {
      try {
        translateRe2(rest);
      } catch (error) {
        if (error instanceof RegexpSyntaxError) return { error: `invalid regexp ${JSON.stringify(rest)}: ${error.message}`, unsupported: error.unsupported };
        throw error;
      }
    }
    return { kind, value: rest };
  }
  if (value.startsWith('dotless:')) {
    const rest = value.slice('dotless:'.length);
    if (rest.includes('.')) return { error: `the text in a dotless rule must not contain a dot: ${JSON.stringify(rest)}` };
    try {
      translateRe2(`^[^.]*${rest}[^.]*$`);
    } catch (error) {
      if (error instanceof RegexpSyntaxError) return { error: `invalid dotless rule ${JSON.stringify(value)}: ${error.message}`, unsupported: error.unsupported };
      throw error;
    }
    return { kind: 'dotless', value: rest };
  }
  return { kind: 'keyword', value };
}

function readDomains(ctx: BuildContext, entries: readonly ListEntry[]): DomainMatcher[] {
  return entries.map((entry) => {
    const parsed = parseDomainRule(entry.value);
    if ('error' in parsed) fail(parsed.unsupported ? 'PH_CONFIG_UNSUPPORTED' : 'PH_CONFIG_VALUE', entry.node, parsed.error);
    return parsed;
  });
}

/** Non-empty strings of a `StringList` (V2Ray's matchers drop empty tags and users). */
function readNames(ctx: BuildContext, node: JsonNode, what: string): string[] | undefined {
  const entries = readStringList(node) ?? [];
  if (entries.length === 0) return undefined;
  const names = entries.map((entry) => entry.value).filter((value) => value !== '');
  if (names.length === 0) warn(ctx, node, `${what} holds only empty strings, so this rule never matches`);
  return names;
}

function neverMatches(ctx: BuildContext, node: JsonNode, list: readonly unknown[], field: string): void {
  if (list.length === 0) warn(ctx, node, `${field} lists nothing, so this rule never matches (V2Ray accepts it)`);
}

export function buildRule(ctx: BuildContext, node: JsonNode): RoutingRule {
  const s: Struct = new Struct(ctx, node, RULE_FIELDS, { what: 'a rule object' });
  const typeNode = s.get('type');
  const type = readString(typeNode) ?? '';
  if (type.toLowerCase() !== 'field') {
    const message = `unknown router rule type ${JSON.stringify(type)}: every rule needs "type": "field"`;
    if (typeNode) fail('PH_CONFIG_VALUE', typeNode, message);
    s.missing('PH_CONFIG_VALUE', 'type', message);
  }
  const outboundTagNode = s.get('outboundTag');
  const outboundTag = readString(outboundTagNode) ?? '';
  const balancerTagNode = s.get('balancerTag');
  const balancerTag = readString(balancerTagNode) ?? '';
  if (outboundTag === '') {
    if (balancerTag !== '' && balancerTagNode) fail('PH_CONFIG_UNSUPPORTED', balancerTagNode, 'balancers are not supported by Porthole yet: use "outboundTag"');
    s.missing('PH_CONFIG_VALUE', 'outboundTag', 'neither outboundTag nor balancerTag is specified in this routing rule');
  }
  if (balancerTag !== '' && balancerTagNode) warn(ctx, balancerTagNode, 'balancerTag is ignored because outboundTag is set');

  const rule: { -readonly [K in keyof RoutingRule]: RoutingRule[K] } = { outboundTag };
  const domainEntries = [...(readStringList(s.get('domain')) ?? []), ...(readStringList(s.get('domains')) ?? [])];
  if (domainEntries.length > 0) rule.domain = readDomains(ctx, domainEntries);
  const ipNode = s.get('ip');
  if (ipNode) {
    const ip = readCidrList(ctx, ipNode);
    if (ip.length > 0) rule.ip = ip;
  }
  const portNode = s.get('port');
  if (portNode) {
    rule.port = readPortList(ctx, portNode);
    neverMatches(ctx, portNode, rule.port, 'port');
  }
  const networkNode = s.get('network');
  if (networkNode && (readStringList(networkNode) ?? []).length > 0) {
    rule.network = readNetworkList(ctx, networkNode);
    neverMatches(ctx, networkNode, rule.network, 'network');
  }
  const sourceNode = s.get('source');
  if (sourceNode) {
    const source = readCidrList(ctx, sourceNode);
    if (source.length > 0) rule.source = source;
  }
  const sourcePortNode = s.get('sourcePort');
  if (sourcePortNode) {
    rule.sourcePort = readPortList(ctx, sourcePortNode);
    neverMatches(ctx, sourcePortNode, rule.sourcePort, 'sourcePort');
  }
  const userNode = s.get('user');
  const user = userNode ? readNames(ctx, userNode, 'user') : undefined;
  if (user) rule.user = user;
  const inboundTagNode = s.get('inboundTag');
  const inboundTag = inboundTagNode ? readNames(ctx, inboundTagNode, 'inboundTag') : undefined;
  if (inboundTag) rule.inboundTag = inboundTag;
  const protocolNode = s.get('protocol');
  if (protocolNode && (readStringList(protocolNode) ?? []).length > 0) {
    fail('PH_CONFIG_UNSUPPORTED', protocolNode, 'routing by sniffed "protocol" is not supported by Porthole yet');
  }
  const attrsNode = s.get('attrs');
  if ((readString(attrsNode) ?? '') !== '' && attrsNode) fail('PH_CONFIG_UNSUPPORTED', attrsNode, 'routing by "attrs" is not supported by Porthole yet');

  if (Object.keys(rule).length === 1) {
    fail('PH_CONFIG_VALUE', node, 'this rule has no effective fields: add a condition such as "inboundTag", "domain", "ip", "port" or "network"');
  }
  return record(ctx, rule as RoutingRule, node, { outboundTag: outboundTagNode, inboundTag: inboundTagNode, domain: s.get('domain') ?? s.get('domains') });
}

export function buildRouting(ctx: BuildContext, node: JsonNode | undefined): RoutingConfig {
  if (node === undefined) return { domainStrategy: 'AsIs', rules: [] };
  const s: Struct = new Struct(ctx, node, ['settings', 'rules', 'domainStrategy', 'balancers']);
  const legacy = s.get('settings') ? new Struct(ctx, s.get('settings') as JsonNode, ['rules', 'domainStrategy']) : undefined;
  const strategyNode = s.get('domainStrategy') ?? legacy?.get('domainStrategy');
  const rawStrategy = readString(strategyNode) ?? '';
  const domainStrategy = DOMAIN_STRATEGIES[rawStrategy.toLowerCase()] ?? 'AsIs';
  if (rawStrategy !== '' && DOMAIN_STRATEGIES[rawStrategy.toLowerCase()] === undefined && strategyNode) {
    warn(ctx, strategyNode, `unknown domainStrategy ${JSON.stringify(rawStrategy)} means "AsIs" (use AsIs, IPIfNonMatch, IPOnDemand or AlwaysIP)`);
  }
  const ruleNodes = [...(readArray(s.get('rules')) ?? []), ...(readArray(legacy?.get('rules')) ?? [])];
  const rules = buildEach(ctx, ruleNodes, (ruleNode) => buildRule(ctx, ruleNode));
  const balancers = readArray(s.get('balancers'));
  if (balancers && balancers.length > 0) fail('PH_CONFIG_UNSUPPORTED', s.get('balancers') as JsonNode, 'balancers are not supported by Porthole yet');
  return { domainStrategy, rules };
}
