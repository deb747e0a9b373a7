/**
 * `blackhole` outbound settings. V2Ray `infra/conf/blackhole.go`: `response`, when present (even
 * null), must be an object whose key `type` (exact case: it is read as a map) is "none" or
 * "http" in any case.
 */
import type { BlackholeOutbound } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, foldKey, readString } from './decode.js';
import type { JsonNode } from './jsonc.js';

export function buildBlackholeSettings(ctx: BuildContext, node: JsonNode): BlackholeOutbound['settings'] {
  new Struct(ctx, node, ['response']);
  if (node.kind !== 'object') return { response: 'none' };
  const response = [...node.members].reverse().find((m) => foldKey(m.key) === 'response')?.value;
  if (response === undefined) return { response: 'none' };
  const typeNode = response.kind === 'object' ? [...response.members].reverse().find((m) => m.key === 'type')?.value : undefined;
  if (typeNode === undefined) {
    fail('PH_CONFIG_VALUE', response, 'invalid blackhole response: expected an object with "type" (lowercase key), e.g. {"type": "http"}');
  }
  const type = (readString(typeNode) ?? '').toLowerCase();
  if (type === 'none' || type === 'http') return { response: type };
  fail('PH_CONFIG_VALUE', typeNode, `unknown blackhole response type ${JSON.stringify(type)} (use "none" or "http")`);
}
