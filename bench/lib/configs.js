/**
 * The reverse-proxy pair of V2Ray's documentation (src-core/engine/config/fixtures/{portal,bridge}.json),
 * with loopback ephemeral ports and quiet logs. The same JSON is given to Porthole and to v2ray.
 */
export const DOMAIN = 'test.v2ray.com';
export const USER_ID = '27848739-7e62-4138-9fd3-098a63964b6b';

const log = { loglevel: 'warning', access: 'none' };

/** Portal: dokodemo-door "external" (the public port) and vmess "interconn" (the bridge's links). */
export function portalConfig({ publicPort, linkPort, upstreamPort }) {
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
 */
export function bridgeConfig({ linkPort, upstreamPort }, security) {
  return {
    log,
    reverse: { bridges: [{ tag: 'bridge', domain: DOMAIN }] },
    outbounds: [
      { tag: 'out', protocol: 'freedom', settings: { redirect: `127.0.0.1:${upstreamPort}` } },
      {
        tag: 'interconn',
        protocol: 'vmess',
        settings: { vnext: [{ address: '127.0.0.1', port: linkPort, users: [security ? { id: USER_ID, security } : { id: USER_ID }] }] },
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
