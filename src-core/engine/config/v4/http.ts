/**
 * `http` inbound settings. V2Ray 4.34 `infra/conf/http.go` (`HTTPServerConfig`): `timeout` (with
 * `userLevel` 0 it replaces the level's `connIdle`), `accounts` (Basic proxy authentication; a
 * repeated user name keeps its last password), `allowTransparent` and `userLevel`.
 */
import type { HttpInboundSettings } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, readBool, readUint } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { buildProxyAccounts } from './socks.js';

export function buildHttpInboundSettings(ctx: BuildContext, node: JsonNode): HttpInboundSettings {
  const s: Struct = new Struct(ctx, node, ['timeout', 'accounts', 'allowTransparent', 'userLevel']);
  return {
    timeout: readUint(s.get('timeout'), 32) ?? 0,
    accounts: buildProxyAccounts(ctx, s.get('accounts'), 'http'),
    allowTransparent: readBool(s.get('allowTransparent')) ?? false,
    userLevel: readUint(s.get('userLevel'), 32) ?? 0,
  };
}
