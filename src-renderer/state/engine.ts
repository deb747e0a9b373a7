/** Engine status, bridges and portals, totals, and whether events are flowing. */
import type { BridgeState, EngineCertificate, EngineSnapshot, EngineStatus, ErrorEnvelope, LocalPortalInfo, PortalState, TrafficTotals } from '../../src-core/host/api/index.js';
import { envelopeOf } from '../transport/errors.js';
import type { LinkStatus } from '../transport/index.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

export interface EngineSlice {
  status: EngineStatus | null;
  bridges: BridgeState[];
  portals: PortalState[];
  /** Certificates the engine obtains itself (a TLS inbound's ACME), as they stand. */
  certificates: EngineCertificate[];
  totals: TrafficTotals;
  /** Time of the last snapshot (the clock durations are computed against). */
  snapshotTime: number;
  linkStatus: LinkStatus;
  /** Where the built-in local portal listens and this machine's LAN addresses (null from an older service). */
  localPortal: LocalPortalInfo | null;
  /** A start/stop that failed, shown until the next attempt. */
  engineError: ErrorEnvelope | null;
  engineBusy: boolean;
  applyEngineSnapshot(snapshot: EngineSnapshot): void;
  setLinkStatus(status: LinkStatus): void;
  startEngine(): Promise<void>;
  stopEngine(): Promise<void>;
}

const NO_CERTIFICATES: EngineCertificate[] = [];
const EMPTY_TOTALS: TrafficTotals = { bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0 };

export const createEngineSlice: SliceCreator<EngineSlice> = (set) => ({
  status: null,
  bridges: [],
  portals: [],
  certificates: [],
  totals: EMPTY_TOTALS,
  snapshotTime: 0,
  linkStatus: 'connecting',
  localPortal: null,
  engineError: null,
  engineBusy: false,
  applyEngineSnapshot: (snapshot) => set({
    status: snapshot.status,
    bridges: snapshot.bridges,
    portals: snapshot.portals,
    certificates: snapshot.certificates ?? NO_CERTIFICATES,
    totals: snapshot.totals,
    snapshotTime: snapshot.time,
    localPortal: snapshot.localPortal ?? null,
  }),
  setLinkStatus: (linkStatus) => set({ linkStatus }),
  startEngine: async () => {
    set({ engineBusy: true, engineError: null });
    try {
      set({ status: await engineService().startEngine() });
    } catch (error) {
      set({ engineError: envelopeOf(error) });
    } finally {
      set({ engineBusy: false });
    }
  },
  stopEngine: async () => {
    set({ engineBusy: true, engineError: null });
    try {
      set({ status: await engineService().stopEngine() });
    } catch (error) {
      set({ engineError: envelopeOf(error) });
    } finally {
      set({ engineBusy: false });
    }
  },
});
