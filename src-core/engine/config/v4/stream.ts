/**
 * `streamSettings` (per inbound/outbound) and the top-level `transport` section. V2Ray
 * `infra/conf/transport_internet.go` (4.34). Porthole carries VMess and VLESS connections over
 * TCP or WebSocket, each with or without TLS (`transport/internet/`); it rejects, as not supported
 * yet, the other transports (mKCP, HTTP/2, QUIC, domain sockets) and what else changes the bytes on
 * the wire or the socket (TCP HTTP header obfuscation, PROXY protocol, tproxy, SO_MARK). Settings
 * for transports that are not selected are ignored with a warning, after the checks V2Ray makes on
 * them (`transport-settings.ts`).
 */
import type { StreamSettings, TlsCertificate, TlsSettings, WebSocketSettings } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, absentNode, fail, foldKey, readArray, readBool, readInt, readString, readStringList, record, warn } from './decode.js';
import { goField, lastValue } from './go-types.js';
import type { JsonNode } from './jsonc.js';
import { buildLinkAcme } from './acme.js';
import { hostnameProblem } from '../../common/hostname.js';
import { checkIgnoredSettings } from './transport-settings.js';

const OTHER_TRANSPORT_SETTINGS = ['kcpSettings', 'wsSettings', 'httpSettings', 'dsSettings', 'quicSettings'] as const;

const TRANSPORTS: Record<string, string> = {
  tcp: 'tcp', kcp: 'mkcp', mkcp: 'mkcp', ws: 'websocket', websocket: 'websocket',
  h2: 'http', http: 'http', ds: 'domainsocket', domainsocket: 'domainsocket', quic: 'quic',
};

/** Protocols whose handlers dial or listen through `transport/internet` (the others only speak plain TCP). */
const STREAM_PROTOCOLS: readonly string[] = ['vmess', 'vless'];

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
function ignoreOthers(ctx: BuildContext, s: Struct, built: (name: string) => boolean, used: string | undefined): void {
  for (const name of OTHER_TRANSPORT_SETTINGS) {
    const node = s.get(name);
    if (!node || name === used) continue;
    checkIgnoredSettings(name, node, built(name));
    warn(ctx, node, `${name} is ignored: this stream does not use that transport`);
  }
}

/** 4.34 `readFileOrString`: a file name wins over inline lines, which are joined with "\n". */
function readPemSource(entry: Struct, fileField: string, inlineField: string): { file?: string; inline?: string } {
  const file = readString(entry.get(fileField)) ?? '';
  if (file !== '') return { file };
  const lines = readArray(entry.get(inlineField))?.map((line) => (line.kind === 'null' ? '' : readString(line) ?? '')) ?? [];
  return lines.length > 0 ? { inline: lines.join('\n') } : {};
}

function buildCertificate(ctx: BuildContext, node: JsonNode): TlsCertificate {
  const entry = new Struct(ctx, node, ['certificateFile', 'certificate', 'keyFile', 'key', 'usage']);
  const usageNode = entry.get('usage');
  const usageText = (readString(usageNode) ?? '').toLowerCase();
  if (usageText === 'issue' && usageNode) fail('PH_CONFIG_UNSUPPORTED', usageNode, 'certificate usage "issue" (issuing certificates on the fly) is not supported by Porthole yet');
  // 4.34: anything other than "verify" or "issue" means encipherment.
  const usage = usageText === 'verify' ? 'verify' : 'encipherment';
  const cert = readPemSource(entry, 'certificateFile', 'certificate');
  if (cert.file === undefined && cert.inline === undefined) {
    fail('PH_CONFIG_VALUE', node, 'failed to parse certificate: give "certificateFile" or "certificate" (both are empty)');
  }
  const key = readPemSource(entry, 'keyFile', 'key');
  const certificate: TlsCertificate = {
    usage,
    ...(cert.file !== undefined ? { certificateFile: cert.file } : { certificate: cert.inline as string }),
    ...(key.file !== undefined ? { keyFile: key.file } : key.inline !== undefined ? { key: key.inline } : {}),
  };
  // transport/internet/tls reads the files; its errors point back here.
  return record(ctx, certificate, node, { certificateFile: entry.get('certificateFile'), keyFile: entry.get('keyFile') });
}

