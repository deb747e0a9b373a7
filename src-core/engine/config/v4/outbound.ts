/**
 * One entry of `outbounds`: the common sender fields, then the protocol's settings.
 * V2Ray `infra/conf/v2ray.go` `OutboundDetourConfig.Build` and `app/proxyman/outbound/handler.go`.
 */
import type { MuxConfig, OutboundConfig } from '../types.js';
import { buildBlackholeSettings } from './blackhole.js';
import type { BuildContext } from './decode.js';
import { Struct, absentNode, fail, readBool, readInt, readString, record } from './decode.js';
import { buildFreedomSettings } from './freedom.js';
import type { JsonNode } from './jsonc.js';
import { parseAddress } from './net.js';
import { V2RAY_OUTBOUND_PROTOCOLS, resolveProtocol } from './protocols.js';
import { buildStreamSettings } from './stream.js';
import { buildVlessOutboundSettings } from './vless.js';
import { buildVmessOutboundSettings } from './vmess.js';

export const OUTBOUND_FIELDS = ['protocol', 'sendThrough', 'tag', 'settings', 'streamSettings', 'proxySettings', 'mux'] as const;

const SUPPORTED = ['freedom', 'vmess', 'blackhole', 'vless'] as const;

/** `mux`: concurrency 0/missing → 8, negative → no mux at all, above 1024 → error (V2Ray checks at server creation). */
function buildMux(ctx: BuildContext, node: JsonNode): MuxConfig | undefined {
  const s = new Struct(ctx, node, ['enabled', 'concurrency']);
  const enabled = readBool(s.get('enabled')) ?? false;
  const concurrency = readInt(s.get('concurrency'), 16) ?? 0;
  if (concurrency < 0) return undefined;
  if (concurrency > 1024) fail('PH_CONFIG_VALUE', s.get('concurrency') as JsonNode, `invalid mux concurrency ${concurrency}: use 1 to 1024 (or a negative value to turn mux off)`);
  return { enabled, concurrency: concurrency === 0 ? 8 : concurrency };
}

export function buildOutbound(ctx: BuildContext, node: JsonNode): OutboundConfig {
  const s = new Struct(ctx, node, OUTBOUND_FIELDS);
  const protocolNode = s.get('protocol');
  const protocol = resolveProtocol(s, protocolNode, readString(protocolNode) ?? '', SUPPORTED, V2RAY_OUTBOUND_PROTOCOLS, 'outbound');

  const sendThroughNode = s.get('sendThrough');
  let sendThrough: string | undefined;
  if (sendThroughNode) {
    const address = parseAddress(readString(sendThroughNode, 'an IP address string') ?? '');
    if (address.kind === 'domain') fail('PH_CONFIG_VALUE', sendThroughNode, `unable to send through ${JSON.stringify(address.text)}: use a local IP address`);
    sendThrough = address.text;
  }
  const streamSettings = buildStreamSettings(ctx, s.get('streamSettings'), 'outbound', protocol);
  const proxySettings = s.get('proxySettings');
  if (proxySettings) fail('PH_CONFIG_UNSUPPORTED', proxySettings, 'proxySettings (chaining outbounds) is not supported by Porthole yet');
  const muxNode = s.get('mux');
  const mux = muxNode ? buildMux(ctx, muxNode) : undefined;

  const tagNode = s.get('tag');
  const tag = readString(tagNode) ?? '';
  const settingsNode = s.get('settings') ?? absentNode(node, 'settings');
  const common = {
    ...(tag !== '' ? { tag } : {}),
    ...(sendThrough !== undefined ? { sendThrough } : {}),
    ...(mux ? { mux } : {}),
    ...(streamSettings ? { streamSettings } : {}),
  };
  let outbound: OutboundConfig;
  switch (protocol) {
    case 'freedom': outbound = { ...common, protocol, settings: buildFreedomSettings(ctx, settingsNode) }; break;
    case 'vmess': outbound = { ...common, protocol, settings: buildVmessOutboundSettings(ctx, settingsNode) }; break;
    case 'vless': outbound = { ...common, protocol, settings: buildVlessOutboundSettings(ctx, settingsNode) }; break;
    default: outbound = { ...common, protocol, settings: buildBlackholeSettings(ctx, settingsNode) }; break;
  }
  return record(ctx, outbound, node, { tag: tagNode });
}
