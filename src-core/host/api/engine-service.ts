/**
 * The engine-service contract (style.md point 10): the one interface the renderer talks to,
 * served by `src-core/host/service` in-process, by the headless dashboard over HTTP/WebSocket and (issue
 * 6) by Electron's main process over IPC. Every method is async and takes JSON-safe arguments;
 * every event is an `onDidX` property that returns its unsubscribe function.
 *
 * Stability (v1):
 * - Method names, argument order and result shapes are stable. New methods and new optional
 *   arguments or result fields may be added; nothing is removed or changes meaning without a new
 *   contract version (`ENGINE_SERVICE_VERSION`).
 * - Failures reject with an `ErrorEnvelope`-shaped error (`code`, `message`, `where?`).
 * - Events broadcast state; they never drive control flow. Snapshots come about once a second,
 *   never per chunk; log lines come in batches.
 */
import type {
  ConnectionRow, EngineSnapshot, EngineStatus, ExportedProfile, ExposureInput, ExposurePatch, ExposureStatus, LogLevel, LogLine,
  Profile, ProfileSummary, ServerCheck, ServerSetup, ServerSetupOptions, Settings, TrafficHistory, TrafficWindow, ValidationResult,
} from './snapshots.js';
import type { PortalInvite, PortalInviteInput, PortalInviteList } from './portal-invites.js';
import type { RemoteServer, RemoteServerTarget, RemoteSetup, RemoteSetupRequest } from './remote-setup.js';
import type { InspectorChange, InspectorEntry, InspectorList, InspectorReplayEdits, InspectorSettings, InspectorSummary } from './inspector.js';

/** Bumped only on a breaking change of the contract. */
export const ENGINE_SERVICE_VERSION = 1;

/** Stops a subscription. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/** An event: pass a listener, get the function that removes it (never `removeAllListeners`). */
export type EngineEvent<T> = (listener: (value: T) => void) => Unsubscribe;

/** What `recentLogs` returns. */
export interface LogQuery {
  /** Lines at this level or more severe (access lines count as `'info'`). Default: all. */
  level?: LogLevel;
  /** At most this many, newest kept. Default 1000. */
  limit?: number;
}

/** The engine as the UI sees it. */
export interface EngineService {
  /** Profiles: stored ones, plus the command line's when run with `-c`. Sorted by name. */
  listProfiles(): Promise<ProfileSummary[]>;
  /** One profile with its text. Rejects with `PH_PROFILE_NOT_FOUND`. */
  getProfile(name: string): Promise<Profile>;
  /**
   * Creates or replaces a stored profile (import from file, paste, drop, or the editor's save).
   * The text is kept even when it does not load, so a draft is never lost; `error` says why.
   * Rejects with `PH_PROFILE_BAD_NAME` or `PH_PROFILE_READ_ONLY`.
   */
  saveProfile(name: string, text: string): Promise<ProfileSummary>;
  /** Removes a stored profile. The active one cannot be removed while the engine runs it. */
  deleteProfile(name: string): Promise<void>;
  /** Checks a text as `porthole test` does, without saving it. `where.line`/`column` are 1-based in `text`. */
  validateProfile(text: string): Promise<ValidationResult>;
  /** The profile as V2Ray JSON that `v2ray -test` accepts. Rejects with its config error if it does not load. */
  exportProfile(name: string): Promise<ExportedProfile>;
  /**
   * Makes `name` the active profile and (re)starts the engine with it. A profile that does not load
   * rejects with its config error and leaves the running engine alone.
   */
  activateProfile(name: string): Promise<EngineStatus>;

  getStatus(): Promise<EngineStatus>;
  /** Starts the active profile. Rejects with `PH_ENGINE_NO_PROFILE`, a config error, or `PH_ENGINE_START_FAILED`. */
  startEngine(): Promise<EngineStatus>;
  /** Stops the engine; open connections are closed. */
  stopEngine(): Promise<EngineStatus>;

  /** The latest snapshot (what `onDidChangeSnapshot` last sent), for a client that just connected. */
  getSnapshot(): Promise<EngineSnapshot>;
  /** Total and per-tag rates over a window: 1 s points for `'1m'` and `'5m'`, 10 s points for `'1h'`. */
  getTrafficHistory(window: TrafficWindow): Promise<TrafficHistory>;

