/**
 * Settings of the transports Porthole does not speak (`kcpSettings`, `wsSettings`,
 * `httpSettings`, `dsSettings`, `quicSettings`) and `tlsSettings` while TLS is off: ignored, but
 * checked as V2Ray 4.34 checks them (`infra/conf/transport_internet.go`), since `v2ray -test`
 * refuses a config where they are wrong. Every one is type-checked; the ones V2Ray builds
 * (streamSettings' own, and `transport`'s where a stream takes them) also get its value checks:
 * the mKCP MTU and TTI ranges and the packet header `{"type": ...}`.
 */
import { fail, foldKey, readUint } from './decode.js';
import { checkGoType, lastValue, type GoType } from './go-types.js';
import type { JsonNode } from './jsonc.js';

const PACKET_HEADERS = ['none', 'srtp', 'utp', 'wechat-video', 'dtls', 'wireguard'];

const stringSlice: GoType = { list: 'string' };

const SCHEMAS = {
  kcpSettings: {
    struct: {
      mtu: 'uint32', tti: 'uint32', uplinkCapacity: 'uint32', downlinkCapacity: 'uint32', congestion: 'bool',
      readBufferSize: 'uint32', writeBufferSize: 'uint32', header: 'raw', seed: 'string',
    },
  },
  wsSettings: { struct: { path: 'string', Path: 'string', headers: { map: 'string' }, acceptProxyProtocol: 'bool' } },
  httpSettings: { struct: { host: 'stringList', path: 'string' } },
  dsSettings: { struct: { path: 'string', abstract: 'bool', padding: 'bool' } },
  quicSettings: { struct: { header: 'raw', security: 'string', key: 'string' } },
  tlsSettings: {
    struct: {
      allowInsecure: 'bool', serverName: 'string', alpn: 'stringList', enableSessionResumption: 'bool', disableSystemRoot: 'bool',
      certificates: { list: { struct: { certificateFile: 'string', certificate: stringSlice, keyFile: 'string', key: stringSlice, usage: 'string' } } },
    },
  },
} as const satisfies Record<string, GoType>;

export type IgnoredSettings = keyof typeof SCHEMAS;

/** The raw `header` as Go's `json.RawMessage` keeps it: present even when null. */
function rawHeader(node: JsonNode): JsonNode | undefined {
  if (node.kind !== 'object') return undefined;
  return [...node.members].reverse().find((member) => foldKey(member.key) === 'header')?.value;
}

/** V2Ray's `kcpHeaderLoader`: an object whose "type" (exact case) names a packet header. */
function checkPacketHeader(header: JsonNode, transport: string): void {
  const typeNode = header.kind === 'object' ? [...header.members].reverse().find((member) => member.key === 'type')?.value : undefined;
  if (typeNode === undefined) fail('PH_CONFIG_VALUE', header, `invalid ${transport} header config: an object with "type" is required, e.g. {"type": "none"}`);
  if (typeNode.kind !== 'string' && typeNode.kind !== 'null') fail('PH_CONFIG_TYPE', typeNode, `invalid ${transport} header config: "type" must be a string`);
  const type = typeNode.kind === 'string' ? typeNode.value.toLowerCase() : '';
  if (!PACKET_HEADERS.includes(type)) {
    fail('PH_CONFIG_VALUE', typeNode, `unknown ${transport} header type ${JSON.stringify(type)} (use ${PACKET_HEADERS.map((name) => JSON.stringify(name)).join(', ')})`);
  }
}

function checkRange(node: JsonNode | undefined, min: number, max: number, what: string): void {
  const value = readUint(node, 32);
  if (value !== undefined && node && (value < min || value > max)) fail('PH_CONFIG_VALUE', node, `invalid ${what} ${value}: expected ${min} to ${max}`);
}

/**
 * Checks one ignored settings object. `built`: V2Ray builds it (not only decodes it), so its
 * values are checked too.
 */
export function checkIgnoredSettings(name: IgnoredSettings, node: JsonNode, built: boolean): void {
  checkGoType(node, SCHEMAS[name]);
  if (!built || node.kind !== 'object') return;
  if (name === 'kcpSettings') {
    checkRange(lastValue(node, 'mtu'), 576, 1460, 'mKCP MTU');
    checkRange(lastValue(node, 'tti'), 10, 100, 'mKCP TTI');
  }
  if (name === 'kcpSettings' || name === 'quicSettings') {
    const header = rawHeader(node);
    if (header) checkPacketHeader(header, name === 'kcpSettings' ? 'mKCP' : 'QUIC');
  }
}
