/**
 * What a running engine says about itself in the snapshot: its bridges and portals with their
 * links, where its inbounds listen, and which connections are tunnel links rather than traffic.
 */
import type { BridgeState, ConnectionRow, EngineCertificate, EngineStatus, PortalState } from '../api/index.js';
import type { PortholeConfig } from '../../engine/config/index.js';
import type { ConnectionSnapshot } from '../../engine/features/stats.js';
import type { Instance } from '../../engine/instance.js';

/** `tcp:host:port` → host (IPv6 hosts keep their brackets). */
function hostOf(target: string): string {
  const first = target.indexOf(':');
  const last = target.lastIndexOf(':');
  return first >= 0 && last > first ? target.slice(first + 1, last) : target;
}

/** True for the bridge↔portal links themselves: their target is a reverse domain. */
export function tunnelTest(config: PortholeConfig): (connection: ConnectionSnapshot) => boolean {
  const domains = new Set([...config.reverse.bridges.map((bridge) => bridge.domain), ...config.reverse.portals.map((portal) => portal.domain)]);
  return (connection) => domains.size > 0 && domains.has(hostOf(connection.target));
}

/** Where each inbound listens, e.g. `{tag: 'external', address: '127.0.0.1:80'}`. */
export function listeningOf(instance: Instance): EngineStatus['listening'] {
  return instance.inbounds.flatMap((inbound) => {
    const address = inbound.address();
    return address ? [{ tag: inbound.tag, address: `${address.host}:${address.port}` }] : [];
  });
}

export function bridgeStates(instance: Instance, rows: readonly ConnectionRow[]): BridgeState[] {
  return instance.bridges.map((bridge, index): BridgeState => {
    const config = instance.config.reverse.bridges[index];
    const tag = config?.tag ?? '';
    const open = rows.filter((row) => row.closedAt === null && row.inboundTag === tag);
    const workers = open.filter((row) => row.kind === 'tunnel').length;
    const activeLinks = bridge.activeLinks;
    const linkState = activeLinks > 0 ? 'up' : workers > 0 ? 'connecting' : 'down';
    const problem = linkState === 'up' ? null : bridge.lastProblem;
    return {
      tag,
      domain: config?.domain ?? '',
      activeLinks,
      workers,
      openStreams: open.length - workers,
      linkState,
      // The transport's own line (certificate, WebSocket path, plain HTTP, TLS mismatch, timeout), as logged.
      problem: problem ? { code: problem.code, message: problem.message } : null,
    };
  });
}

export function portalStates(instance: Instance): PortalState[] {
  return instance.portals.map((portal, index): PortalState => {
    const loads = portal.linkLoads();
    return {
      tag: portal.tag,
      domain: instance.config.reverse.portals[index]?.domain ?? '',
      links: portal.linkCount,
      linkLoads: loads,
      openStreams: loads.reduce((sum, load) => sum + load, 0),
      drainedLinks: portal.drainedLinks,
      linkState: portal.linkCount > 0 ? 'up' : 'down',
      publicPorts: instance.publicPortsOf(portal),
    };
  });
}

/** Certificates the engine obtains itself, one per inbound (its port handlers share one). */
export function certificatesOf(instance: Instance): EngineCertificate[] {
  const seen = new Set<unknown>();
  const certificates: EngineCertificate[] = [];
  for (const inbound of instance.inbounds) {
    const live = inbound.liveCertificate;
    if (!live || seen.has(live)) continue;
    seen.add(live);
    const status = live.describe();
    certificates.push({
      inboundTag: inbound.tag,
      name: status.name,
      authority: status.authority,
      state: status.state,
      ...(status.notAfter ? { notAfter: status.notAfter.getTime() } : {}),
      ...(status.reason ? { reason: status.reason } : {}),
      ...(status.retryAt ? { retryAt: status.retryAt.getTime() } : {}),
    });
  }
  return certificates;
}