  /** Open connections and those closed in the last minute, with their rates. */
  listConnections(): Promise<ConnectionRow[]>;
  /** Closes one connection; false when it was not open. */
  closeConnection(id: number): Promise<boolean>;
  /** Closes every open connection except the tunnel links; resolves with how many it closed. */
  closeAllConnections(): Promise<number>;

  /** Every exposure, in the order added. */
  listExposures(): Promise<ExposureStatus[]>;
  /**
   * The one click: exposes `localHost:localPort` (default host 127.0.0.1) and starts the engine
   * if it is stopped: with the active profile's bridge, or with the built-in local portal when no
   * profile has one. An existing exposure of the same local address is enabled and returned,
   * unchanged: asking it for another name or public port rejects with `PH_EXPOSURE_BAD_INPUT`
   * (its public address may be given out; `updateExposure` moves it).
   */
  addExposure(input: ExposureInput): Promise<ExposureStatus>;
  /** Renames, enables/disables or changes the wanted public port. Rejects with `PH_EXPOSURE_NOT_FOUND`. */
  updateExposure(id: string, patch: ExposurePatch): Promise<ExposureStatus>;
  /** Stops and forgets an exposure. Rejects with `PH_EXPOSURE_NOT_FOUND`. */
  removeExposure(id: string): Promise<void>;
  /** Pause all (true) / Resume (false): every exposure off or back as it was. */
  setExposuresPaused(paused: boolean): Promise<void>;
  /**
   * The portal-side configs (V2Ray and Porthole) matching a bridge profile and the exposures, with
   * the command to run each, for the transport the profile uses or the one `options` picks (TLS,
   * WebSocket, WebSocket + TLS behind nginx/Caddy), and the bridge profile that matches them.
   * Rejects with its config error, `PH_SETUP_NO_BRIDGE`, or `PH_SETUP_BAD_INPUT` (e.g. TLS with no
   * server name).
   */
  getServerSetup(profile: string, options?: ServerSetupOptions): Promise<ServerSetup>;
  /**
   * Server setup's Check: dials the portal as the matching bridge profile would (TCP, TLS,
   * WebSocket, then the VMess/VLESS request on a real bridge link), then each exposure's public
   * port end to end. Never rejects for what it finds: each step says why it failed. Rejects like
   * `getServerSetup` when no setup can be made.
   */
  checkServerSetup(profile: string, options?: ServerSetupOptions): Promise<ServerCheck>;

  /** Recent log lines, oldest first. */
  recentLogs(query?: LogQuery): Promise<LogLine[]>;

  getSettings(): Promise<Settings>;
  /** Changes some settings; resolves with all of them. */
  setSettings(patch: Partial<Settings>): Promise<Settings>;

  /**
   * Request inspector (issue 6/7): the exposure's captured requests, oldest first, as list rows
   * (no headers or bodies), with its pause state and settings. Empty while no engine runs.
   */
  listInspectorEntries(exposureId: string): Promise<InspectorList>;
  /** One captured request in full; secret header values masked unless `reveal`. Rejects with `PH_INSPECTOR` once it left the list. */
  getInspectorEntry(id: number, options?: { reveal?: boolean }): Promise<InspectorEntry>;
  clearInspector(exposureId: string): Promise<void>;
  /** Paused: new connections are not captured; the list stays as it is. Not kept across restarts. */
  setInspectorPaused(exposureId: string, paused: boolean): Promise<void>;
  /** Capture on/off, ring size, body cap; kept in the settings file. Rejects with `PH_EXPOSURE_NOT_FOUND` or `PH_INSPECTOR`. */
  setInspectorSettings(exposureId: string, patch: Partial<InspectorSettings>): Promise<InspectorSettings>;
  /** Sends a captured request again (edited, if `edits` say so) to the exposure's local service; resolves with the replay's row. */
  replayInspectorEntry(id: number, edits?: InspectorReplayEdits): Promise<InspectorSummary>;
  /** The exposure's requests (or only `entryIds`) as HAR 1.2 JSON text; secrets masked unless `reveal`. */
  exportInspectorHar(exposureId: string, options?: { reveal?: boolean; entryIds?: number[] }): Promise<string>;
  /** One request as a `curl` command line; secrets masked unless `reveal`. */
  exportInspectorCurl(id: number, options?: { reveal?: boolean }): Promise<string>;

