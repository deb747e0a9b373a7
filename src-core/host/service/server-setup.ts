/**
 * Server setup (Profiles → Server setup): from a bridge profile and the exposures, the portal-side
 * config that matches it, for a server running V2Ray (every exposure becomes a dokodemo-door
 * inbound, since V2Ray cannot open ports on request) or Porthole headless (the same, plus a port
 * range so one-click exposures need no further edits). Pure: config in, texts out.
 */
import type { Exposure, ServerSetup } from '../api/index.js';
import { ServiceError } from '../api/index.js';
import { bridgeUplink } from '../../engine/app/reverse/uplink.js';
import { defaultPublicPort } from '../../engine/app/exposures/exposure-agent.js';
import type { PortholeConfig } from '../../engine/config/index.js';
import { parseAddress } from '../../engine/common/net.js';

/** The range a Porthole portal offers when the user has not chosen one. */
export const SETUP_EXPOSURE_RANGE = '20000-20099';

const PORTAL_TAG = 'portal';
const INTERCONN_TAG = 'interconn';

function isLoopback(host: string): boolean {
  const address = parseAddress(host);
  return (address.kind === 'ipv4' && address.value.startsWith('127.')) || (address.kind === 'ipv6' && address.value === '::1') || host === 'localhost';
}

/** `My web app` → `exposure-my-web-app`, unique among `taken`. */
function inboundTagFor(exposure: Exposure, taken: Set<string>): string {
  const slug = exposure.name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || exposure.id;
  let tag = `exposure-${slug}`;
  for (let suffix = 2; taken.has(tag); suffix += 1) tag = `exposure-${slug}-${suffix}`;
  taken.add(tag);
  return tag;
}

export function serverSetup(profile: string, config: PortholeConfig, exposures: readonly Exposure[]): ServerSetup {
  const bridge = config.reverse.bridges[0];
  if (!bridge) throw new ServiceError('PH_SETUP_NO_BRIDGE', `profile "${profile}" has no bridge (reverse.bridges): Server setup matches a bridge to its portal`);
  const uplink = bridgeUplink(config, bridge);
  if (uplink?.kind !== 'vmess') {
    throw new ServiceError('PH_SETUP_NO_BRIDGE', `bridge "${bridge.tag}" of profile "${profile}" does not link through a VMess outbound, so there is no server to set up`);
  }
  const { server } = uplink;
  const user = server.users[0];
  if (!user) throw new ServiceError('PH_SETUP_NO_BRIDGE', `the VMess outbound "${uplink.tag}" has no user`);
  const listen = isLoopback(server.address) ? { listen: '127.0.0.1' } : {};

  const taken = new Set([INTERCONN_TAG]);
  const published = exposures.filter((exposure) => exposure.enabled).map((exposure) => ({
    exposure,
    tag: inboundTagFor(exposure, taken),
    publicPort: exposure.publicPort ?? defaultPublicPort(exposure.localPort),
  }));

  const portalConfig = (extension: Record<string, unknown>) => ({
    log: { loglevel: 'warning' },
    reverse: { portals: [{ tag: PORTAL_TAG, domain: bridge.domain, ...extension }] },
    inbounds: [
      {
        tag: INTERCONN_TAG,
        ...listen,
        port: server.port,
        protocol: 'vmess',
        settings: { clients: [{ id: user.id, alterId: user.alterId }] },
      },
      ...published.map(({ exposure, tag, publicPort }) => ({
        tag,
        ...listen,
        port: publicPort,
        protocol: 'dokodemo-door',
        // The bridge recognises its exposure by this address (the local service it exposes).
        settings: { address: exposure.localHost, port: exposure.localPort, network: 'tcp' },
      })),
    ],
    routing: {
      rules: [{ type: 'field', inboundTag: [INTERCONN_TAG, ...published.map(({ tag }) => tag)], outboundTag: PORTAL_TAG }],
    },
  });

  const portholeExtension = { exposures: { ports: SETUP_EXPOSURE_RANGE, ...(listen.listen ? { listen: listen.listen } : {}) } };
  const header = (what: string) => `// Portal for profile "${profile}" (${what}). The bridge dials ${server.address}:${server.port}.\n`;
  return {
    profile,
    serverAddress: `${server.address}:${server.port}`,
    v2ray: {
      fileName: 'v2ray-portal.json',
      text: `${JSON.stringify(portalConfig({}), null, 2)}\n`,
      command: 'v2ray -config v2ray-portal.json',
    },
    porthole: {
      fileName: 'porthole-portal.json',
      text: `${header(`Porthole headless; bridges may ask for public ports ${SETUP_EXPOSURE_RANGE}`)}${JSON.stringify(portalConfig(portholeExtension), null, 2)}\n`,
      command: 'porthole run -c porthole-portal.json',
    },
    exposures: published.map(({ exposure, publicPort }) => `${server.address}:${publicPort} → ${exposure.localHost}:${exposure.localPort} (${exposure.name})`),
  };
}
