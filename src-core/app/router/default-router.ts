/**
 * The router (V2Ray's `app/router`): rules are tried in order and the first whose conditions all
 * match names the outbound. Values inside one condition are ORed, conditions are ANDed. No match
 * means the default outbound. Domain conditions see only domain targets, IP conditions only IP
 * targets (domainStrategy AsIs: Porthole resolves no names for routing).
 */
import type { RoutingContext } from '../../common/session.js';
import type { Network } from '../../common/net.js';
import type { Router } from '../../features/router.js';
import { CidrMatcher, DomainMatcher, portInRanges, type DomainRule, type PortRange } from './matchers.js';

/** One routing rule, as the config layer describes it. */
export interface RouteRuleSpec {
  outboundTag: string;
  inboundTag?: readonly string[];
  domain?: readonly DomainRule[];
  ip?: readonly string[];
  port?: readonly PortRange[];
  network?: readonly Network[];
  source?: readonly string[];
  sourcePort?: readonly PortRange[];
  user?: readonly string[];
}

type Condition = (context: RoutingContext) => boolean;

function compileRule(spec: RouteRuleSpec): Condition[] {
  const conditions: Condition[] = [];
  if (spec.inboundTag?.length) {
    const tags = new Set(spec.inboundTag);
    conditions.push(({ session }) => tags.has(session.inboundTag));
  }
  if (spec.domain?.length) {
    const matcher = new DomainMatcher(spec.domain);
    conditions.push(({ target }) => target.address.kind === 'domain' && matcher.matches(target.address.value));
  }
  if (spec.ip?.length) {
    const matcher = new CidrMatcher(spec.ip);
    conditions.push(({ target }) => target.address.kind !== 'domain' && matcher.matches(target.address.value));
  }
  if (spec.port?.length) {
    const ranges = spec.port;
    conditions.push(({ target }) => portInRanges(target.port, ranges));
  }
  if (spec.network?.length) {
    const networks = new Set(spec.network);
    conditions.push(({ target }) => networks.has(target.network));
  }
  if (spec.source?.length) {
    const matcher = new CidrMatcher(spec.source);
    conditions.push(({ session }) => session.source !== undefined && matcher.matches(session.source.address));
  }
  if (spec.sourcePort?.length) {
    const ranges = spec.sourcePort;
    conditions.push(({ session }) => session.source !== undefined && portInRanges(session.source.port, ranges));
  }
  if (spec.user?.length) {
    const users = new Set(spec.user);
    conditions.push(({ session }) => session.user !== undefined && users.has(session.user));
  }
  return conditions;
}

export class DefaultRouter implements Router {
  private readonly rules: Array<{ outboundTag: string; conditions: Condition[] }>;

  constructor(specs: readonly RouteRuleSpec[]) {
    this.rules = specs.map((spec) => ({ outboundTag: spec.outboundTag, conditions: compileRule(spec) }));
  }

  pickRoute(context: RoutingContext): string | undefined {
    for (const rule of this.rules) {
      if (rule.conditions.every((condition) => condition(context))) return rule.outboundTag;
    }
    return undefined;
  }
}
