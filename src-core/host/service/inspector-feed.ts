/**
 * The service's side of the request inspector (issue 6/7): the running engine's `Inspector`
 * behind the contract's calls, its settings kept per exposure in the settings file (the engine
 * keeps them in memory only, and a new engine starts from the defaults), and its changes pushed
 * to listeners in batches: at most one per `flushMs` however busy the exposure is, and a "reset"
 * instead of a flood when too much changed at once (style.md anti-pattern 5).
 */
import type { InspectorChange, InspectorEntry, InspectorList, InspectorReplayEdits, InspectorSettings, InspectorSummary } from '../api/index.js';
import { ServiceError } from '../api/index.js';
import type { Disposable } from '../../engine/common/disposable.js';
import { DEFAULT_INSPECTOR_SETTINGS } from '../../engine/app/inspector/inspector.js';
import type { CaptureChange } from '../../engine/app/inspector/capture-store.js';
import type { Instance } from '../../engine/instance.js';
import type { HeaderField } from '../../engine/common/http-parser.js';
import { MASK, maskHeaderValue } from '../../engine/app/inspector/masking.js';
import { findExposure, type StoredExposure } from './exposure-list.js';
import { inspectorEntry, inspectorSummary, latin1ToText } from './inspector-view.js';

/** Rows in one batch for one exposure; more, and the UI is told to fetch the list again. */
export const INSPECTOR_BATCH_MAX = 500;

