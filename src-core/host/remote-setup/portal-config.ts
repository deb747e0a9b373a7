/**
 * What the server runs and what this machine dials, as one plan: the transport, ports and a fresh
 * user id, then the portal config (made by Server setup's `serverSetup`, the "Porthole headless"
 * config, from the very bridge profile the invites code writes) and that bridge profile. Pure.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import type { RemoteSetupRequest, RemoteSetupTransport } from '../api/index.js';
import { bridgeProfileJson } from '../api/invites/bridge-profile.js';
import type { BridgeEndpoint } from '../api/invites/endpoint.js';
import { DEFAULT_ACME_STORAGE, loadConfig } from '../../engine/config/index.js';
import { SETUP_DEFAULT_PATH, SETUP_EXPOSURE_RANGE, serverSetup } from '../service/server-setup.js';
import { parseRange } from './system-check.js';

/** The reverse domain bridge and portal agree on (any name works; it never reaches DNS). */
export const REVERSE_DOMAIN = 'porthole.reverse.internal';
export const DEFAULT_LINK_PORT = 10086;
export const DEFAULT_TLS_LINK_PORT = 443;

export interface PortalPlan {
  host: string;
  transport: RemoteSetupTransport;
  linkPort: number;
  range: [number, number];
  /** The bridge's user id on the portal (fresh for each setup). */
  id: string;
  domain?: string;
  /** WebSocket path, for 'ws-tls'. */
  path?: string;
  certificateFile?: string;
  keyFile?: string;
  /** TLS without files: the portal's ACME settings (HTTP-01 on `httpPort`). */
  acme?: { email?: string; directory?: string; caFile?: string; httpPort: number };
  profile: string;
}

/** Where ACME CAs validate HTTP-01. */
export const ACME_CHALLENGE_PORT = 80;

/** Checks a request and fills in the defaults; throws one line naming what to change. */
export function planPortal(request: RemoteSetupRequest, id: string = randomUUID()): PortalPlan {
  const transport = request.transport ?? (request.domain ? 'tls' : 'tcp');
  const tls = transport !== 'tcp';
  if (tls && !request.domain) throw new Error(`transport ${transport} needs the server's domain (the name on its certificate), e.g. vps.example.com`);
  const files = request.certificateFile !== undefined || request.keyFile !== undefined;
  if (tls && files && (!request.certificateFile || !request.keyFile)) throw new Error('give both the certificate file and its key file on the server, or neither (the portal then gets a certificate through ACME)');
  if (request.acme && (!tls || files)) throw new Error(tls ? 'acme is for TLS without certificate files: give the files or acme, not both' : 'acme needs transport tls or ws-tls');
  const acme = tls && !files ? { ...request.acme, httpPort: request.acme?.httpPort ?? ACME_CHALLENGE_PORT } : undefined;
  const linkPort = request.linkPort ?? (tls ? DEFAULT_TLS_LINK_PORT : DEFAULT_LINK_PORT);
  const range = parseRange(request.exposureRange ?? SETUP_EXPOSURE_RANGE);
  if (linkPort >= range[0] && linkPort <= range[1]) throw new Error(`the link port ${linkPort} is inside the exposure range ${range[0]}-${range[1]}: pick one outside it`);
  if (acme && acme.httpPort === linkPort) throw new Error(`the link port ${linkPort} is the port the CA checks for HTTP-01: pick another link port (443 is usual)`);
  if (acme && acme.httpPort >= range[0] && acme.httpPort <= range[1]) throw new Error(`the exposure range ${range[0]}-${range[1]} includes port ${acme.httpPort}, where the CA checks for HTTP-01: pick a range outside it`);
  return {
    host: request.host.replace(/^\[(.*)\]$/, '$1'),
    transport,
    linkPort,
    range,
    id,
    ...(request.domain ? { domain: request.domain } : {}),
    ...(transport === 'ws-tls' ? { path: SETUP_DEFAULT_PATH } : {}),
    ...(tls && files ? { certificateFile: request.certificateFile, keyFile: request.keyFile } : {}),
    ...(acme ? { acme } : {}),
    profile: request.profileName ?? `server ${request.host}`,
  };
}

