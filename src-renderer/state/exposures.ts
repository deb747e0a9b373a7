/**
 * Exposures (issue 7/7): local services made reachable on a public port. The list and the
 * pause flag come with every snapshot; actions call the service and show its answer at once, so
 * a click does not wait for the next snapshot. A snapshot sampled before an action's answer
 * could briefly undo it (an added row vanishing, a removed one coming back): the slice remembers
 * what it just did for `EXPOSURE_HOLD_MS` and lets newer snapshots win after that.
 */
import { exposureIdOfTag } from '../../src-core/host/api/index.js';
import type { EngineSnapshot, ErrorEnvelope, ExposureInput, ExposurePatch, ExposureState, ExposureStatus, TagTraffic } from '../../src-core/host/api/index.js';
import { asSentence } from '../format.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

/** How long the slice trusts its own action results over snapshots (a few snapshot periods). */
export const EXPOSURE_HOLD_MS = 2500;

/** Places for inline errors besides rows (by exposure id): the add form, the Overview's one click. */
export const ADD_FORM = 'add';
export const ONE_CLICK = 'one-click';

/** The one click's local port (product.md: "Expose localhost:80"). */
export const ONE_CLICK_PORT = 80;

export interface ExposuresSlice {
  exposures: ExposureStatus[];
  exposuresPaused: boolean;
  /** The last failed call per place (`ADD_FORM` or an exposure id), shown inline there. */
  exposureErrors: Record<string, ErrorEnvelope>;
  /** Places with a call in flight (`ADD_FORM`, an exposure id, or `'pause'`). */
  exposureBusy: Record<string, true>;
  /** The exposure the last add returned, and when (the Overview highlights it for a moment). */
  lastAddedExposure: string | null;
  lastAddedAt: number;
  /** Local changes not yet confirmed by a snapshot: id → what was done, and when (local clock). */
  exposureHolds: Record<string, { kind: 'upsert'; status: ExposureStatus; at: number } | { kind: 'removed'; at: number }>;
  applyExposureSnapshot(snapshot: Pick<EngineSnapshot, 'exposures' | 'exposuresPaused'>, now?: number): void;
  loadExposures(): Promise<void>;
  /**
   * Adds (or re-enables) an exposure; resolves with it, or null when the service refused (the
   * error is kept under `place`: the add form by default, or e.g. the Overview's one click).
   */
  addExposure(input: ExposureInput, place?: string): Promise<ExposureStatus | null>;
  updateExposure(id: string, patch: ExposurePatch): Promise<boolean>;
  removeExposure(id: string): Promise<boolean>;
  setExposuresPaused(paused: boolean): Promise<void>;
  dismissExposureError(place: string): void;
}

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const next = { ...record };
  delete next[key];
  return next;
}

function upsert(list: readonly ExposureStatus[], status: ExposureStatus): ExposureStatus[] {
  const index = list.findIndex((item) => item.id === status.id);
  if (index < 0) return [...list, status];
  const next = list.slice();
  next[index] = status;
  return next;
}

