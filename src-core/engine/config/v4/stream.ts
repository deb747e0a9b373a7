/**
 * `streamSettings` (per inbound/outbound) and the top-level `transport` section. V2Ray
 * `infra/conf/transport_internet.go`. Porthole speaks plain TCP only, so this builds nothing: it
 * accepts what means plain TCP and rejects, as not supported yet, anything that changes the
 * bytes on the wire or the socket (TLS, other transports, TCP HTTP header obfuscation, PROXY
 * protocol, tproxy, SO_MARK). Settings for transports that are not selected are ignored with a
 * warning, after the checks V2Ray makes on them (`transport-settings.ts`).
 */
import type { BuildContext } from './decode.js';
import { Struct, fail, foldKey, readBool, readInt, readString, warn } from './decode.js';
import { lastValue } from './go-types.js';
import type { JsonNode } from './jsonc.js';
import { checkIgnoredSettings } from './transport-settings.js';

const OTHER_TRANSPORT_SETTINGS = ['kcpSettings', 'wsSettings', 'httpSettings', 'dsSettings', 'quicSettings'] as const;

const TRANSPORTS: Record<string, string> = {
  tcp: 'tcp', kcp: 'mkcp', mkcp: 'mkcp', ws: 'websocket', websocket: 'websocket',
  h2: 'http', http: 'http', ds: 'domainsocket', domainsocket: 'domainsocket', quic: 'quic',
};

function checkTcpSettings(ctx: BuildContext, node: JsonNode | undefined): void {
  if (node === undefined) return;
  const tcp = new Struct(ctx, node, ['header', 'acceptProxyProtocol']);
  if (readBool(tcp.get('acceptProxyProtocol'))) {
    fail('PH_CONFIG_UNSUPPORTED', tcp.get('acceptProxyProtocol') as JsonNode, 'acceptProxyProtocol is not supported by Porthole yet');
  }
  // V2Ray reads `header` raw: even null must be an object with a "type" key (exact case).
  const header = node.kind === 'object' ? [...node.members].reverse().find((m) => foldKey(m.key) === 'header')?.value : undefined;
  if (header === undefined) return;
  const typeNode = header.kind === 'object' ? [...header.members].reverse().find((m) => m.key === 'type')?.value : undefined;
  if (typeNode === undefined) fail('PH_CONFIG_VALUE', header, 'invalid TCP header config: an object with "type" is required, e.g. {"type": "none"}');
  const type = (readString(typeNode) ?? '').toLowerCase();
  if (type === 'none') return;
  if (type === 'http') fail('PH_CONFIG_UNSUPPORTED', typeNode, 'the TCP "http" header is not supported by Porthole yet (use {"type": "none"})');
  fail('PH_CONFIG_VALUE', typeNode, `unknown TCP header type ${JSON.stringify(type)} (use "none" or "http")`);
}

/** `built(name)`: whether V2Ray builds those settings (then their values are checked too). */
function ignoreOthers(ctx: BuildContext, s: Struct, built: (name: string) => boolean): void {
  for (const name of OTHER_TRANSPORT_SETTINGS) {
    const node = s.get(name);
    if (!node) continue;
    checkIgnoredSettings(name, node, built(name));
    warn(ctx, node, `${name} is ignored: Porthole only speaks plain TCP`);
  }
}

/** Checks an inbound's or outbound's `streamSettings`. */
export function checkStreamSettings(ctx: BuildContext, node: JsonNode | undefined): void {
  if (node === undefined) return;
  const s = new Struct(ctx, node, [
    'network', 'security', 'tlsSettings', 'tcpSettings', ...OTHER_TRANSPORT_SETTINGS, 'sockopt',
  ]);
  const networkNode = s.get('network');
  const network = readString(networkNode);
  if (network !== undefined && networkNode) {
    const transport = TRANSPORTS[network.toLowerCase()];
    if (transport === undefined) fail('PH_CONFIG_VALUE', networkNode, `unknown transport protocol ${JSON.stringify(network)} (use "tcp")`);
    if (transport !== 'tcp') fail('PH_CONFIG_UNSUPPORTED', networkNode, `transport "${transport}" is not supported by Porthole yet (only "tcp")`);
  }
  const securityNode = s.get('security');
  const security = readString(securityNode) ?? '';
  if (security.toLowerCase() === 'tls' && securityNode) fail('PH_CONFIG_UNSUPPORTED', securityNode, 'TLS is not supported by Porthole yet');
  if (security !== '' && security.toLowerCase() !== 'none' && securityNode) {
    warn(ctx, securityNode, `security ${JSON.stringify(security)} means none (V2Ray only knows "tls")`);
  }
  const tlsSettings = s.get('tlsSettings');
  if (tlsSettings) {
    checkIgnoredSettings('tlsSettings', tlsSettings, false);
    warn(ctx, tlsSettings, 'tlsSettings is ignored: TLS is off');
  }
  checkTcpSettings(ctx, s.get('tcpSettings'));
  ignoreOthers(ctx, s, () => true);
  const sockoptNode = s.get('sockopt');
  if (sockoptNode) {
    const sockopt = new Struct(ctx, sockoptNode, ['mark', 'tcpFastOpen', 'tproxy', 'acceptProxyProtocol']);
    const mark = readInt(sockopt.get('mark'), 32) ?? 0;
    if (mark !== 0) fail('PH_CONFIG_UNSUPPORTED', sockopt.get('mark') as JsonNode, 'sockopt.mark (SO_MARK) is not supported by Porthole yet');
    const tproxy = (readString(sockopt.get('tproxy')) ?? '').toLowerCase();
    if (tproxy === 'tproxy' || tproxy === 'redirect') fail('PH_CONFIG_UNSUPPORTED', sockopt.get('tproxy') as JsonNode, 'sockopt.tproxy is not supported by Porthole yet');
    if (readBool(sockopt.get('acceptProxyProtocol'))) fail('PH_CONFIG_UNSUPPORTED', sockopt.get('acceptProxyProtocol') as JsonNode, 'acceptProxyProtocol is not supported by Porthole yet');
    if (readBool(sockopt.get('tcpFastOpen')) !== undefined) warn(ctx, sockopt.get('tcpFastOpen') as JsonNode, 'tcpFastOpen is ignored by Porthole');
  }
}

/**
 * Checks the top-level `transport` section (defaults for every stream). `streams`: each inbound's
 * and outbound's `streamSettings` (undefined when it has none). V2Ray builds a transport default
 * only as part of a stream without its own settings of that kind, and never `quicSettings`
 * (4.34 `applyTransportConfig`); otherwise it only decodes it.
 */
export function checkTransport(ctx: BuildContext, node: JsonNode | undefined, streams: readonly (JsonNode | undefined)[]): void {
  if (node === undefined) return;
  const s = new Struct(ctx, node, ['tcpSettings', ...OTHER_TRANSPORT_SETTINGS]);
  checkTcpSettings(ctx, s.get('tcpSettings'));
  ignoreOthers(ctx, s, (name) => name !== 'quicSettings' && streams.some((stream) => lastValue(stream, name) === undefined));
}
