/**
 * Checks across sections, after every section is built. V2Ray accepts all of these mistakes and
 * then misroutes at run time; Porthole refuses them at load time (PH_CONFIG_CROSS_CHECK):
 *
 * - Tags are unique among inbounds and bridges (both are what a rule's `inboundTag` names), and
 *   among outbounds and portals (both are what `outboundTag` names; a portal *is* an outbound).
 *   V2Ray silently keeps the last handler with a tag.
 * - A rule's `outboundTag` names an outbound or a portal. V2Ray falls back to the first outbound.
 * - Each bridge's link (`tcp:<domain>:0` with inbound tag = bridge tag, wire doc §5.1) is routed
 *   by an explicit rule to a VMess or VLESS outbound. The first matching rule decides, so a catch-all
 *   `{inboundTag: [bridge]} → freedom` placed before the domain rule is caught here.
 *
 * Warnings: a rule's `inboundTag` that names no inbound or bridge; a portal no rule routes to.
 * Loading stops at the first error; validating (`ctx.errors` set) reports each one.
 */
import { PortholeError } from '../../common/errors.js';
import { fieldOriginOf, originOf } from '../origins.js';
import { compileDomainMatcher, portInRanges } from '../runtime.js';
import type { BridgeConfig, ConfigOrigin, OutboundConfig, PortholeConfig, RoutingRule } from '../types.js';
import type { BuildContext } from './decode.js';
import { reportError } from './decode.js';
import { didYouMean } from './protocols.js';

const q = (text: string): string => JSON.stringify(text);

function where(origin: ConfigOrigin | undefined): string {
  if (!origin) return '';
  return ` (${origin.file}:${origin.line}:${origin.column})`;
}

function crossError(origin: ConfigOrigin | undefined, message: string): PortholeError {
  return new PortholeError('PH_CONFIG_CROSS_CHECK', message, origin ?? {});
}

interface Tagged { readonly tag: string; readonly item: object; readonly what: string }

function checkUnique(ctx: BuildContext, items: readonly Tagged[], group: string): void {
  const seen = new Map<string, Tagged>();
  for (const entry of items) {
    const first = seen.get(entry.tag);
    if (first) {
      const firstOrigin = originOf(first.item);
      reportError(ctx, crossError(fieldOriginOf(entry.item, 'tag'),
        `duplicate tag ${q(entry.tag)}: ${firstOrigin?.path ?? `another ${first.what}`}${where(firstOrigin)} already uses it; tags of ${group} must be unique`));
      continue;
    }
    seen.set(entry.tag, entry);
  }
}

/** Does `rule` match the bridge's own dial: inbound tag = bridge tag, tcp to `<domain>:0`? */
function matchesBridgeDial(rule: RoutingRule, bridge: BridgeConfig): boolean {
  if (rule.inboundTag && !rule.inboundTag.includes(bridge.tag)) return false;
  if (rule.domain && !rule.domain.some((matcher) => compileDomainMatcher(matcher)(bridge.domain))) return false;
  if (rule.ip) return false;
  if (rule.source) return false;
  if (rule.user) return false;
  if (rule.port && !portInRanges(rule.port, 0)) return false;
  if (rule.sourcePort && !portInRanges(rule.sourcePort, 0)) return false;
  if (rule.network && !rule.network.includes('tcp')) return false;
  return true;
}

function describeOutbound(outbound: OutboundConfig, index: number): string {
  return `outbounds[${index}]${outbound.tag ? ` ${q(outbound.tag)}` : ''} (${outbound.protocol})`;
}