  /**
   * Set up my server (issue 7/7): starts a run that logs in over SSH and installs the one-file
   * portal (steps in `RemoteSetup.steps`, progress on `onDidChangeRemoteSetup`). One run at a time:
   * rejects with `PH_REMOTE_SETUP` while another runs, or for a request that cannot start.
   */
  startRemoteSetup(request: RemoteSetupRequest): Promise<RemoteSetup>;
  /** Accepts (pins) the host key a waiting run showed; the run goes on. A fingerprint that is not the one shown rejects. */
  acceptRemoteHostKey(runId: string, fingerprint: string): Promise<RemoteSetup>;
  /** Resumes a failed run at its failed step (a key passphrase may be given again). */
  retryRemoteSetup(runId: string, options?: { passphrase?: string }): Promise<RemoteSetup>;
  /** Stops a run between steps; what was done stays done ("Remove from server" undoes it). */
  cancelRemoteSetup(runId: string): Promise<RemoteSetup>;
  /** "Remove from server": stops and removes the service and files a setup put there (and its firewall rule). */
  removeRemoteSetup(target: RemoteServerTarget): Promise<RemoteSetup>;
  /** The latest run (or null), for a window that just opened. */
  getRemoteSetup(): Promise<RemoteSetup | null>;
  /** Servers set up from here. */
  listRemoteServers(): Promise<RemoteServer[]>;

  /** Invites (portal side): the users of a portal profile's link inbound with their traffic. */
  listPortalInvites(profile: string): Promise<PortalInviteList>;
  /** Adds a user, saves (and reloads a running portal), and returns its link and QR code. Rejects with `PH_INVITE` or `PH_PROFILE_READ_ONLY`. */
  createPortalInvite(profile: string, input?: PortalInviteInput): Promise<PortalInvite>;
  /** Removes a user (by id or name); its bridges are refused from the next reload, which this does. */
  revokePortalInvite(profile: string, user: string): Promise<void>;

  /** About once a second while anyone listens. */
  readonly onDidChangeSnapshot: EngineEvent<EngineSnapshot>;
  /** New log lines, in batches (at most a few per second however busy the engine is). */
  readonly onDidLog: EngineEvent<LogLine[]>;
  /** Inspector list changes, batched (at most a few a second), for every exposure. */
  readonly onDidChangeInspector: EngineEvent<InspectorChange[]>;
  /** Each change of the current Set up my server run (step states, host key awaited, result). */
  readonly onDidChangeRemoteSetup: EngineEvent<RemoteSetup>;
}

/** The names of the contract's methods (everything but the events). */
export type EngineMethodName = {
  [K in keyof EngineService]: EngineService[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof EngineService];

/** What each event carries, by the name transports use on the wire. */
export interface EngineEvents {
  snapshot: EngineSnapshot;
  logs: LogLine[];
  inspector: InspectorChange[];
  remoteSetup: RemoteSetup;
}

export type EngineEventName = keyof EngineEvents;

/** Which `EngineService` property each wire event feeds. */
export const ENGINE_EVENT_PROPERTIES = {
  snapshot: 'onDidChangeSnapshot',
  logs: 'onDidLog',
  inspector: 'onDidChangeInspector',
  remoteSetup: 'onDidChangeRemoteSetup',
} as const satisfies { [E in EngineEventName]: keyof EngineService };

/**
 * What a transport carries (HTTP + WebSocket in the dashboard; Electron's preload exposes the same
 * two functions as `window.porthole` in issue 6). Implementations check names at run time and
 * throw on unknown ones; there is no generic send.
 */
export interface EngineChannel {
  call(method: EngineMethodName, args: readonly unknown[]): Promise<unknown>;
  subscribe<E extends EngineEventName>(event: E, listener: (value: EngineEvents[E]) => void): Unsubscribe;
}
