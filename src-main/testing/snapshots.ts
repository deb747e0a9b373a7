/** Snapshot and exposure builders for src-main's tests (not part of the build). */
import type { BridgeState, EngineSnapshot, ExposureStatus, PortalState } from '../../src-core/host/api/index.js';

export const T0 = 1_700_000_000_000;

export function exposure(patch: Partial<ExposureStatus> & { id: string }): ExposureStatus {
  return {
    name: 'localhost:80', localHost: 'localhost', localPort: 80, publicPort: null, enabled: true, createdAt: T0,
    state: 'requesting', publicAddress: null, portalKind: 'porthole', problem: null, localReachable: true,
    bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0,
    ...patch,
  };
}

export function bridge(linkState: BridgeState['linkState'], tag = 'bridge'): BridgeState {
  const activeLinks = linkState === 'up' ? 2 : 0;
  return { tag, domain: 'private.cloud.com', activeLinks, workers: linkState === 'down' ? 0 : 2, openStreams: 0, linkState, problem: null };
}

/** A running bridge with one link up, started `sinceMs` before `time`. */
export function snapshot(patch: Partial<EngineSnapshot> = {}, sinceMs = 60_000): EngineSnapshot {
  const time = patch.time ?? T0 + sinceMs;
  return {
    seq: 1,
    time,
    status: { state: 'running', profile: 'home', since: time - sinceMs, error: null, listening: [] },
    totals: { bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0 },
    point: { time, upRate: 0, downRate: 0 },
    tags: [],
    bridges: [bridge('up')],
    portals: [],
    connections: [],
    exposures: [],
    exposuresPaused: false,
    ...patch,
  };
}

export function portal(links: number, tag = 'portal'): PortalState {
  return { tag, domain: 'private.cloud.com', links, linkLoads: Array.from({ length: links }, () => 0), openStreams: 0, drainedLinks: 0, linkState: links > 0 ? 'up' : 'down', publicPorts: [] };
}
