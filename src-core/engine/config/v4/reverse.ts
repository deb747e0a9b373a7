/**
 * `reverse` section. V2Ray `infra/conf/reverse.go`; the empty-tag/domain checks happen in
 * `app/reverse/{bridge,portal}.go` at server creation (wire doc §5).
 */
import { DEFAULT_EXPOSURES_PER_USER } from '../runtime.js';
import type { BridgeConfig, PortalConfig, PortalExposuresConfig, PortRange, ReverseConfig } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, buildEach, fail, readArray, readString, readUint, record } from './decode.js';
import { readPortRange } from './inbound.js';
import type { JsonNode } from './jsonc.js';
import { buildNames } from './names.js';
import { parseAddress } from './net.js';

/**
 * `exposures` of a portal (Porthole only):
 * `{"ports": "20000-20099", "listen": "0.0.0.0", "publicHost": "vps.example.com", "maxPerUser": 10,
 *   "names": {…} (see names.ts)}`.
 */
function buildExposures(ctx: BuildContext, node: JsonNode): PortalExposuresConfig {
  const s: Struct = new Struct(ctx, node, ['ports', 'listen', 'publicHost', 'maxPerUser', 'names']);
  const portsNode = s.get('ports');
  if (!portsNode) s.missing('PH_CONFIG_VALUE', 'ports', 'missing "ports": which public ports bridges may ask for, e.g. "20000-20099"');
  const ports: PortRange[] = portsNode.kind === 'array'
    ? portsNode.items.map((item) => readPortRange(ctx, item))
    : portsNode.kind === 'string' && portsNode.value.includes(',')
      ? portsNode.value.split(',').map((part) => readPortRange(ctx, { ...portsNode, value: part.trim() }))
      : [readPortRange(ctx, portsNode)];
  if (ports.length === 0) fail('PH_CONFIG_VALUE', portsNode, 'no ports: give at least one port or range');
  for (const range of ports) {
    if (range.from === 0) fail('PH_CONFIG_VALUE', portsNode, 'port 0 cannot be handed out: use ports from 1 to 65535');
  }
  const listenNode = s.get('listen');
  let listen = '0.0.0.0';
  if (listenNode) {
    const address = parseAddress(readString(listenNode, 'an IP address string') ?? '');
    if (address.kind === 'domain') fail('PH_CONFIG_VALUE', listenNode, `unable to listen on domain address ${JSON.stringify(address.text)}: use an IP address`);
    listen = address.text;
  }
  const publicHostNode = s.get('publicHost');
  const publicHost = readString(publicHostNode);
  if (publicHostNode && !publicHost) fail('PH_CONFIG_VALUE', publicHostNode, 'publicHost is empty');
  // Left out, the portal allows DEFAULT_EXPOSURES_PER_USER.
  const maxPerUserNode = s.get('maxPerUser');
  const maxPerUser = readUint(maxPerUserNode, 16);
  if (maxPerUserNode && maxPerUser === 0) {
    fail('PH_CONFIG_VALUE', maxPerUserNode, `maxPerUser is 0: allow each bridge user at least 1 exposure (default ${DEFAULT_EXPOSURES_PER_USER}), or remove "exposures" to allow none`);
  }
  const namesNode = s.get('names');
  const names = namesNode ? buildNames(ctx, namesNode) : undefined;
  return { ports, listen, ...(publicHost ? { publicHost } : {}), ...(maxPerUser === undefined ? {} : { maxPerUser }), ...(names ? { names } : {}) };
}

function buildEndpoint(ctx: BuildContext, node: JsonNode, kind: 'bridge' | 'portal'): BridgeConfig | PortalConfig {
  const s: Struct = new Struct(ctx, node, kind === 'portal' ? ['tag', 'domain', 'exposures'] : ['tag', 'domain']);
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
  const exposuresNode = kind === 'portal' ? s.get('exposures') : undefined;
  const exposures = exposuresNode ? buildExposures(ctx, exposuresNode) : undefined;
  return record(ctx, { tag, domain, ...(exposures ? { exposures } : {}) }, node, { tag: tagNode, domain: domainNode, ...(exposuresNode ? { exposures: exposuresNode } : {}) });
}

export function buildReverse(ctx: BuildContext, node: JsonNode | undefined): ReverseConfig {
  if (node === undefined) return { bridges: [], portals: [] };
  const s: Struct = new Struct(ctx, node, ['bridges', 'portals']);
  return {
    bridges: buildEach(ctx, readArray(s.get('bridges')) ?? [], (item) => buildEndpoint(ctx, item, 'bridge')),
    portals: buildEach(ctx, readArray(s.get('portals')) ?? [], (item) => buildEndpoint(ctx, item, 'portal')),
  };
}
