/**
 * Which outbound a bridge's links leave through, decided from the config as routing decides it at
 * run time (the bridge dispatches `tcp:<domain>:0` with its tag as inbound tag). Used to show where
 * exposures become public and to generate the matching portal config (Server setup).
 */
import { newSession } from '../../common/session.js';
import type { BridgeConfig, PortholeConfig, PortalConfig, VlessOutbound, VlessServer, VmessOutbound, VmessServer } from '../../config/index.js';
import { DefaultRouter } from '../router/default-router.js';

export type BridgeUplink =
  /** Links go to a portal on a server, through VMess (the usual case). */
  | { kind: 'vmess'; tag: string; outbound: VmessOutbound; server: VmessServer }
  /** Links go to a portal on a server, through VLESS (its inbound must be VLESS too). */
  | { kind: 'vless'; tag: string; outbound: VlessOutbound; server: VlessServer }
  /** Links go to a portal in this same instance (the built-in local portal). */
  | { kind: 'portal'; tag: string; portal: PortalConfig }
  /** Links go somewhere else (a freedom or blackhole outbound: a config mistake, or a test). */
  | { kind: 'other'; tag: string };

/** An uplink to a portal on a server, whichever protocol carries it. */
export type ServerUplink = Extract<BridgeUplink, { kind: 'vmess' | 'vless' }>;

/** True when the links go to a server (VMess or VLESS), not to this instance or nowhere. */
export function isServerUplink(uplink: BridgeUplink | undefined): uplink is ServerUplink {
  return uplink?.kind === 'vmess' || uplink?.kind === 'vless';
}

export function bridgeUplink(config: PortholeConfig, bridge: BridgeConfig): BridgeUplink | undefined {
  const session = newSession({ inboundTag: bridge.tag, level: 0 });
  const routed = new DefaultRouter(config.routing.rules).pickRoute({ session, target: { network: 'tcp', address: { kind: 'domain', value: bridge.domain }, port: 0 } });
  const outbound = routed === undefined ? config.outbounds[0] : config.outbounds.find((candidate) => candidate.tag === routed);
  if (outbound?.protocol === 'vmess') {
    const server = outbound.settings.vnext[0];
    return server ? { kind: 'vmess', tag: outbound.tag ?? '', outbound, server } : undefined;
  }
  if (outbound?.protocol === 'vless') {
    const server = outbound.settings.vnext[0];
    return server ? { kind: 'vless', tag: outbound.tag ?? '', outbound, server } : undefined;
  }
  if (outbound) return { kind: 'other', tag: outbound.tag ?? '' };
  const portal = config.reverse.portals.find((candidate) => candidate.tag === routed) ?? (routed === undefined ? config.reverse.portals[0] : undefined);
  return portal ? { kind: 'portal', tag: portal.tag, portal } : undefined;
}
