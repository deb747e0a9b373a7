/**
 * The request inspector (issue 6): per exposure, captures the HTTP requests that reach the local
 * service on the bridge, keeps the last ones in memory, replays and exports them. This is the
 * API the host uses; the engine's only contact is `observerFor` (given to the exposure's freedom
 * outbound, called once per connection). Capture is on by default and can be switched off or
 * paused per exposure; off, no listener is added to a connection, so the data path does nothing
 * extra.
 */
import type { Readable } from 'node:stream';
import type { Disposable } from '../../common/disposable.js';
import { PortholeError } from '../../common/errors.js';
import type { CapturedEntry } from './captured-entry.js';
import { CaptureStore, type CaptureListener } from './capture-store.js';
import { ConnectionTap, observeConnection } from './connection-tap.js';
import { toCurl, type CurlOptions } from './curl-export.js';
import { toHar, type Har, type HarOptions } from './har-export.js';
import { replay, type ReplayEdits } from './replay.js';

export interface InspectorSettings {
  /** Capture this exposure's requests (default true). */
  enabled: boolean;
  /** Entries kept, oldest dropped first (default 500). */
  ringSize: number;
  /** Bytes kept of each request and response body (default 1 MiB); sizes are counted in full. */
  bodyCapBytes: number;
}

export const DEFAULT_INSPECTOR_SETTINGS: Readonly<InspectorSettings> = { enabled: true, ringSize: 500, bodyCapBytes: 1024 * 1024 };
export const MAX_RING_SIZE = 100_000;
export const MAX_BODY_CAP_BYTES = 64 * 1024 * 1024;

/** Where an exposure's requests go: what replays are sent to. */
export interface InspectedExposure {
  readonly id: string;
  readonly localHost: string;
  readonly localPort: number;
}

/**
 * Given by the freedom outbound for each connection it has dialled, before it pumps: `visitor`
 * is the link from the tunnel, `service` the local service's socket. Never throws.
 */
export type ConnectionObserver = (connectionId: number, visitor: Readable, service: Readable) => void;

interface ExposureState {
  settings: InspectorSettings;
  paused: boolean;
  target: InspectedExposure | undefined;
  /** Stops of the taps on open connections. */
  readonly live: Set<() => void>;
}

export class Inspector {
  private readonly exposures = new Map<string, ExposureState>();
  readonly store = new CaptureStore((id) => this.stateOf(id).settings.ringSize);

  /** The exposures the engine carries: replay targets. Exposures gone stop capturing and lose their list. */
  setExposures(exposures: readonly InspectedExposure[]): void {
    const ids = new Set(exposures.map((exposure) => exposure.id));
    for (const exposure of exposures) this.stateOf(exposure.id).target = exposure;
    for (const [id, state] of this.exposures) {
      if (ids.has(id)) continue;
      this.stopLive(state);
      this.exposures.delete(id);
      this.store.clear(id);
    }
  }

  /** The observer for one exposure's outbound (see ConnectionObserver). */
  observerFor(exposureId: string): ConnectionObserver {
    return (connectionId, visitor, service) => {
      try {
        const state = this.stateOf(exposureId);
        if (!state.settings.enabled || state.paused) return;
        const tap = new ConnectionTap({ exposureId, connectionId, store: this.store, bodyCapBytes: state.settings.bodyCapBytes });
        // Kept while the connection is open, so that switching capture off can stop it.
        const live = { stop: undefined as (() => void) | undefined, stopped: false };
        live.stop = observeConnection(tap, visitor, service, () => {
          live.stopped = true;
          if (live.stop) state.live.delete(live.stop);
        });
        if (!live.stopped) state.live.add(live.stop);
      } catch {
        // Capture must never cost the connection.
      }
    };
  }

  settings(exposureId: string): InspectorSettings {
    return { ...this.stateOf(exposureId).settings };
  }