export const createExposuresSlice: SliceCreator<ExposuresSlice> = (set, get) => {
  /** Runs one service call for a place: busy while in flight, its error kept there on failure. */
  async function run<T>(place: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    set((state) => ({ exposureBusy: { ...state.exposureBusy, [place]: true }, exposureErrors: without(state.exposureErrors, place) }));
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      set((state) => ({ exposureErrors: { ...state.exposureErrors, [place]: envelopeOf(error) } }));
      return { ok: false };
    } finally {
      set((state) => ({ exposureBusy: without(state.exposureBusy, place) }));
    }
  }

  function confirm(status: ExposureStatus): void {
    set((state) => ({
      exposures: upsert(state.exposures, status),
      exposureHolds: { ...state.exposureHolds, [status.id]: { kind: 'upsert', status, at: Date.now() } },
    }));
  }

  return {
    exposures: [],
    exposuresPaused: false,
    exposureErrors: {},
    exposureBusy: {},
    lastAddedExposure: null,
    lastAddedAt: 0,
    exposureHolds: {},
    applyExposureSnapshot: (snapshot, now = Date.now()) => {
      const holds = get().exposureHolds;
      const active = Object.entries(holds).filter(([, hold]) => now - hold.at < EXPOSURE_HOLD_MS);
      if (active.length === 0) {
        set({ exposures: snapshot.exposures, exposuresPaused: snapshot.exposuresPaused, ...(Object.keys(holds).length > 0 ? { exposureHolds: {} } : {}) });
        return;
      }
      let exposures = snapshot.exposures.slice();
      for (const [id, hold] of active) {
        if (hold.kind === 'removed') {
          exposures = exposures.filter((item) => item.id !== id);
          continue;
        }
        const index = exposures.findIndex((item) => item.id === id);
        // The snapshot's state and traffic are news; what the user just set is not to be undone.
        const { name, enabled, publicPort, label, access } = hold.status;
        if (index < 0) exposures.push(hold.status);
        else {
          const sampled = exposures[index] as ExposureStatus;
          // A snapshot from before a new label still names the old URL: keep the answer's until it catches up.
          const urls = sampled.label === label ? sampled.urls : hold.status.urls;
          exposures[index] = { ...sampled, name, enabled, publicPort, label, access, urls };
        }
      }
      set({ exposures, exposuresPaused: snapshot.exposuresPaused, exposureHolds: Object.fromEntries(active) });
    },
    loadExposures: async () => {
      const result = await run('list', () => engineService().listExposures());
      if (result.ok) set({ exposures: result.value });
    },
    addExposure: async (input, place = ADD_FORM) => {
      const result = await run(place, () => engineService().addExposure(input));
      if (!result.ok) return null;
      confirm(result.value);
      set((state) => ({ lastAddedExposure: result.value.id, lastAddedAt: Date.now(), exposureErrors: without(state.exposureErrors, result.value.id) }));
      return result.value;
    },
    updateExposure: async (id, patch) => {
      const result = await run(id, () => engineService().updateExposure(id, patch));
      if (result.ok) confirm(result.value);
      return result.ok;
    },
    removeExposure: async (id) => {
      const result = await run(id, () => engineService().removeExposure(id));
      if (!result.ok) return false;
      set((state) => ({
        exposures: state.exposures.filter((item) => item.id !== id),
        exposureHolds: { ...state.exposureHolds, [id]: { kind: 'removed', at: Date.now() } },
        lastAddedExposure: state.lastAddedExposure === id ? null : state.lastAddedExposure,
      }));
      return true;
    },
    setExposuresPaused: async (paused) => {
      const before = get().exposuresPaused;
      set({ exposuresPaused: paused });
      const result = await run('pause', () => engineService().setExposuresPaused(paused));
      if (!result.ok) set({ exposuresPaused: before });
    },
    dismissExposureError: (place) => set((state) => ({ exposureErrors: without(state.exposureErrors, place) })),
  };
};

/** How a state reads in the UI, and its pill colour. */
export const EXPOSURE_STATE_LOOK: Record<ExposureState, { label: string; tone: '' | 'ok' | 'warn' | 'danger' }> = {
  live: { label: 'Live', tone: 'ok' },
  requesting: { label: 'Requesting…', tone: 'warn' },
  'setup-needed': { label: 'Server setup needed', tone: 'warn' },
  offline: { label: 'Offline', tone: '' },
  refused: { label: 'Refused', tone: 'danger' },
  'local-down': { label: 'Local port closed', tone: 'danger' },
  disabled: { label: 'Off', tone: '' },
};

/** `127.0.0.1:3000`, with IPv6 hosts bracketed. */
export function localAddressOf(exposure: Pick<ExposureStatus, 'localHost' | 'localPort'>): string {
  const host = exposure.localHost.includes(':') && !exposure.localHost.startsWith('[') ? `[${exposure.localHost}]` : exposure.localHost;
  return `${host}:${exposure.localPort}`;
}

/** True when the public address is worth copying (live, or where Server setup will put it). */
export function hasUsableAddress(exposure: Pick<ExposureStatus, 'state' | 'publicAddress'>): exposure is Pick<ExposureStatus, 'state'> & { publicAddress: string } {
  return exposure.publicAddress !== null && (exposure.state === 'live' || exposure.state === 'setup-needed' || exposure.state === 'local-down');
}