function buildTlsSettings(ctx: BuildContext, stream: JsonNode, node: JsonNode | undefined, role: 'inbound' | 'outbound', securityNode: JsonNode): TlsSettings {
  if (node) checkIgnoredSettings('tlsSettings', node, true);
  const s = new Struct(ctx, node ?? absentNode(stream, 'tlsSettings'), ['allowInsecure', 'certificates', 'serverName', 'alpn', 'enableSessionResumption', 'disableSystemRoot', 'acme']);
  const serverName = readString(s.get('serverName')) ?? '';
  const alpn = (readStringList(s.get('alpn')) ?? []).map((entry) => entry.value);
  const certificatesNode = s.get('certificates');
  const certificates = (readArray(certificatesNode) ?? []).map((item) => buildCertificate(ctx, item));
  const acmeNode = s.get('acme');
  const acme = acmeNode ? buildLinkAcme(ctx, acmeNode) : undefined;
  if (acmeNode && role === 'outbound') fail('PH_CONFIG_VALUE', acmeNode, 'acme is for a TLS inbound (it gets the server\'s certificate); an outbound checks the certificate it is shown');
  if (acmeNode && serverName === '') fail('PH_CONFIG_VALUE', acmeNode, 'acme needs "serverName" beside it: the DNS name to get the certificate for, e.g. "vps.example.com"');
  const hostnameIssue = acme ? hostnameProblem(serverName) : undefined;
  if (hostnameIssue) fail('PH_CONFIG_VALUE', s.get('serverName') ?? node ?? securityNode, `serverName ${JSON.stringify(serverName)} cannot get a certificate through ACME: ${hostnameIssue}`);
  if (role === 'inbound' && !acme) {
    const own = certificates.filter((certificate) => certificate.usage === 'encipherment');
    if (own.length === 0) {
      fail('PH_CONFIG_VALUE', certificatesNode ?? node ?? securityNode, 'a TLS inbound needs a certificate with usage "encipherment" and its key (e.g. {"certificateFile": "cert.pem", "keyFile": "key.pem"}), or Porthole\'s "acme": {} beside "serverName"');
    }
    const keyless = own.findIndex((certificate) => certificate.keyFile === undefined && certificate.key === undefined);
    if (keyless >= 0) fail('PH_CONFIG_VALUE', (certificatesNode as JsonNode & { kind: 'array' }).items[keyless]!, 'a certificate with usage "encipherment" needs its key ("keyFile" or "key")');
  }
  return {
    ...(serverName !== '' ? { serverName } : {}),
    ...(alpn.length > 0 ? { alpn } : {}),
    allowInsecure: readBool(s.get('allowInsecure')) ?? false,
    disableSystemRoot: readBool(s.get('disableSystemRoot')) ?? false,
    enableSessionResumption: readBool(s.get('enableSessionResumption')) ?? false,
    certificates,
    ...(acme ? { acme } : {}),
  };
}

/** 4.34 `WebSocketConfig`: `path`, its old spelling `Path` (used when `path` is empty), `headers`. */
function buildWebSocketSettings(node: JsonNode | undefined): WebSocketSettings {
  if (node === undefined) return { path: '/', headers: {} };
  checkIgnoredSettings('wsSettings', node, true);
  if (node.kind !== 'object') return { path: '/', headers: {} };
  const fields = ['path', 'Path', 'headers', 'acceptProxyProtocol'];
  let path = '';
  let path2 = '';
  const headers: Record<string, string> = {};
  for (const member of node.members) {
    const field = goField(fields, member.key);
    const value = member.value;
    if (field === 'path' && value.kind === 'string') path = value.value;
    else if (field === 'Path' && value.kind === 'string') path2 = value.value;
    else if (field === 'headers' && value.kind === 'object') {
      for (const header of value.members) headers[header.key] = header.value.kind === 'string' ? header.value.value : '';
    } else if (field === 'acceptProxyProtocol' && value.kind === 'boolean' && value.value) {
      fail('PH_CONFIG_UNSUPPORTED', value, 'acceptProxyProtocol is not supported by Porthole yet');
    }
  }
  const chosen = path === '' ? path2 : path;
  // transport/internet/websocket `GetNormalizedPath`.
  return { path: chosen === '' ? '/' : chosen.startsWith('/') ? chosen : `/${chosen}`, headers };
}

/**
 * Builds an inbound's or outbound's `streamSettings`; undefined when it means plain TCP.
 * `protocol`: the handler's, since only some dial and listen through the transport layer.
 */
