/**
 * The shapes the engine service hands out: plain JSON-safe data (numbers, strings, arrays),
 * so they cross HTTP, WebSocket and Electron IPC unchanged.
 *
 * Stability: fields may be added; existing fields keep their name, type and meaning. Times are
 * milliseconds since the epoch, byte counts are bytes, rates are bytes per second.
 */
import type { ErrorEnvelope } from './errors.js';

/** Severity as V2Ray's `log.loglevel` names it. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** `'stopped'` → `'starting'` → `'running'` → `'stopping'` → `'stopped'`; a failed start is `'failed'`. */
export type EngineState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export interface EngineStatus {
  state: EngineState;
  /** The active profile's name (what `startEngine` runs); null when none is chosen. */
  profile: string | null;
  /** When the engine reached its current state. */
  since: number;
  /** Why the last start failed (state `'failed'`). */
  error: ErrorEnvelope | null;
  /** Where each inbound listens while running, e.g. `{tag: 'external', address: '127.0.0.1:80'}`. */
  listening: { tag: string; address: string }[];
  /**
   * While running an engine that speaks VMess: which crypto path it takes in this process when
   * that is not the usual one (the native chunk cipher off, a JavaScript fallback for what this
   * runtime's node:crypto lacks, as in Electron's BoringSSL), the line `porthole run` prints, e.g.
   * `crypto: native AEAD not in use (…), so VMess chunk ciphers use node:crypto instead`. Absent
   * when there is nothing to say. Information, not an error.
   */
  cryptoNotice?: string;
}

/** One point of a traffic series: rates averaged over the point's step. */
export interface TrafficPoint {
  time: number;
  upRate: number;
  downRate: number;
}

/**
 * A connection as the Connections page shows it. `kind: 'tunnel'` marks the bridge↔portal links
 * themselves (their target is the reverse domain); `'connection'` is everything they carry and
 * everything else.
 */
export interface ConnectionRow {
  id: number;
  kind: 'connection' | 'tunnel';
  inboundTag: string;
  outboundTag: string;
  source: string;
  /** `network:host:port`, as V2Ray's access log writes it. */
  target: string;
  startedAt: number;
  /** Set once closed; closed rows stay listed for about a minute. */
  closedAt: number | null;
  bytesUp: number;
  bytesDown: number;
  /** Over the last sampling second. */
  upRate: number;
  downRate: number;
}

/** Which side of the routing a tag is on. */
export type TagDirection = 'inbound' | 'outbound';

/** Bytes through one tag since the engine started, and its current rates. */
export interface TagTraffic {
  tag: string;
  direction: TagDirection;
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  openConnections: number;
}

/** A bridge (private side): its links to the portal ("workers") and the streams they carry now. */
export interface BridgeState {
  tag: string;
  domain: string;
  /** Links the portal confirmed as active. */
  activeLinks: number;
  /** Links open now (connecting, active or draining). */
  workers: number;
  /** Connections coming out of the tunnel, open now. */
  openStreams: number;
  /** `'up'` with an active link, `'connecting'` with links but none active yet, `'down'` with none. */
  linkState: 'up' | 'connecting' | 'down';
}

/** A portal (public side): bridge links, and the streams on each. */
export interface PortalState {
  tag: string;
  domain: string;
  links: number;
  /** Open streams per live link, control excluded. */
  linkLoads: number[];
  openStreams: number;
  /** Links told to drain so far. */
  drainedLinks: number;
  linkState: 'up' | 'down';
  /** Public ports this portal opened for bridges' exposures (Porthole extension). */
  publicPorts: { id: string; name: string; port: number; local: string }[];
}

/** Sum over user connections (tunnel links themselves are not counted twice). */
export interface TrafficTotals {
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  openConnections: number;
}

/**
 * What `onDidChangeSnapshot` delivers about once a second: everything the Overview, Connections
 * and Traffic pages show live. `point` is this second's total; clients append it to their graph
 * (the history comes from `getTrafficHistory`).
 */
export interface EngineSnapshot {
  /** Increases by one per snapshot; a gap means a client missed some. */
  seq: number;
  time: number;
  status: EngineStatus;
  totals: TrafficTotals;
  point: TrafficPoint;
  tags: TagTraffic[];
  bridges: BridgeState[];
  portals: PortalState[];
  connections: ConnectionRow[];
  /** Every exposure with its state and traffic (issue 7). */
  exposures: ExposureStatus[];
  /** "Pause all" is on: every exposure is off until resumed (each keeps its own `enabled`). */
  exposuresPaused: boolean;
}

/**
 * An exposure: a local service (`localHost:localPort`) made reachable on a public port of the
 * portal the bridge links to (or of the built-in local portal when no server is configured).
 */
