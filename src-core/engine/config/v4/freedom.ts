/**
 * `freedom` outbound settings. V2Ray `infra/conf/freedom.go`, `proxy/freedom/freedom.go`
 * (wire doc §6).
 */
import type { FreedomDomainStrategy, FreedomSettings } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, readString, readUint, warn } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { parseAddress, portFromString, splitHostPort } from './net.js';

const DOMAIN_STRATEGIES: Record<string, FreedomDomainStrategy> = {
  asis: 'AsIs',
  useip: 'UseIP', use_ip: 'UseIP',
  useip4: 'UseIPv4', useipv4: 'UseIPv4', use_ipv4: 'UseIPv4', use_ip_v4: 'UseIPv4', use_ip4: 'UseIPv4',
  useip6: 'UseIPv6', useipv6: 'UseIPv6', use_ipv6: 'UseIPv6', use_ip_v6: 'UseIPv6', use_ip6: 'UseIPv6',
};

export function buildFreedomSettings(ctx: BuildContext, node: JsonNode): FreedomSettings {
  const s = new Struct(ctx, node, ['domainStrategy', 'timeout', 'redirect', 'userLevel']);
  const strategyNode = s.get('domainStrategy');
  const rawStrategy = readString(strategyNode) ?? '';
  const domainStrategy = DOMAIN_STRATEGIES[rawStrategy.toLowerCase()] ?? 'AsIs';
  if (rawStrategy !== '' && DOMAIN_STRATEGIES[rawStrategy.toLowerCase()] === undefined && strategyNode) {
    warn(ctx, strategyNode, `unknown domainStrategy ${JSON.stringify(rawStrategy)} means "AsIs" (use AsIs, UseIP, UseIPv4 or UseIPv6)`);
  }
  const redirectNode = s.get('redirect');
  const rawRedirect = readString(redirectNode) ?? '';
  let redirect: FreedomSettings['redirect'];
  if (rawRedirect !== '' && redirectNode) {
    const split = splitHostPort(rawRedirect);
    if (typeof split === 'string') {
      fail('PH_CONFIG_VALUE', redirectNode, `invalid redirect address ${JSON.stringify(rawRedirect)}: ${split} (write "host:port", "[ipv6]:port" or ":port")`);
    }
    const port = portFromString(split.port);
    if (port === undefined) fail('PH_CONFIG_VALUE', redirectNode, `invalid redirect port ${JSON.stringify(split.port)} in ${JSON.stringify(rawRedirect)}: expected 0 to 65535`);
    const address = split.host === '' ? undefined : parseAddress(split.host).text;
    redirect = address === undefined || address === '0.0.0.0' ? { port } : { address, port };
  }
  return {
    domainStrategy,
    ...(redirect ? { redirect } : {}),
    timeout: readUint(s.get('timeout'), 32) ?? 0,
    userLevel: readUint(s.get('userLevel'), 32) ?? 0,
  };
}
