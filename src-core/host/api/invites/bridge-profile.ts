/**
 * A bridge profile from an invite or a share link: V2Ray 4.34 JSON a bridge runs as is, in
 * Porthole or in V2Ray. The bridge dials the portal through the link's outbound (VMess or VLESS,
 * over TCP, TLS, WebSocket or WebSocket + TLS), routes the reverse domain there, and sends every
 * connection the portal hands back to `local` (freedom: to the address the portal asked for, or to
 * `redirect` when given).
 */
import type { BridgeEndpoint } from './endpoint.js';

export const BRIDGE_TAG = 'bridge';
export const LINK_OUTBOUND_TAG = 'portal-link';
export const LOCAL_OUTBOUND_TAG = 'local';

export interface BridgeProfileInput {
  readonly endpoint: BridgeEndpoint;
  /** The portal's reverse domain. */
  readonly domain: string;
  /** Where every connection goes on this machine, `host:port`; absent: where the portal says. */
  readonly redirect?: string;
  /** Said in the header comment: where the profile came from. */
  readonly source?: string;
}

type Json = Record<string, unknown>;

export function streamSettingsOf(endpoint: BridgeEndpoint): Json | undefined {
  if (endpoint.network === 'tcp' && !endpoint.tls) return undefined;
  const stream: Json = { network: endpoint.network, security: endpoint.tls ? 'tls' : 'none' };
  if (endpoint.tls) {
    stream.tlsSettings = {
      ...(endpoint.sni ? { serverName: endpoint.sni } : {}),
      ...(endpoint.alpn ? { alpn: [...endpoint.alpn] } : {}),
    };
  }
  if (endpoint.network === 'ws') {
    stream.wsSettings = {
      path: endpoint.path ?? '/',
      ...(endpoint.host ? { headers: { Host: endpoint.host } } : {}),
    };
  }
  return stream;
}

/** The link's outbound: VMess or VLESS to the portal. */
export function linkOutbound(endpoint: BridgeEndpoint, tag = LINK_OUTBOUND_TAG): Json {
  const user: Json = endpoint.protocol === 'vmess'
    ? { id: endpoint.id, alterId: endpoint.alterId ?? 0, security: 'auto' }
    : { id: endpoint.id, encryption: 'none' };
  const stream = streamSettingsOf(endpoint);
  return {
    tag,
    protocol: endpoint.protocol,
    settings: { vnext: [{ address: endpoint.address, port: endpoint.port, users: [user] }] },
    ...(stream ? { streamSettings: stream } : {}),
  };
}

export function bridgeProfileJson(input: BridgeProfileInput): Json {
  const local: Json = { tag: LOCAL_OUTBOUND_TAG, protocol: 'freedom', settings: {} };
  if (input.redirect) local.settings = { redirect: input.redirect };
  return {
    log: { loglevel: 'warning' },
    reverse: { bridges: [{ tag: BRIDGE_TAG, domain: input.domain }] },
    outbounds: [local, linkOutbound(input.endpoint)],
    routing: {
      rules: [
        { type: 'field', inboundTag: [BRIDGE_TAG], domain: [`full:${input.domain}`], outboundTag: LINK_OUTBOUND_TAG },
        { type: 'field', inboundTag: [BRIDGE_TAG], outboundTag: LOCAL_OUTBOUND_TAG },
      ],
    },
  };
}

/** The profile as a file: a comment saying where it came from, then the JSON. */
export function bridgeProfileText(input: BridgeProfileInput): string {
  const where = `${input.endpoint.protocol} to ${input.endpoint.address}:${input.endpoint.port}`;
  const header = `// Bridge made by Porthole from ${input.source ?? 'a link'} (${where}).\n`;
  return `${header}${JSON.stringify(bridgeProfileJson(input), null, 2)}\n`;
}
