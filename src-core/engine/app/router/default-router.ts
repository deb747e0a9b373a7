/**
 * The router (V2Ray's `app/router`): rules are tried in order and the first whose conditions all
 * match names the outbound. Values inside one condition are ORed, conditions are ANDed. No match
 * means the default outbound. Domain conditions see only domain targets and IP conditions only IP
 * targets (domainStrategy AsIs: Porthole resolves no names for routing). An empty condition list
 * never matches, as in V2Ray. The matchers themselves come from the config layer.
 */
import type { RoutingContext } from '../../common/session.js';
import { cidrContains, compileDomainMatcher, portInRanges, type DomainMatcher, type RoutingRule } from '../../config/index.js';
import type { Router } from '../../features/router.js';

type Condition = (context: RoutingContext) => boolean;

/** Exact and suffix matchers go through Sets (one lookup per label); the rest one by one. */
function compileDomains(matchers: readonly DomainMatcher[]): (domain: string) => boolean {
  const full = new Set(matchers.filter((matcher) => matcher.kind === 'full').map((matcher) => matcher.value));
  const suffixes = new Set(matchers.filter((matcher) => matcher.kind === 'domain').map((matcher) => matcher.value));
  const others = matchers.filter((matcher) => matcher.kind !== 'full' && matcher.kind !== 'domain').map(compileDomainMatcher);
  return (domain) => {
    if (full.has(domain)) return true;
    if (suffixes.size > 0) {
      // `domain:x` matches x itself and every name ending in ".x": try each parent in turn.
      for (let candidate = domain; ; ) {
        if (suffixes.has(candidate)) return true;
        const dot = candidate.indexOf('.');
        if (dot === -1) break;
        candidate = candidate.slice(dot + 1);
      }
    }
    return others.some((matches) => matches(domain));
  };
}

function compileRule(rule: RoutingRule): Condition[] {
  const conditions: Condition[] = [];
  const { inboundTag, domain, ip, port, network, source, sourcePort, user } = rule;
  if (inboundTag) {
    const tags = new Set(inboundTag);
    conditions.push(({ session }) => tags.has(session.inboundTag));
  }
  if (domain) {
    const matches = compileDomains(domain);
    conditions.push(({ target }) => target.address.kind === 'domain' && matches(target.address.value));
  }
  if (ip) conditions.push(({ target }) => target.address.kind !== 'domain' && ip.some((cidr) => cidrContains(cidr, target.address.value)));
  if (port) conditions.push(({ target }) => portInRanges(port, target.port));
  if (network) conditions.push(({ target }) => network.includes(target.network));
  if (source) conditions.push(({ session }) => session.source !== undefined && source.some((cidr) => cidrContains(cidr, session.source?.address ?? '')));
  if (sourcePort) conditions.push(({ session }) => session.source !== undefined && portInRanges(sourcePort, session.source.port));
  if (user) conditions.push(({ session }) => session.user !== undefined && user.includes(session.user));
  return conditions;
}

export class DefaultRouter implements Router {
  private readonly rules: Array<{ outboundTag: string; conditions: Condition[] }>;

  constructor(rules: readonly RoutingRule[]) {
    this.rules = rules.map((rule) => ({ outboundTag: rule.outboundTag, conditions: compileRule(rule) }));
  }

  pickRoute(context: RoutingContext): string | undefined {
    if (context.session.outboundTag !== undefined) return context.session.outboundTag;
    for (const rule of this.rules) {
      if (rule.conditions.every((condition) => condition(context))) return rule.outboundTag;
    }
    return undefined;
  }
}