  /** Changes settings; a smaller ring drops the oldest entries now, a new body cap applies to new requests. */
  configure(exposureId: string, changes: Partial<InspectorSettings>): InspectorSettings {
    const state = this.stateOf(exposureId);
    const next = { ...state.settings, ...changes };
    if (!Number.isInteger(next.ringSize) || next.ringSize < 1 || next.ringSize > MAX_RING_SIZE) {
      throw new PortholeError('PH_INSPECTOR', `inspector: ringSize must be a whole number from 1 to ${MAX_RING_SIZE} (got ${String(next.ringSize)})`);
    }
    if (!Number.isInteger(next.bodyCapBytes) || next.bodyCapBytes < 0 || next.bodyCapBytes > MAX_BODY_CAP_BYTES) {
      throw new PortholeError('PH_INSPECTOR', `inspector: bodyCapBytes must be a whole number from 0 to ${MAX_BODY_CAP_BYTES} (got ${String(next.bodyCapBytes)})`);
    }
    state.settings = next;
    if (!next.enabled) this.stopLive(state);
    this.store.trim(exposureId);
    return { ...next };
  }

  /** Capture on or off (off also stops watching open connections; the list is kept). */
  setEnabled(exposureId: string, enabled: boolean): void {
    this.configure(exposureId, { enabled });
  }

  /** Paused: new connections are not watched (open ones finish their entries); the list stays as it is. */
  pause(exposureId: string, paused: boolean): void {
    this.stateOf(exposureId).paused = paused;
  }

  isPaused(exposureId: string): boolean {
    return this.stateOf(exposureId).paused;
  }

  /** Oldest first. */
  list(exposureId: string): readonly CapturedEntry[] {
    return this.store.list(exposureId);
  }

  get(entryId: number): CapturedEntry | undefined {
    return this.store.get(entryId);
  }

  clear(exposureId: string): void {
    this.store.clear(exposureId);
  }

  /** Sends entry `entryId` again (edited, if `edits` say so) to its exposure's local service; resolves with the replay's entry. */
  async replay(entryId: number, edits: ReplayEdits = {}, timeoutMs?: number): Promise<CapturedEntry> {
    const original = this.entry(entryId);
    const state = this.stateOf(original.exposureId);
    const target = state.target;
    if (!target) throw new PortholeError('PH_INSPECTOR', `inspector: exposure ${original.exposureId} is not carried any more; nothing to replay against`);
    return replay(original, edits, {
      exposureId: original.exposureId,
      host: target.localHost,
      port: target.localPort,
      store: this.store,
      bodyCapBytes: state.settings.bodyCapBytes,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }

  /** The exposure's entries (or only `entryIds`) as HAR 1.2. */
  exportHar(exposureId: string, options: HarOptions & { entryIds?: readonly number[] } = {}): Promise<Har> {
    const wanted = options.entryIds ? new Set(options.entryIds) : undefined;
    const entries = this.store.list(exposureId).filter((entry) => !wanted || wanted.has(entry.id));
    return toHar(entries, options);
  }

  /** One entry as a curl command line. */
  exportCurl(entryId: number, options: CurlOptions = {}): string {
    const entry = this.entry(entryId);
    const command = toCurl(entry, options);
    if (command === undefined) throw new PortholeError('PH_INSPECTOR', `inspector: entry ${entryId} was not HTTP; it has no request to export`);
    return command;
  }

  onDidChange(listener: CaptureListener): Disposable {
    return this.store.onDidChange(listener);
  }

  /** Stops every tap (the engine is closing); lists stay readable. */
  close(): void {
    for (const state of this.exposures.values()) this.stopLive(state);
  }

  private entry(entryId: number): CapturedEntry {
    const entry = this.store.get(entryId);
    if (!entry) throw new PortholeError('PH_INSPECTOR', `inspector: no captured request ${entryId} (it may have left the list)`);
    return entry;
  }

  private stateOf(exposureId: string): ExposureState {
    let state = this.exposures.get(exposureId);
    if (!state) {
      state = { settings: { ...DEFAULT_INSPECTOR_SETTINGS }, paused: false, target: undefined, live: new Set() };
      this.exposures.set(exposureId, state);
    }
    return state;
  }

  private stopLive(state: ExposureState): void {
    for (const stop of [...state.live]) stop();
  }
}