export interface Exposure {
  /** Stable, generated (`e-` and 8 hex digits). */
  id: string;
  name: string;
  localHost: string;
  localPort: number;
  /** The public port asked for; null lets the portal pick one from its range. */
  publicPort: number | null;
  enabled: boolean;
  createdAt: number;
}

/** What `addExposure` takes. One exposure per local host:port. */
export interface ExposureInput {
  localHost?: string;
  localPort: number;
  name?: string;
  publicPort?: number | null;
}

/** What `updateExposure` may change. */
export interface ExposurePatch {
  name?: string;
  enabled?: boolean;
  publicPort?: number | null;
}

/**
 * Where an exposure stands:
 * - `'disabled'`: switched off (or paused);
 * - `'offline'`: the engine is stopped or no link to the portal is up yet;
 * - `'requesting'`: asked a Porthole portal for a public port, no answer yet;
 * - `'live'`: reachable at `publicAddress`;
 * - `'setup-needed'`: the portal is V2Ray, which cannot open ports on request: apply Server setup;
 * - `'refused'`: the portal said no (`problem` says why); asked again when a link comes back or
 *   the exposure is edited, and every 30 s while another program holds the public port.
 */
export type ExposureState = 'disabled' | 'offline' | 'requesting' | 'live' | 'setup-needed' | 'refused';

/** Which portal serves the exposures: the built-in one, a Porthole server, a V2Ray server. */
export type PortalKind = 'local' | 'porthole' | 'v2ray';

export interface ExposureStatus extends Exposure {
  state: ExposureState;
  /** `host:port` to give out, once live (for a V2Ray portal: where Server setup puts it). */
  publicAddress: string | null;
  portalKind: PortalKind | null;
  /** Why it is refused, or what is wrong on this side; null when all is well. */
  problem: ErrorEnvelope | null;
  /** False when nothing answered at local host:port on the last check; null before the first. */
  localReachable: boolean | null;
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  openConnections: number;
}

/** The portal-side config matching a bridge profile (Profiles → Server setup). */
export interface ServerSetup {
  /** The bridge profile it matches. */
  profile: string;
  /** `host:port` the bridge dials: where the portal must listen. */
  serverAddress: string;
  /** For a server running V2Ray: a complete config that `v2ray -test` accepts. */
  v2ray: { fileName: string; text: string; command: string };
  /** For a server running Porthole headless: the same, plus a port range for one-click exposures. */
  porthole: { fileName: string; text: string; command: string };
  /** One line per exposure (public port → local address) the configs carry. */
  exposures: string[];
}

/** The Traffic page's windows. 1 min and 5 min have 1 s points, 1 h has 10 s points. */
export type TrafficWindow = '1m' | '5m' | '1h';

/** A series of rates: the total (`tag: null`) or one tag. */
export interface TrafficSeries {
  tag: string | null;
  direction: TagDirection | null;
  points: TrafficPoint[];
}

export interface TrafficHistory {
  window: TrafficWindow;
  /** Milliseconds between points. */
  stepMs: number;
  total: TrafficSeries;
  tags: TrafficSeries[];
}

/** One log line, for the Logs page. Access lines have level `'info'`. */
export interface LogLine {
  /** Increases by one per line for the service's lifetime (survives engine restarts). */
  seq: number;
  time: number;
  kind: 'error' | 'access';
  level: LogLevel;
  /** The engine part that spoke (`app/reverse/bridge`), or `access`. */
  component: string;
  /** The line without time and level, e.g. `from 127.0.0.1:5000 accepted tcp:… [external -> portal]`. */
  message: string;
  connectionId: number | null;
}

/** A profile in the list. */
export interface ProfileSummary {
  name: string;
  /** `'store'`: kept in the profiles folder, editable. `'command-line'`: given with `-c`, read-only. */
  origin: 'store' | 'command-line';
  active: boolean;
  updatedAt: number;
  /** Null when the text loads; else the first error. */
  error: ErrorEnvelope | null;
  /** What the config makes this instance: e.g. `['bridge "bridge"', 'portal "portal"']`. */
  roles: string[];
}

/** A profile with its text (V2Ray JSON, comments allowed). */
export interface Profile extends ProfileSummary {
  text: string;
}

/** What `validateProfile` says: `ok` with warnings and roles, or the first error with its place. */
export type ValidationResult =
  | { ok: true; warnings: ErrorEnvelope[]; roles: string[] }
  | { ok: false; error: ErrorEnvelope };

/** V2Ray JSON that `v2ray -test -config` accepts (comments dropped, aliases normalised). */
export interface ExportedProfile {
  fileName: string;
  text: string;
}

/** User settings the service keeps. */
export interface Settings {
  theme: 'system' | 'light' | 'dark';
  /** Desktop app only (absent in the web dashboard): start Porthole when the user logs in. */
  launchAtLogin?: boolean;
  /** Desktop app only: start in the tray without opening the window. */
  startMinimised?: boolean;
}
