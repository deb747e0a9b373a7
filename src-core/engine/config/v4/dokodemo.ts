/**
 * `dokodemo-door` inbound settings. V2Ray `infra/conf/dokodemo.go`, `proxy/dokodemo/dokodemo.go`
 * (wire doc §6).
 */
import type { DokodemoSettings } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, readBool, readString, readUint } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { parseAddress } from './net.js';
import { readNetworkList } from './routing.js';

export function buildDokodemoSettings(ctx: BuildContext, node: JsonNode): DokodemoSettings {
  const s = new Struct(ctx, node, ['address', 'port', 'network', 'timeout', 'followRedirect', 'userLevel']);
  const followRedirect = s.get('followRedirect');
  if (readBool(followRedirect) && followRedirect) {
    fail('PH_CONFIG_UNSUPPORTED', followRedirect, 'followRedirect (transparent proxy) is not supported by Porthole yet');
  }
  const address = readString(s.get('address'), 'an address string');
  const networkNode = s.get('network');
  let network: DokodemoSettings['network'] = ['tcp'];
  if (networkNode) {
    const list = readNetworkList(ctx, networkNode);
    if (list.includes('unix')) fail('PH_CONFIG_UNSUPPORTED', networkNode, 'network "unix" is not supported by Porthole yet');
    if (list.length === 0) {
      fail('PH_CONFIG_VALUE', networkNode, 'no network specified: use "tcp", "udp" or "tcp,udp"');
    }
    network = list.filter((n): n is 'tcp' | 'udp' => n !== 'unix');
  }
  return {
    ...(address !== undefined ? { address: parseAddress(address).text } : {}),
    port: readUint(s.get('port'), 16) ?? 0,
    network,
    timeout: readUint(s.get('timeout'), 32) ?? 0,
    userLevel: readUint(s.get('userLevel'), 32) ?? 0,
  };
}
