/**
 * `socks` inbound settings. V2Ray 4.34 `infra/conf/socks.go` (`SocksServerConfig`): `auth`
 * ("noauth" or "password"; anything else is read as "noauth", which Porthole warns about),
 * `accounts` (a map by user name: a repeated name keeps its last password), `udp`, `ip` (the
 * address a UDP ASSOCIATE reply names), `timeout` (deprecated; seconds without traffic on a CONNECT,
 * replacing `connIdle` at `userLevel` 0 and ignored at any other level, as 4.34's `policy()` does;
 * the handshake keeps the level's `handshake`) and `userLevel`.
 */
import type { ProxyAccount, SocksInboundSettings } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, readArray, readBool, readString, readUint, warn } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { parseAddress } from './net.js';

/**
 * `accounts`: `[{"user", "pass"}]` read into a map as 4.34 does (the last of a repeated user
 * name wins). A `null` entry crashes 4.34's loader; Porthole refuses it.
 */
export function buildProxyAccounts(ctx: BuildContext, node: JsonNode | undefined, protocol: 'socks' | 'http'): ProxyAccount[] {
  const byUser = new Map<string, string>();
  for (const item of readArray(node) ?? []) {
    if (item.kind === 'null') fail('PH_CONFIG_VALUE', item, `${protocol} accounts: an account must be an object with "user" and "pass" (V2Ray 4.34 crashes on null)`);
    const s: Struct = new Struct(ctx, item, ['user', 'pass']);
    const user = readString(s.get('user')) ?? '';
    const pass = readString(s.get('pass')) ?? '';
    if (byUser.has(user)) warn(ctx, item, `${protocol} accounts: user ${JSON.stringify(user)} is listed again: this password replaces the earlier one`);
    byUser.delete(user);
    byUser.set(user, pass);
  }
  return [...byUser].map(([user, pass]) => ({ user, pass }));
}

export function buildSocksInboundSettings(ctx: BuildContext, node: JsonNode): SocksInboundSettings {
  const s: Struct = new Struct(ctx, node, ['auth', 'accounts', 'udp', 'ip', 'timeout', 'userLevel']);
  const authNode = s.get('auth');
  const rawAuth = readString(authNode) ?? '';
  let auth: SocksInboundSettings['auth'] = 'noauth';
  if (rawAuth === 'password') auth = 'password';
  else if (rawAuth !== 'noauth' && authNode) warn(ctx, authNode, `unknown socks auth method ${JSON.stringify(rawAuth)}: read as "noauth", as V2Ray does (use "noauth" or "password")`);
  const accountsNode = s.get('accounts');
  const accounts = buildProxyAccounts(ctx, accountsNode, 'socks');
  if (auth === 'password' && accounts.length === 0) warn(ctx, authNode ?? node, 'socks auth "password" without accounts: every client will be refused');
  const ipNode = s.get('ip');
  let ip: string | undefined;
  if (ipNode) {
    if (ipNode.kind !== 'string') fail('PH_CONFIG_TYPE', ipNode, `invalid address: expected an IP address or domain string, got ${ipNode.kind === 'number' ? ipNode.raw : ipNode.kind}`);
    ip = parseAddress(ipNode.value).text;
  }
  const timeoutNode = s.get('timeout');
  const timeout = readUint(timeoutNode, 32) ?? 0;
  const userLevel = readUint(s.get('userLevel'), 32) ?? 0;
  if (timeout > 0 && timeoutNode) {
    warn(ctx, timeoutNode, userLevel === 0
      ? 'socks "timeout" is deprecated (V2Ray 4.34 says so too): set policy levels\' "connIdle" instead'
      : `socks "timeout" has no effect with "userLevel" ${userLevel} (V2Ray 4.34 applies it only at level 0): set level ${userLevel}'s "connIdle" instead`);
  }
  return {
    auth,
    accounts,
    udp: readBool(s.get('udp')) ?? false,
    ...(ip !== undefined ? { ip } : {}),
    timeout,
    userLevel,
  };
}
