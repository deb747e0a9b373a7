/**
 * The snapshots the service pushes about once a second (style.md point 12): the engine's counters
 * turned into rates by the sampler, its bridges and portals, the exposures, and the status. Keeps
 * the latest for clients that just connected.
 */
import type { EngineCertificate, EngineEvent, EngineSnapshot, EngineStatus, ExposureStatus, LocalPortalInfo, TagTraffic } from '../api/index.js';
import type { Instance } from '../../engine/instance.js';
import { bridgeStates, certificatesOf, portalStates } from './engine-report.js';
import { connectionRoles } from './connection-roles.js';
import { nameExposures } from './connection-names.js';
import { TrafficSampler } from './traffic-sampler.js';

/** What one snapshot is made from. */
export interface SnapshotSource {
  status: EngineStatus;
  /** The running engine, if any. */
  instance: Instance | undefined;
  exposuresPaused: boolean;
  /** The exposure rows, given this second's per-tag traffic. */
  exposures(tags: readonly TagTraffic[]): ExposureStatus[];
  /** The built-in local portal's reach, if the service reports it. */
  localPortal?: LocalPortalInfo;
}

export class SnapshotFeed {
  /** Also answers `getTrafficHistory`; reset when a new engine starts. */
  readonly sampler = new TrafficSampler();
  private readonly listeners = new Set<(snapshot: EngineSnapshot) => void>();
  private last: EngineSnapshot | undefined;
  private seq = 0;

  /** The snapshot last published, if any. */
  get latest(): EngineSnapshot | undefined {
    return this.last;
  }

  readonly onDidChange: EngineEvent<EngineSnapshot> = (listener) => {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  };

  /** Samples the engine, keeps the snapshot as the latest and hands it to every listener. */
  publish(source: SnapshotSource, now = Date.now()): EngineSnapshot {
    const { instance } = source;
    const connections = instance ? instance.stats.snapshot(now) : [];
    const roleOf = instance ? connectionRoles(instance.config) : () => false;
    const sample = this.sampler.sample(now, connections, roleOf);
    const exposures = source.exposures(sample.tags);
    if (instance) nameExposures(sample.rows, exposures, instance);
    const snapshot: EngineSnapshot = {
      seq: ++this.seq,
      time: now,
      status: source.status,
      totals: sample.totals,
      point: sample.point,
      tags: sample.tags,
      bridges: instance ? bridgeStates(instance, sample.rows) : [],
      portals: instance ? portalStates(instance) : [],
      connections: sample.rows,
      exposures,
      exposuresPaused: source.exposuresPaused,
      ...(source.localPortal ? { localPortal: source.localPortal } : {}),
      ...certificatesPart(instance),
    };
    return this.send(snapshot);
  }

  /**
   * The engine's state changed between two sampling seconds: the last snapshot again with the new
   * status and what depends on the engine (bridges, portals, exposures, its connections), pushed
   * at once, so no one reads "stopped" while the engine starts or runs. Nothing is sampled: a
   * sample a few milliseconds after the last would put a spike of a rate into the graphs.
   */
  restate(source: SnapshotSource, now = Date.now()): EngineSnapshot {
    const last = this.last;
    if (!last) return this.publish(source, now);
    const { instance } = source;
    const rows = instance ? last.connections : [];
    const exposures = source.exposures(last.tags);
    if (instance) nameExposures(rows, exposures, instance);
    const { certificates: _previous, ...kept } = last;
    return this.send({
      ...kept,
      seq: ++this.seq,
      time: now,
      status: source.status,
      totals: instance ? last.totals : { ...last.totals, upRate: 0, downRate: 0, openConnections: 0 },
      bridges: instance ? bridgeStates(instance, rows) : [],
      portals: instance ? portalStates(instance) : [],
      connections: rows,
      exposures,
      exposuresPaused: source.exposuresPaused,
      ...(source.localPortal ? { localPortal: source.localPortal } : {}),
      ...certificatesPart(instance),
    });
  }

  private send(snapshot: EngineSnapshot): EngineSnapshot {
    this.last = snapshot;
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch {
        // A listener's failure is its own (a closed socket); the others still get the snapshot.
      }
    }
    return snapshot;
  }

  /** Listeners hear nothing more. */
  close(): void {
    this.listeners.clear();
  }
}

function certificatesPart(instance: Instance | undefined): { certificates?: EngineCertificate[] } {
  const certificates = instance ? certificatesOf(instance) : [];
  return certificates.length > 0 ? { certificates } : {};
}