/**
 * What to give out: `http://host:port` when the local service answered an HTTP request (the
 * service's probe asks once each time it starts answering), else `host:port` (a database, SSH…,
 * or not checked yet). Decided by asking, never guessed from the port number.
 */
export function shareableAddress(exposure: Pick<ExposureStatus, 'publicAddress' | 'localHttp'>): string | null {
  if (exposure.publicAddress === null) return null;
  return exposure.localHttp === true ? `http://${exposure.publicAddress}` : exposure.publicAddress;
}


/**
 * What is wrong, in one sentence for people, or null: the portal's refusal first, then a local
 * service that does not answer (kept and retried, never dropped).
 */
export function exposureProblem(exposure: Pick<ExposureStatus, 'state' | 'problem' | 'localReachable' | 'localHost' | 'localPort'>): { tone: 'danger' | 'warn'; text: string } | null {
  if (exposure.state === 'disabled') return null;
  if (exposure.problem) return { tone: exposure.state === 'refused' ? 'danger' : 'warn', text: asSentence(exposure.problem.message) };
  if (exposure.localReachable === false) return { tone: 'warn', text: `Nothing is listening on ${localAddressOf(exposure)} — will retry.` };
  return null;
}

export { EXPOSURE_TAG_PREFIX, exposureIdOfTag, exposureTag } from '../../src-core/host/api/index.js';

/**
 * What the add form's fields mean, checked as the service's schema does, so a typo is said next
 * to the field without a round trip. Returns the input, or the first problem.
 */
export function parseExposureForm(fields: { localHost: string; localPort: string; name: string; publicPort: string }): { ok: true; input: ExposureInput } | { ok: false; field: keyof typeof fields; message: string } {
  const port = (text: string): number | null => (/^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535 ? Number(text) : null);
  const localHost = fields.localHost.trim();
  if (localHost && !/^(?:[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?)$/.test(localHost)) return { ok: false, field: 'localHost', message: 'A host is a name or an IP address, without a port.' };
  const localPort = port(fields.localPort.trim());
  if (localPort === null) return { ok: false, field: 'localPort', message: 'The local port is a number from 1 to 65535.' };
  const publicText = fields.publicPort.trim();
  const publicPort = publicText ? port(publicText) : null;
  if (publicText && publicPort === null) return { ok: false, field: 'publicPort', message: 'The public port is a number from 1 to 65535, or empty to let the portal pick.' };
  const name = fields.name.trim();
  if (name.length > 60) return { ok: false, field: 'name', message: 'A name is at most 60 characters.' };
  return {
    ok: true,
    input: { localPort, ...(localHost ? { localHost } : {}), ...(name ? { name } : {}), ...(publicPort !== null ? { publicPort } : {}) },
  };
}

/** An exposure's traffic tag with the exposure it belongs to (null once removed). */
export interface ExposureTraffic {
  tag: TagTraffic;
  id: string;
  exposure: ExposureStatus | null;
}

/** Splits the tags into the exposures' (`exposure:<id>`, in the exposures' order) and the config's own. Pure. */
export function splitExposureTags(tags: readonly TagTraffic[], exposures: readonly ExposureStatus[]): { exposureTags: ExposureTraffic[]; otherTags: TagTraffic[] } {
  const order = new Map(exposures.map((exposure, index) => [exposure.id, index]));
  const exposureTags: ExposureTraffic[] = [];
  const otherTags: TagTraffic[] = [];
  for (const tag of tags) {
    const id = exposureIdOfTag(tag.tag);
    if (id === null) {
      otherTags.push(tag);
      continue;
    }
    // One card per exposure: its connections' outbound tag (an inbound of the same name, if any, is the same traffic).
    const seen = exposureTags.findIndex((entry) => entry.id === id);
    const entry = { tag, id, exposure: exposures.find((exposure) => exposure.id === id) ?? null };
    if (seen < 0) exposureTags.push(entry);
    else if (tag.direction === 'outbound') exposureTags[seen] = entry;
  }
  exposureTags.sort((a, b) => (order.get(a.id) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.id) ?? Number.MAX_SAFE_INTEGER) || a.id.localeCompare(b.id));
  return { exposureTags, otherTags };
}