export function crossCheck(ctx: BuildContext, config: PortholeConfig): void {
  const inboundTags: Tagged[] = [
    ...config.inbounds.flatMap((inbound) => (inbound.tag ? [{ tag: inbound.tag, item: inbound, what: 'inbound' }] : [])),
    ...config.reverse.bridges.map((bridge) => ({ tag: bridge.tag, item: bridge, what: 'bridge' })),
  ];
  const outboundTags: Tagged[] = [
    ...config.outbounds.flatMap((outbound) => (outbound.tag ? [{ tag: outbound.tag, item: outbound, what: 'outbound' }] : [])),
    ...config.reverse.portals.map((portal) => ({ tag: portal.tag, item: portal, what: 'portal' })),
  ];
  checkUnique(ctx, inboundTags, 'inbounds and bridges');
  checkUnique(ctx, outboundTags, 'outbounds and portals (a portal is an outbound)');

  const outboundNames = outboundTags.map((t) => t.tag);
  const inboundNames = new Set(inboundTags.map((t) => t.tag));
  config.routing.rules.forEach((rule) => {
    if (!outboundNames.includes(rule.outboundTag)) {
      const suggestion = didYouMean(rule.outboundTag, outboundNames);
      const known = outboundNames.length > 0 ? outboundNames.map(q).join(', ') : 'none';
      reportError(ctx, crossError(fieldOriginOf(rule, 'outboundTag'),
        `outboundTag ${q(rule.outboundTag)} names no outbound or portal${suggestion ? ` (did you mean ${q(suggestion)}?)` : ''}; known tags: ${known} (V2Ray would silently use the first outbound)`));
      return;
    }
    for (const tag of rule.inboundTag ?? []) {
      if (!inboundNames.has(tag)) {
        const origin = fieldOriginOf(rule, 'inboundTag');
        ctx.warnings.push(new PortholeError('PH_CONFIG_CROSS_CHECK', `inboundTag ${q(tag)} names no inbound or bridge, so it never matches`, { ...origin, severity: 'warning' }));
      }
    }
  });

  for (const bridge of config.reverse.bridges) {
    const index = config.routing.rules.findIndex((rule) => matchesBridgeDial(rule, bridge));
    const rule = config.routing.rules[index];
    const suggestedRule = `{"type": "field", "inboundTag": [${q(bridge.tag)}], "domain": [${q(`full:${bridge.domain}`)}], "outboundTag": "<your VMess or VLESS outbound to the portal>"}`;
    if (!rule) {
      reportError(ctx, crossError(fieldOriginOf(bridge, 'domain'),
        `no routing rule sends bridge ${q(bridge.tag)}'s link (to ${q(bridge.domain)}) to the portal: add ${suggestedRule} to routing.rules`));
      continue;
    }
    const outboundIndex = config.outbounds.findIndex((outbound) => outbound.tag === rule.outboundTag);
    const outbound = config.outbounds[outboundIndex];
    // A portal of this same instance with the bridge's domain takes the link in-process (the
    // built-in local portal: bridge and portal at once, as V2Ray allows).
    const localPortal = !outbound && config.reverse.portals.some((portal) => portal.tag === rule.outboundTag && portal.domain === bridge.domain);
    // VMess or VLESS: either carries a link as 4.34 does (a plain TCP request to `<domain>:0`).
    if (!localPortal && (!outbound || (outbound.protocol !== 'vmess' && outbound.protocol !== 'vless'))) {
      const target = outbound ? describeOutbound(outbound, outboundIndex) : `portal ${q(rule.outboundTag)}`;
      const ruleOrigin = originOf(rule);
      reportError(ctx, crossError(ruleOrigin,
        `this rule sends bridge ${q(bridge.tag)}'s link (to ${q(bridge.domain)}) to ${target}, not to a VMess or VLESS outbound: put ${suggestedRule} before it (the first matching rule wins)`));
    }
  }

  for (const portal of config.reverse.portals) {
    if (!config.routing.rules.some((rule) => rule.outboundTag === portal.tag)) {
      ctx.warnings.push(new PortholeError('PH_CONFIG_CROSS_CHECK',
        `no routing rule sends anything to portal ${q(portal.tag)}: route the bridge's VMess inbound and the public inbounds to it`,
        { ...fieldOriginOf(portal, 'tag'), severity: 'warning' }));
    }
  }
}