export function buildStreamSettings(ctx: BuildContext, node: JsonNode | undefined, role: 'inbound' | 'outbound', protocol: string): StreamSettings | undefined {
  if (node === undefined) return undefined;
  const s = new Struct(ctx, node, [
    'network', 'security', 'tlsSettings', 'tcpSettings', ...OTHER_TRANSPORT_SETTINGS, 'sockopt',
  ]);
  const networkNode = s.get('network');
  const networkText = readString(networkNode);
  let network: StreamSettings['network'] = 'tcp';
  if (networkText !== undefined && networkNode) {
    const transport = TRANSPORTS[networkText.toLowerCase()];
    if (transport === undefined) fail('PH_CONFIG_VALUE', networkNode, `unknown transport protocol ${JSON.stringify(networkText)} (use "tcp" or "ws")`);
    if (transport !== 'tcp' && transport !== 'websocket') fail('PH_CONFIG_UNSUPPORTED', networkNode, `transport "${transport}" is not supported by Porthole yet (only "tcp" and "ws")`);
    network = transport;
  }
  const securityNode = s.get('security');
  const securityText = readString(securityNode) ?? '';
  const security = securityText.toLowerCase() === 'tls' ? 'tls' : 'none';
  if (securityText !== '' && security === 'none' && securityText.toLowerCase() !== 'none' && securityNode) {
    warn(ctx, securityNode, `security ${JSON.stringify(securityText)} means none (V2Ray only knows "tls")`);
  }
  const tlsSettingsNode = s.get('tlsSettings');
  let tls: TlsSettings | undefined;
  if (security === 'tls') tls = buildTlsSettings(ctx, node, tlsSettingsNode, role, securityNode ?? node);
  else if (tlsSettingsNode) {
    checkIgnoredSettings('tlsSettings', tlsSettingsNode, false);
    warn(ctx, tlsSettingsNode, 'tlsSettings is ignored: TLS is off');
  }
  checkTcpSettings(ctx, s.get('tcpSettings'));
  const ws = network === 'websocket' ? buildWebSocketSettings(s.get('wsSettings')) : undefined;
  ignoreOthers(ctx, s, () => true, network === 'websocket' ? 'wsSettings' : undefined);
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
  if (network === 'tcp' && security === 'none') return undefined;
  if (!STREAM_PROTOCOLS.includes(protocol)) {
    const what = network === 'websocket' ? 'WebSocket' : 'TLS';
    fail('PH_CONFIG_UNSUPPORTED', (network === 'websocket' ? networkNode : securityNode) ?? node, `${what} on a "${protocol}" ${role} is not supported by Porthole yet (only on ${STREAM_PROTOCOLS.map((name) => `"${name}"`).join(' and ')})`);
  }
  return { network, security, ...(tls ? { tls } : {}), ...(ws ? { ws } : {}) };
}

/**
 * Checks the top-level `transport` section (defaults for every stream). `streams`: each inbound's
 * and outbound's `streamSettings` (undefined when it has none). V2Ray builds a transport default
 * only as part of a stream without its own settings of that kind, and never `quicSettings`
 * (4.34 `applyTransportConfig`); otherwise it only decodes it. A WebSocket stream would take
 * `transport.wsSettings` as its own, which Porthole does not do yet: an error, not a silent "/".
 */
export function checkTransport(ctx: BuildContext, node: JsonNode | undefined, streams: readonly (JsonNode | undefined)[]): void {
  if (node === undefined) return;
  const s = new Struct(ctx, node, ['tcpSettings', ...OTHER_TRANSPORT_SETTINGS]);
  checkTcpSettings(ctx, s.get('tcpSettings'));
  const wsDefault = s.get('wsSettings');
  if (wsDefault) {
    const takers = streams.filter((stream) => lastValue(stream, 'wsSettings') === undefined && TRANSPORTS[(readString(lastValue(stream, 'network')) ?? '').toLowerCase()] === 'websocket');
    if (takers.length > 0) fail('PH_CONFIG_UNSUPPORTED', wsDefault, 'transport.wsSettings as the default of WebSocket streams is not supported by Porthole yet: put "wsSettings" in each streamSettings');
  }
  ignoreOthers(ctx, s, (name) => name !== 'quicSettings' && streams.some((stream) => lastValue(stream, name) === undefined), undefined);
}

/** The inverse of `buildStreamSettings`, for `exportV2RayConfig`. */
export function exportStreamSettings(stream: StreamSettings): Record<string, unknown> {
  const tls = stream.tls;
  return {
    network: stream.network === 'websocket' ? 'ws' : 'tcp',
    security: stream.security,
    ...(tls ? {
      tlsSettings: {
        ...(tls.serverName !== undefined ? { serverName: tls.serverName } : {}),
        ...(tls.alpn ? { alpn: [...tls.alpn] } : {}),
        allowInsecure: tls.allowInsecure,
        disableSystemRoot: tls.disableSystemRoot,
        enableSessionResumption: tls.enableSessionResumption,
        certificates: tls.certificates.map((c) => ({
          usage: c.usage,
          ...(c.certificateFile !== undefined ? { certificateFile: c.certificateFile } : { certificate: (c.certificate ?? '').split('\n') }),
          ...(c.keyFile !== undefined ? { keyFile: c.keyFile } : c.key !== undefined ? { key: c.key.split('\n') } : {}),
        })),
      },
    } : {}),
    ...(stream.ws ? { wsSettings: { path: stream.ws.path, headers: { ...stream.ws.headers } } } : {}),
  };
}
