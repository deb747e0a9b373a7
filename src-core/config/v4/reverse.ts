/**
 * `reverse` section. V2Ray `infra/conf/reverse.go`; the empty-tag/domain checks happen in
 * `app/reverse/{bridge,portal}.go` at server creation (wire doc §5).
 */
import type { BridgeConfig, PortalConfig, ReverseConfig } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, readArray, readString, record } from './decode.js';
import type { JsonNode } from './jsonc.js';

function buildEndpoint(ctx: BuildContext, node: JsonNode, kind: 'bridge' | 'portal'): BridgeConfig | PortalConfig {
  const s: Struct = new Struct(ctx, node, ['tag', 'domain']);
  const tagNode = s.get('tag');
  const domainNode = s.get('domain');
  const tag = readString(tagNode) ?? '';
  const domain = readString(domainNode) ?? '';
  const hint = kind === 'bridge'
    ? 'the bridge dials the portal with this domain'
    : 'the portal recognises the bridge\'s links by this domain';
  if (tag === '') {
    if (tagNode) fail('PH_CONFIG_VALUE', tagNode, `${kind} tag is empty`);
    s.missing('PH_CONFIG_VALUE', 'tag', `${kind} tag is empty: add "tag"`);
  }
  if (domain === '') {
    if (domainNode) fail('PH_CONFIG_VALUE', domainNode, `${kind} domain is empty (${hint})`);
    s.missing('PH_CONFIG_VALUE', 'domain', `${kind} domain is empty: add "domain" (${hint})`);
  }
  return record(ctx, { tag, domain }, node, { tag: tagNode, domain: domainNode });
}

export function buildReverse(ctx: BuildContext, node: JsonNode | undefined): ReverseConfig {
  if (node === undefined) return { bridges: [], portals: [] };
  const s: Struct = new Struct(ctx, node, ['bridges', 'portals']);
  return {
    bridges: (readArray(s.get('bridges')) ?? []).map((item) => buildEndpoint(ctx, item, 'bridge')),
    portals: (readArray(s.get('portals')) ?? []).map((item) => buildEndpoint(ctx, item, 'portal')),
  };
}