function endpointOf(plan: PortalPlan): BridgeEndpoint {
  return {
    protocol: 'vmess',
    address: plan.host,
    port: plan.linkPort,
    id: plan.id,
    alterId: 0,
    network: plan.transport === 'ws-tls' ? 'ws' : 'tcp',
    tls: plan.transport !== 'tcp',
    ...(plan.domain && plan.transport !== 'tcp' ? { sni: plan.domain } : {}),
    ...(plan.path ? { path: plan.path } : {}),
    ...(plan.transport === 'ws-tls' && plan.domain && plan.domain !== plan.host ? { host: plan.domain } : {}),
  };
}

/**
 * A certificate the bridge must trust by itself: a self-signed one (no public CA vouches for it).
 * One a CA issued is checked against the system roots, so renewals need no new profile.
 */
export function selfSignedPem(pem: string): string | undefined {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!match) return undefined;
  try {
    const certificate = new X509Certificate(match[0]);
    return certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey) ? match[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The bridge profile this machine activates: VMess to host:linkPort, trusting `trustPem` when given. */
export function bridgeProfileFor(plan: PortalPlan, trustPem?: string): string {
  const json = bridgeProfileJson({ endpoint: endpointOf(plan), domain: REVERSE_DOMAIN }) as { outbounds: Array<{ streamSettings?: { tlsSettings?: Record<string, unknown> } }> };
  const tlsSettings = json.outbounds[1]?.streamSettings?.tlsSettings;
  if (trustPem && tlsSettings) tlsSettings.certificates = [{ usage: 'verify', certificate: trustPem.trim().split('\n') }];
  const over = { tcp: 'over TCP', tls: `over TLS for ${plan.domain}`, 'ws-tls': `over WebSocket + TLS for ${plan.domain}` }[plan.transport];
  return `// Bridge made by Porthole's "Set up my server" for ${plan.host}:${plan.linkPort} (VMess ${over}).\n${JSON.stringify(json, null, 2)}\n`;
}

type Json = Record<string, unknown>;

/**
 * The portal's config: Server setup's Porthole headless config with this plan's range (and
 * WebSocket); with `plan.acme`, the link's certificate comes through ACME, kept in `acmeStorage`.
 */
export function portalConfigFor(plan: PortalPlan, acmeStorage = DEFAULT_ACME_STORAGE): string {
  const bridge = loadConfig([{ name: `${plan.profile}.json`, text: bridgeProfileFor(plan) }]);
  const setup = serverSetup(plan.profile, bridge, [], {
    transport: plan.transport === 'tcp' ? 'tcp' : 'tls',
    port: plan.linkPort,
    ...(plan.domain && plan.transport !== 'tcp' ? { serverName: plan.domain } : {}),
    ...(plan.certificateFile ? { certificateFile: plan.certificateFile } : {}),
    ...(plan.keyFile ? { keyFile: plan.keyFile } : {}),
  });
  const text = setup.porthole.text.replace(/^\/\/.*\n/, '');
  const config = JSON.parse(text) as { reverse: { portals: Array<{ exposures: Json }> }; inbounds: Array<{ streamSettings?: Json }> };
  const portal = config.reverse.portals[0];
  if (portal) portal.exposures.ports = `${plan.range[0]}-${plan.range[1]}`;
  const link = config.inbounds[0];
  // Server setup's ws-tls puts nginx/Caddy in front; here the portal ends TLS and takes the WebSocket itself.
  if (plan.transport === 'ws-tls' && link?.streamSettings) link.streamSettings = { ...link.streamSettings, network: 'ws', wsSettings: { path: plan.path } };
  if (plan.acme && link?.streamSettings) {
    const { httpPort, ...acme } = plan.acme;
    link.streamSettings = { ...link.streamSettings, tlsSettings: { serverName: plan.domain, acme: { ...acme, storage: acmeStorage, ...(httpPort === ACME_CHALLENGE_PORT ? {} : { httpPort }) } } };
  }
  return `// Porthole portal written by "Set up my server": bridges dial ${plan.host}:${plan.linkPort}; exposures may open ${plan.range[0]}-${plan.range[1]}.\n${JSON.stringify(config, null, 2)}\n`;
}
