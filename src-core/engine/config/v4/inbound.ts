/**
 * One entry of `inbounds`: the common receiver fields, then the protocol's settings.
 * V2Ray `infra/conf/v2ray.go` `InboundDetourConfig.Build`.
 */
import type { InboundConfig, PortRange } from '../types.js';
import { buildDokodemoSettings } from './dokodemo.js';
import { buildHttpInboundSettings } from './http.js';
import type { BuildContext } from './decode.js';
import { Struct, absentNode, fail, readBool, readString, readStringList, readUint, record, typeError, warn } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { parseAddress, parseStringPort } from './net.js';
import { V2RAY_INBOUND_PROTOCOLS, resolveProtocol } from './protocols.js';
import { buildSocksInboundSettings } from './socks.js';
import { buildStreamSettings } from './stream.js';
import { buildVlessInboundSettings } from './vless.js';
import { buildVmessInboundSettings } from './vmess.js';

export const INBOUND_FIELDS = [
  'protocol', 'port', 'listen', 'settings', 'tag', 'allocate', 'streamSettings', 'domainOverride', 'sniffing',
] as const;

const SUPPORTED = ['dokodemo-door', 'vmess', 'vless', 'socks', 'http'] as const;

/**
 * V2Ray `PortRange`: a number (0..65535), or a string "80", "1000-2000" or "env:NAME"; from <= to.
 */
export function readPortRange(ctx: BuildContext, node: JsonNode): PortRange {
  if (node.kind === 'number') {
    if (!/^\d+$/.test(node.raw) || Number(node.raw) > 65535) fail('PH_CONFIG_VALUE', node, `invalid port ${node.raw}: expected 0 to 65535`);
    const port = Number(node.raw);
    return { from: port, to: port };
  }
  if (node.kind !== 'string') typeError(node, 'a port number or range');
  const parsed = parseStringPort(node.value, ctx.env);
  if (typeof parsed === 'string') {
    const env = node.value.startsWith('env:') ? ` (from environment variable ${node.value.slice(4)})` : '';
    fail('PH_CONFIG_TYPE', node, `expected a port number or range, got ${JSON.stringify(node.value)}${env}`);
  }
  if (parsed.from > parsed.to) fail('PH_CONFIG_VALUE', node, `invalid port range ${parsed.from} -> ${parsed.to}: the first port must not be greater`);
  return parsed;
}

function checkSniffing(ctx: BuildContext, node: JsonNode | undefined): void {
  if (node === undefined) return;
  const s: Struct = new Struct(ctx, node, ['enabled', 'destOverride']);
  for (const entry of readStringList(s.get('destOverride')) ?? []) {
    if (!['http', 'tls', 'https', 'ssl'].includes(entry.value.toLowerCase())) {
      fail('PH_CONFIG_VALUE', entry.node, `unknown sniffing protocol ${JSON.stringify(entry.value)} (use "http" or "tls")`);
    }
  }
  if (readBool(s.get('enabled'))) warn(ctx, node, 'sniffing is ignored: Porthole does not sniff (routing sees the original destination)');
}

export function buildInbound(ctx: BuildContext, node: JsonNode): InboundConfig {
  const s: Struct = new Struct(ctx, node, INBOUND_FIELDS);
  const protocolNode = s.get('protocol');
  const protocol = resolveProtocol(s, protocolNode, readString(protocolNode) ?? '', SUPPORTED, V2RAY_INBOUND_PROTOCOLS, 'inbound');

  const portNode = s.get('port');
  const port = portNode ? readPortRange(ctx, portNode) : undefined;
  const listenNode = s.get('listen');
  let listen = '0.0.0.0';
  if (listenNode) {
    const raw = readString(listenNode, 'an IP address string') ?? '';
    const address = parseAddress(raw);
    if (address.kind === 'domain' && (address.text.startsWith('/') || address.text.startsWith('@'))) {
      fail('PH_CONFIG_UNSUPPORTED', listenNode, 'listening on a Unix domain socket is not supported by Porthole yet');
    }
    if (address.kind === 'domain' && address.text !== 'localhost') {
      fail('PH_CONFIG_VALUE', listenNode, `unable to listen on domain address ${JSON.stringify(address.text)}: use an IP address`);
    }
    listen = address.text;
    if (!port) s.missing('PH_CONFIG_VALUE', 'port', `missing "port": listening on ${listen} needs a port`);
  }
  if (!port) s.missing('PH_CONFIG_VALUE', 'port', 'missing "port": an inbound needs a port to listen on');

  const allocate = s.get('allocate');
  if (allocate) {
    const a = new Struct(ctx, allocate, ['strategy', 'concurrency', 'refresh']);
    const strategyNode = a.get('strategy');
    const strategy = readString(strategyNode) ?? '';
    readUint(a.get('concurrency'), 32);
    readUint(a.get('refresh'), 32);
    const lower = strategy.toLowerCase();
    if (lower === 'random' || lower === 'external') fail('PH_CONFIG_UNSUPPORTED', strategyNode ?? allocate, `allocation strategy "${lower}" is not supported by Porthole yet (use "always")`);
    if (lower !== 'always') fail('PH_CONFIG_VALUE', strategyNode ?? allocate, `unknown allocation strategy ${JSON.stringify(strategy)} (use "always")`);
  }
  const streamSettings = buildStreamSettings(ctx, s.get('streamSettings'), 'inbound', protocol);
  checkSniffing(ctx, s.get('sniffing'));
  const domainOverride = s.get('domainOverride');
  if (domainOverride) {
    for (const entry of readStringList(domainOverride) ?? []) {
      if (!['http', 'https', 'tls', 'ssl'].includes(entry.value.toLowerCase())) fail('PH_CONFIG_VALUE', entry.node, `unknown protocol ${JSON.stringify(entry.value)} in domainOverride`);
    }
    warn(ctx, domainOverride, 'domainOverride is ignored: Porthole does not sniff');
  }

  const tagNode = s.get('tag');
  const tag = readString(tagNode) ?? '';
  const settingsNode = s.get('settings') ?? absentNode(node, 'settings');
  const common = { ...(tag !== '' ? { tag } : {}), listen, port, ...(streamSettings ? { streamSettings } : {}) };
  const inbound: InboundConfig = protocol === 'vmess'
    ? { ...common, protocol, settings: buildVmessInboundSettings(ctx, settingsNode) }
    : protocol === 'vless'
      ? { ...common, protocol, settings: buildVlessInboundSettings(ctx, settingsNode) }
      : protocol === 'socks'
        ? { ...common, protocol, settings: buildSocksInboundSettings(ctx, settingsNode) }
        : protocol === 'http'
          ? { ...common, protocol, settings: buildHttpInboundSettings(ctx, settingsNode) }
          : { ...common, protocol, settings: buildDokodemoSettings(ctx, settingsNode) };
  return record(ctx, inbound, node, { tag: tagNode });
}
