/**
 * The `porthole://` invite link: everything a bridge needs to join a portal, in one line a
 * person can paste or scan.
 *
 *   porthole://join?v=1&proto=vmess&addr=vps.example.com&port=443&id=<uuid>&domain=<reverse domain>
 *     &net=ws&tls=1&sni=vps.example.com&path=%2Fporthole&host=vps.example.com&name=alice
 *
 * `v` is the format version (this reader knows 1 and refuses newer ones, so a later format can
 * change meaning safely). Required: v, proto (vmess|vless), addr, port, id, domain. Optional: net
 * (tcp, the default, or ws), tls (1 or 0), sni, path and host (ws only), name (who the invite is
 * for; the joining side's profile name). Anything else, or a parameter given twice, is refused:
 * a link that says more than this reader understands must not quietly lose it.
 */
import { badLink, checkedAddress, checkedHostName, checkedId, checkedPath, checkedPort, type BridgeEndpoint } from './endpoint.js';

export const INVITE_SCHEME = 'porthole:';
export const INVITE_VERSION = 1;
const KIND = 'invite link';
const KNOWN = new Set(['v', 'proto', 'addr', 'port', 'id', 'domain', 'net', 'tls', 'sni', 'path', 'host', 'name']);
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@-]{0,63}$/u;

export interface Invite {
  readonly endpoint: BridgeEndpoint;
  /** The reverse domain the portal's `reverse.portals[].domain` says. */
  readonly domain: string;
  /** Who the invite is for (the portal's client `email`). */
  readonly name?: string;
}

/** True for text that looks like an invite link (the UI's paste box chooses a reader with it). */
export function isInviteLink(text: string): boolean {
  return text.trim().toLowerCase().startsWith('porthole://');
}

export function encodeInvite(invite: Invite): string {
  const { endpoint } = invite;
  const params = new URLSearchParams({
    v: String(INVITE_VERSION),
    proto: endpoint.protocol,
    addr: endpoint.address,
    port: String(endpoint.port),
    id: endpoint.id,
    domain: invite.domain,
  });
  if (endpoint.network !== 'tcp') params.set('net', endpoint.network);
  if (endpoint.tls) params.set('tls', '1');
  if (endpoint.sni) params.set('sni', endpoint.sni);
  if (endpoint.path) params.set('path', endpoint.path);
  if (endpoint.host) params.set('host', endpoint.host);
  if (invite.name) params.set('name', invite.name);
  const link = `porthole://join?${params.toString()}`;
  decodeInvite(link); // what we hand out must read back
  return link;
}

export function decodeInvite(text: string): Invite {
  const trimmed = text.trim();
  if (!isInviteLink(trimmed)) badLink(KIND, 'does not start with porthole://');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    badLink(KIND, 'is not a well-formed URL (was it cut short when copied?)');
  }
  if (url.hostname !== 'join' || (url.pathname !== '' && url.pathname !== '/')) badLink(KIND, `"${url.hostname}${url.pathname}" is not "join"`);
  const values = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!KNOWN.has(key)) badLink(KIND, `unknown parameter "${key}"`);
    if (values.has(key)) badLink(KIND, `parameter "${key}" is given twice`);
    values.set(key, value);
  }
  const version = values.get('v');
  if (version === undefined) badLink(KIND, 'the version (v=) is missing');
  if (!/^\d+$/.test(version)) badLink(KIND, `version "${version}" is not a number`);
  if (Number(version) !== INVITE_VERSION) {
    badLink(KIND, Number(version) > INVITE_VERSION ? `version ${version} is newer than this Porthole reads (${INVITE_VERSION}); update Porthole` : `version ${version} is not known`);
  }
  const protocol = values.get('proto');
  if (protocol !== 'vmess' && protocol !== 'vless') badLink(KIND, protocol ? `protocol "${protocol}" is not vmess or vless` : 'the protocol (proto=) is missing');
  const network = values.get('net') ?? 'tcp';
  if (network !== 'tcp' && network !== 'ws') badLink(KIND, `transport "${network}" is not tcp or ws`);
  const tlsValue = values.get('tls') ?? '0';
  if (tlsValue !== '0' && tlsValue !== '1') badLink(KIND, `tls "${tlsValue}" is not 1 or 0`);
  const domain = values.get('domain');
  if (!domain) badLink(KIND, 'the reverse domain (domain=) is missing');
  checkedHostName(KIND, 'reverse domain', domain);
  const name = values.get('name');
  if (name !== undefined && !NAME.test(name)) badLink(KIND, `name "${name}" has characters a name cannot have`);
  if (network === 'tcp' && (values.has('path') || values.has('host'))) badLink(KIND, 'path and host only go with net=ws');
  if (tlsValue === '0' && values.has('sni')) badLink(KIND, 'sni only goes with tls=1');

  const sni = checkedHostName(KIND, 'sni', values.get('sni'));
  const path = checkedPath(KIND, values.get('path'));
  const host = checkedHostName(KIND, 'host', values.get('host'));
  const endpoint: BridgeEndpoint = {
    protocol,
    address: checkedAddress(KIND, values.get('addr')),
    port: checkedPort(KIND, values.get('port')),
    id: checkedId(KIND, values.get('id')),
    network,
    tls: tlsValue === '1',
    ...(sni ? { sni } : {}),
    ...(path ? { path } : {}),
    ...(host ? { host } : {}),
  };
  return { endpoint, domain, ...(name ? { name } : {}) };
}