/** A text value as header bytes (UTF-8), in the latin1 string form the engine keeps headers in. */
function textToLatin1(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** `edited` with each value that still shows the mask put back to the captured value it stands for. */
export function unmaskedHeaders(edited: readonly [string, string][], captured: readonly HeaderField[]): [string, string][] {
  const used = new Set<number>();
  return edited.map(([name, value]): [string, string] => {
    if (value.includes(MASK)) {
      const key = name.toLowerCase();
      const index = captured.findIndex(([field, raw], at) => !used.has(at) && field.toLowerCase() === key && maskHeaderValue(field, latin1ToText(raw)) === value);
      const match = captured[index];
      if (match) {
        used.add(index);
        return [name, match[1]];
      }
    }
    return [name, textToLatin1(value)];
  });
}

export interface InspectorFeedOptions {
  /** The running engine, if any. */
  instance(): Instance | undefined;
  /** The exposures the service keeps (their `inspector` field holds the settings). */
  exposures(): readonly StoredExposure[];
  /** Writes the settings file. */
  save(): Promise<void>;
  /** Batching period; default 250 ms. */
  flushMs?: number;
  /** HAR `creator.version`. */
  version?: string;
}

interface Pending {
  upserted: Set<number>;
  removed: Set<number>;
  reset: boolean;
}

export class InspectorFeed {
  private readonly listeners = new Set<(changes: InspectorChange[]) => void>();
  private readonly paused = new Set<string>();
  private pending = new Map<string, Pending>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The engine whose inspector was last set up, and the subscription to it while anyone listens. */
  private attached: Instance | undefined;
  private subscription: Disposable | undefined;

  constructor(private readonly options: InspectorFeedOptions) {}

  /**
   * Call after the engine started, stopped or got new exposures: a new engine gets the kept
   * settings and pauses, and listeners are told to fetch their lists again.
   */
  sync(): void {
    const instance = this.options.instance();
    if (instance !== this.attached) {
      this.subscription?.dispose();
      this.subscription = undefined;
      this.attached = instance;
      if (this.listeners.size > 0) {
        for (const exposure of this.options.exposures()) this.mark(exposure.id).reset = true;
        this.schedule();
      }
    }
    if (!instance) return;
    for (const exposure of this.options.exposures()) {
      // Only what differs from the engine's defaults: an exposure it does not carry yet needs nothing.
      if (exposure.inspector) instance.inspector.configure(exposure.id, exposure.inspector);
      if (this.paused.has(exposure.id)) instance.inspector.pause(exposure.id, true);
    }
    if (this.listeners.size > 0 && !this.subscription) this.subscription = instance.inspector.onDidChange((change) => this.note(change));
  }

  list(exposureId: string): InspectorList {
    findExposure(this.options.exposures(), exposureId);
    const instance = this.options.instance();
    return {
      exposureId,
      entries: instance ? instance.inspector.list(exposureId).map(inspectorSummary) : [],
      paused: this.paused.has(exposureId),
      settings: this.settingsOf(exposureId),
      running: instance !== undefined,
    };
  }

  async get(id: number, reveal: boolean): Promise<InspectorEntry> {
    const instance = this.running();
    const entry = instance.inspector.get(id);
    if (!entry) throw new ServiceError('PH_INSPECTOR', `inspector: no captured request ${id} (it may have left the list)`);
    return inspectorEntry(entry, reveal, instance.inspector.settings(entry.exposureId).bodyCapBytes);
  }

  clear(exposureId: string): void {
    findExposure(this.options.exposures(), exposureId);
    this.options.instance()?.inspector.clear(exposureId);
  }

  setPaused(exposureId: string, paused: boolean): void {
    findExposure(this.options.exposures(), exposureId);
    if (paused) this.paused.add(exposureId);
    else this.paused.delete(exposureId);
    this.options.instance()?.inspector.pause(exposureId, paused);
  }

  /** Checks and applies a change (the engine checks the ranges again), then keeps it in the settings file. */
  async setSettings(exposureId: string, patch: Partial<InspectorSettings>): Promise<InspectorSettings> {
    const exposure = findExposure(this.options.exposures(), exposureId);
    const next = { ...this.settingsOf(exposureId), ...patch };
    this.options.instance()?.inspector.configure(exposureId, next);
    const isDefault = next.enabled === DEFAULT_INSPECTOR_SETTINGS.enabled && next.ringSize === DEFAULT_INSPECTOR_SETTINGS.ringSize && next.bodyCapBytes === DEFAULT_INSPECTOR_SETTINGS.bodyCapBytes;
    if (isDefault) delete exposure.inspector;
    else exposure.inspector = next;
    await this.options.save();
    return { ...next };
  }

  /**
   * Edited headers come from a form that showed secrets masked: a value still masked is sent as
   * captured (the UI never needed the secret to replay it). Values are text: sent as UTF-8.
   */
  async replay(id: number, edits: InspectorReplayEdits = {}): Promise<InspectorSummary> {
    const inspector = this.running().inspector;
    const { body, headers, ...rest } = edits;
    const original = inspector.get(id);
    const fields = headers && original?.request ? unmaskedHeaders(headers, original.request.headers) : headers?.map(([name, value]): [string, string] => [name, textToLatin1(value)]);
    const entry = await inspector.replay(id, {
      ...rest,
      ...(fields ? { headers: fields } : {}),
      ...(body === undefined ? {} : { body: Buffer.from(body, 'utf8') }),
    });
    return inspectorSummary(entry);
  }

  async exportHar(exposureId: string, options: { reveal?: boolean; entryIds?: number[] } = {}): Promise<string> {
    findExposure(this.options.exposures(), exposureId);
    const instance = this.options.instance();
    const har = instance
      ? await instance.inspector.exportHar(exposureId, { ...options, ...(this.options.version ? { version: this.options.version } : {}) })
      : { log: { version: '1.2', creator: { name: 'Porthole', version: this.options.version ?? '' }, entries: [] } };
    return `${JSON.stringify(har, null, 2)}\n`;
  }

  exportCurl(id: number, reveal: boolean): string {
    return this.running().inspector.exportCurl(id, { reveal });
  }

  /** Batches of list changes for every exposure. */
  onDidChange(listener: (changes: InspectorChange[]) => void): () => void {
    this.listeners.add(listener);
    const instance = this.options.instance();
    if (instance && instance === this.attached && !this.subscription) this.subscription = instance.inspector.onDidChange((change) => this.note(change));
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      // Nobody listens: the engine's store then announces nothing (it skips the work per request).
      this.subscription?.dispose();
      this.subscription = undefined;
    };
  }

  /** Sends what is pending now (tests; and on close). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    const inspector = this.attached?.inspector;
    const changes: InspectorChange[] = [];
    for (const [exposureId, { upserted, removed, reset }] of pending) {
      if (reset || upserted.size > INSPECTOR_BATCH_MAX) {
        changes.push({ exposureId, upserted: [], removed: [], reset: true });
        continue;
      }
      const rows: InspectorSummary[] = [];
      for (const id of upserted) {
        const entry = inspector?.get(id);
        if (entry) rows.push(inspectorSummary(entry));
      }
      changes.push({ exposureId, upserted: rows, removed: [...removed], reset: false });
    }
    for (const listener of this.listeners) listener(changes);
  }

  close(): void {
    this.flush();
    this.listeners.clear();
    this.subscription?.dispose();
    this.subscription = undefined;
  }

  private settingsOf(exposureId: string): InspectorSettings {
    const exposure = this.options.exposures().find((candidate) => candidate.id === exposureId);
    return { ...DEFAULT_INSPECTOR_SETTINGS, ...exposure?.inspector };
  }

  private running(): Instance {
    const instance = this.options.instance();
    if (!instance) throw new ServiceError('PH_INSPECTOR', 'inspector: the engine is stopped; its captured requests went with it');
    return instance;
  }

  private note(change: CaptureChange): void {
    const pending = this.mark(change.exposureId);
    if (change.kind === 'cleared') {
      pending.reset = true;
      pending.upserted.clear();
      pending.removed.clear();
    } else if (change.kind === 'removed') {
      for (const id of change.ids) {
        pending.upserted.delete(id);
        pending.removed.add(id);
      }
    } else {
      for (const id of change.ids) pending.upserted.add(id);
    }
    this.schedule();
  }

  private mark(exposureId: string): Pending {
    let pending = this.pending.get(exposureId);
    if (!pending) {
      pending = { upserted: new Set(), removed: new Set(), reset: false };
      this.pending.set(exposureId, pending);
    }
    return pending;
  }

  private schedule(): void {
    if (this.timer || this.listeners.size === 0) return;
    this.timer = setTimeout(() => this.flush(), this.options.flushMs ?? 250);
    this.timer.unref?.();
  }
}
