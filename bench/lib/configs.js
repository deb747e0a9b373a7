/**
 * The reverse-proxy pair of V2Ray's documentation (src-core/engine/config/fixtures/{portal,bridge}.json),
 * with loopback ephemeral ports and quiet logs. The same JSON is given to Porthole and to v2ray.
 * The bridge→portal link (portal's VMess inbound `interconn`, bridge's VMess outbound) runs over
 * the transport the bench was asked for: plain TCP, or `streamSettings` for TLS, WebSocket or both.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export const DOMAIN = 'test.v2ray.com';
export const USER_ID = '27848739-7e62-4138-9fd3-098a63964b6b';

/** The link transports of `--transport`; `tcp` is the documentation's set-up (no streamSettings). */
export const TRANSPORTS = ['tcp', 'tls', 'ws', 'ws+tls'];
/** The TLS name the portal's certificate carries and the bridge asks for (SNI and verification). */
export const SERVER_NAME = 'portal.bench.porthole.test';
/** The WebSocket path of the link. */
export const WS_PATH = '/link';

export const usesTls = (transport) => transport === 'tls' || transport === 'ws+tls';

/**
 * A throwaway self-signed certificate for SERVER_NAME (and IP 127.0.0.1), made with the openssl
 * CLI into `folder` as link.crt / link.key (ECDSA P-256, as the engine's TLS tests: what Go's
 * crypto/tls, OpenSSL and BoringSSL all take). Throws when openssl does not run.
 */
export function makeLinkCertificate(folder) {
  const certFile = join(folder, 'link.crt');
  const keyFile = join(folder, 'link.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '7',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${SERVER_NAME}`, '-addext', `subjectAltName=DNS:${SERVER_NAME},IP:127.0.0.1`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { certFile, keyFile };
}

/**
 * The link's `streamSettings` for `transport`, as V2Ray 4.34 reads them: `server` for the portal's
 * inbound (its certificate and key), `client` for the bridge's outbound (serverName, and the
 * portal's certificate trusted with usage "verify", so that the bridge really verifies it rather
 * than skipping verification with allowInsecure). Undefined for `tcp`: the configs stay the
 * documentation's. `cert` ({ certFile, keyFile }) is needed for the TLS transports only.
 */
export function linkStreamSettings(transport, cert) {
  if (transport === undefined || transport === 'tcp') return undefined;
  if (!TRANSPORTS.includes(transport)) throw new Error(`unknown transport "${transport}"`);
  const tls = usesTls(transport);
  if (tls && !cert) throw new Error(`transport ${transport} needs a certificate`);
  const network = transport.startsWith('ws') ? 'ws' : 'tcp';
  const common = { network, security: tls ? 'tls' : 'none', ...(network === 'ws' ? { wsSettings: { path: WS_PATH } } : {}) };
  return {
    server: { ...common, ...(tls ? { tlsSettings: { certificates: [{ usage: 'encipherment', certificateFile: cert.certFile, keyFile: cert.keyFile }] } } : {}) },
    client: { ...common, ...(tls ? { tlsSettings: { serverName: SERVER_NAME, certificates: [{ usage: 'verify', certificateFile: cert.certFile }] } } : {}) },
  };
}

const log = { loglevel: 'warning', access: 'none' };

/**
 * Portal: dokodemo-door "external" (the public port) and vmess "interconn" (the bridge's links),
 * the latter with `stream` (linkStreamSettings(…).server) when given.
 */
export function portalConfig({ publicPort, linkPort, upstreamPort }, stream) {
  return {
    log,
    reverse: { portals: [{ tag: 'portal', domain: DOMAIN }] },
    inbounds: [
      {
        tag: 'external',
        listen: '127.0.0.1',
        port: publicPort,
        protocol: 'dokodemo-door',
        // As in the doc the target is the service's address; the bridge's redirect decides anyway.
        settings: { address: '127.0.0.1', port: upstreamPort, network: 'tcp' },
      },
      {
        tag: 'interconn',
        listen: '127.0.0.1',
        port: linkPort,
        protocol: 'vmess',
        settings: { clients: [{ id: USER_ID }] },
        ...(stream ? { streamSettings: stream } : {}),
      },
    ],
    routing: {
      rules: [
        { type: 'field', inboundTag: ['external'], outboundTag: 'portal' },
        { type: 'field', inboundTag: ['interconn'], outboundTag: 'portal' },
      ],
    },
  };
}

/** The VMess securities the bench can ask the bridge for (the bridge, as VMess client, chooses). */
export const SECURITIES = ['auto', 'aes-128-gcm', 'chacha20-poly1305', 'none'];

/**
 * Bridge: freedom "out" redirected to the upstream, vmess "interconn" to the portal's link port.
 * `security` as in V2Ray's user object; left out, it is V2Ray's default ("auto": AES-128-GCM here).
 * `stream`: the link's streamSettings (linkStreamSettings(…).client), when not plain TCP.
 */
export function bridgeConfig({ linkPort, upstreamPort }, security, stream) {
  return {
    log,
    reverse: { bridges: [{ tag: 'bridge', domain: DOMAIN }] },
    outbounds: [
      { tag: 'out', protocol: 'freedom', settings: { redirect: `127.0.0.1:${upstreamPort}` } },
      {
        tag: 'interconn',
        protocol: 'vmess',
        settings: { vnext: [{ address: '127.0.0.1', port: linkPort, users: [security ? { id: USER_ID, security } : { id: USER_ID }] }] },
        ...(stream ? { streamSettings: stream } : {}),
      },
    ],
    routing: {
      rules: [
        { type: 'field', inboundTag: ['bridge'], domain: [`full:${DOMAIN}`], outboundTag: 'interconn' },
        { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
      ],
    },
  };
}
