/**
 * Standard share links read as a bridge's outbound:
 *
 * - `vmess://<base64 JSON>` in v2rayN's format (version 2): `{"v":"2","ps":name,"add":address,
 *   "port":port,"id":uuid,"aid":alterId,"net":"tcp"|"ws","type":"none","host":ws Host,
 *   "path":ws path,"tls":"tls"|"","sni":..,"alpn":"h2,http/1.1"}`; numbers may come as strings,
 *   base64 standard or URL-safe, padded or not.
 * - `vless://<uuid>@<host>:<port>?type=tcp|ws&security=none|tls&sni=&path=&host=&encryption=none#name`.
 *
 * Only what Porthole's engine carries is accepted (TCP or WebSocket, with or without TLS); kcp,
 * grpc, h2, quic, XTLS flows and REALITY are refused by name rather than dropped.
 */
import { badLink, checkedAddress, checkedHostName, checkedId, checkedPath, checkedPort, type BridgeEndpoint, type LinkNetwork } from './endpoint.js';

export interface SharedEndpoint {
  readonly endpoint: BridgeEndpoint;
  /** The link's name (`ps` / the `#fragment`), when it has one. */
  readonly name?: string;
}

export function isShareLink(text: string): boolean {
  return /^(vmess|vless):\/\//i.test(text.trim());
}

export function decodeShareLink(text: string): SharedEndpoint {
  const trimmed = text.trim();
  if (/^vmess:\/\//i.test(trimmed)) return decodeVmessLink(trimmed);
  if (/^vless:\/\//i.test(trimmed)) return decodeVlessLink(trimmed);
  badLink('share link', 'is not a vmess:// or vless:// link');
}

function networkOf(kind: string, value: string | undefined): LinkNetwork {
  const network = (value ?? '').toLowerCase() || 'tcp';
  if (network === 'tcp' || network === 'ws') return network;
  if (network === 'websocket') return 'ws';
  badLink(kind, `transport "${value}" is not supported (Porthole carries tcp or ws)`);
}

function alpnOf(value: string | undefined): readonly string[] | undefined {
  const list = (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

export function decodeVmessLink(link: string): SharedEndpoint {
  const kind = 'vmess link';
  const body = link.slice('vmess://'.length).trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(body)) badLink(kind, 'is not base64 after vmess:// (v2rayN format expected)');
  let json: unknown;
  try {
    const base64 = body.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (char) => char.charCodeAt(0));
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    badLink(kind, 'does not hold JSON (v2rayN format expected)');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) badLink(kind, 'does not hold a JSON object');
  const fields = json as Record<string, unknown>;
  const version = text(fields.v);
  if (version !== undefined && version !== '2') badLink(kind, `format version "${version}" is not 2`);
  const network = networkOf(kind, text(fields.net));
  const headerType = (text(fields.type) ?? '').toLowerCase();
  if (headerType && headerType !== 'none') badLink(kind, `header type "${headerType}" is not supported (only none)`);
  const tls = (text(fields.tls) ?? '').toLowerCase();
  if (tls !== '' && tls !== 'tls' && tls !== 'none') badLink(kind, `security "${tls}" is not supported (tls or none)`);
  const aidText = text(fields.aid) ?? '0';
  const alterId = /^\d{1,5}$/.test(aidText.trim()) ? Number(aidText) : NaN;
  if (!(alterId <= 65535)) badLink(kind, `alterId "${aidText}" is not a number`);
  const cipher = (text(fields.scy) ?? '').toLowerCase();
  if (cipher && !['auto', 'aes-128-gcm', 'chacha20-poly1305', 'none', 'zero'].includes(cipher)) badLink(kind, `security "${cipher}" is not a VMess cipher`);
  const sni = checkedHostName(kind, 'sni', text(fields.sni));
  const alpn = alpnOf(text(fields.alpn));
  const path = network === 'ws' ? checkedPath(kind, text(fields.path)) : undefined;
  const host = network === 'ws' ? checkedHostName(kind, 'host', text(fields.host)?.split(',')[0]?.trim()) : undefined;
  const name = text(fields.ps)?.trim();
  const endpoint: BridgeEndpoint = {
    protocol: 'vmess',
    address: checkedAddress(kind, text(fields.add)),
    port: checkedPort(kind, text(fields.port)),
    id: checkedId(kind, text(fields.id)),
    alterId,
    network,
    tls: tls === 'tls',
    ...(tls === 'tls' && sni ? { sni } : {}),
    ...(tls === 'tls' && alpn ? { alpn } : {}),
    ...(path ? { path } : {}),
    ...(host ? { host } : {}),
  };
  return { endpoint, ...(name ? { name } : {}) };
}

export function decodeVlessLink(link: string): SharedEndpoint {
  const kind = 'vless link';
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    badLink(kind, 'is not a well-formed URL (expected vless://uuid@host:port?...)');
  }
  const params = url.searchParams;
  const get = (key: string): string | undefined => params.get(key) ?? undefined;
  const encryption = (get('encryption') ?? 'none').toLowerCase();
  if (encryption !== 'none') badLink(kind, `encryption "${encryption}" is not supported (VLESS uses none)`);
  const flow = get('flow');
  if (flow) badLink(kind, `flow "${flow}" (XTLS) is not supported`);
  const security = (get('security') ?? 'none').toLowerCase();
  if (security !== 'none' && security !== 'tls' && security !== '') badLink(kind, `security "${security}" is not supported (tls or none)`);
  const network = networkOf(kind, get('type'));
  const headerType = (get('headerType') ?? 'none').toLowerCase();
  if (headerType !== 'none') badLink(kind, `header type "${headerType}" is not supported (only none)`);
  const tls = security === 'tls';
  const sni = tls ? checkedHostName(kind, 'sni', get('sni') ?? get('peer')) : undefined;
  const alpn = tls ? alpnOf(get('alpn')) : undefined;
  const path = network === 'ws' ? checkedPath(kind, get('path')) : undefined;
  const host = network === 'ws' ? checkedHostName(kind, 'host', get('host')) : undefined;
  let name: string | undefined;
  try {
    name = decodeURIComponent(url.hash.replace(/^#/, '')).trim() || undefined;
  } catch {
    name = undefined;
  }
  const endpoint: BridgeEndpoint = {
    protocol: 'vless',
    address: checkedAddress(kind, url.hostname),
    port: checkedPort(kind, url.port || undefined),
    id: checkedId(kind, decodeURIComponent(url.username)),
    network,
    tls,
    ...(sni ? { sni } : {}),
    ...(alpn ? { alpn } : {}),
    ...(path ? { path } : {}),
    ...(host ? { host } : {}),
  };
  return { endpoint, ...(name ? { name } : {}) };
}
