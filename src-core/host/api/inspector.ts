/**
 * The request inspector's shapes as the UI sees them (issue 6/7): a summary per captured request
 * for the live list (no headers, no bodies), one entry in full for the detail view (bodies
 * base64, decoded from their Content-Encoding with a bounded size, secret headers masked unless
 * revealed), the settings kept per exposure, and the batched change events. Pure types.
 */

/** `http`: a request and its answer; `websocket`: an upgrade, its messages summarised; `tunnel`: another upgrade or CONNECT; `not-http`: bytes only. */
export type InspectorEntryKind = 'http' | 'websocket' | 'tunnel' | 'not-http';

/** One row of the live list. */
export interface InspectorSummary {
  /** Unique while this engine runs (a restarted engine starts a new list). */
  id: number;
  exposureId: string;
  kind: InspectorEntryKind;
  /** Epoch ms of the request's first byte. */
  startedAt: number;
  durationMs: number | null;
  state: 'open' | 'complete' | 'aborted';
  /** The visitor's address (X-Forwarded-For from the portal's edge), `unknown`, or `replay`. */
  visitor: string;
  method: string | null;
  /** The request-target as sent (path and query). */
  target: string | null;
  status: number | null;
  /** Bytes on the wire each way (head and body); for not-http and tunnels, the raw bytes. */
  requestSize: number;
  responseSize: number;
  /** The response's Content-Type, if any (shown as a hint). */
  contentType: string | null;
  /** The entry this one replayed, or null. */
  replayOf: number | null;
  /** WebSocket messages each way, for upgrades. */
  messages: { fromVisitor: number; fromService: number } | null;
  note: string | null;
}

/** How the UI shows a body. `image`: an `image/*` Content-Type the UI may preview. */
export type InspectorBodyView = 'json' | 'form' | 'text' | 'hex' | 'image' | 'empty';

/** A body, decoded for display. */
export interface InspectorBody {
  /** The shown bytes (after undoing `codings`), base64; at most `INSPECTOR_SHOWN_BODY_BYTES`. */
  base64: string;
  /** Bytes of the body on the wire (transfer framing removed, content coding kept), counted in full. */
  size: number;
  /** Bytes the capture kept (at most the exposure's body cap). */
  capturedBytes: number;
  /** True when the capture kept less than `size` (cut at the body cap). */
  truncated: boolean;
  /** The body cap in force when this was asked for. */
  capBytes: number;
  /** Content codings undone, e.g. ['gzip']. */
  codings: string[];
  /** Bytes after decoding, before the display cap. */
  decodedBytes: number;
  /** True when `base64` holds less than the decoded body (the display cap, or a cut capture). */
  partial: boolean;
  /** Why decoding stopped (an unknown coding, corrupt data), else null. */
  problem: string | null;
  view: InspectorBodyView;
  contentType: string | null;
}

/** A header as sent: name's case kept, value masked unless revealed. */
export type InspectorHeader = [name: string, value: string];

export interface InspectorRequest {
  method: string;
  target: string;
  httpVersion: string;
  headers: InspectorHeader[];
  body: InspectorBody;
  size: number;
}

export interface InspectorResponse {
  status: number;
  reason: string;
  httpVersion: string;
  headers: InspectorHeader[];
  body: InspectorBody;
  size: number;
  /** 1xx statuses before this one. */
  interim: number[];
}

export interface InspectorWebSocketDirection {
  bytes: number;
  frames: number;
  messages: number;
  firstTexts: string[];
}

/** One captured request in full, for the detail view. */
export interface InspectorEntry extends InspectorSummary {
  connectionId: number;
  /** True when the headers are shown as sent (the user revealed them). */
  revealed: boolean;
  /** True when some header value was masked. */
  hasSecrets: boolean;
  request: InspectorRequest | null;
  response: InspectorResponse | null;
  websocket: { fromVisitor: InspectorWebSocketDirection; fromService: InspectorWebSocketDirection; closeCode: number | null } | null;
  rawBytes: { fromVisitor: number; fromService: number } | null;
}

/** Per exposure; kept in the service's settings file. */
export interface InspectorSettings {
  /** Capture this exposure's requests (default true). */
  enabled: boolean;
  /** Entries kept, oldest dropped first: 1–100,000 (default 500). */
  ringSize: number;
  /** Bytes kept of each request and response body: 0–64 MiB (default 1 MiB). */
  bodyCapBytes: number;
}

/** What `listInspectorEntries` returns. */
export interface InspectorList {
  exposureId: string;
  /** Oldest first. */
  entries: InspectorSummary[];
  paused: boolean;
  settings: InspectorSettings;
  /** False when no engine runs (nothing is captured; the list is empty). */
  running: boolean;
}

/** What to change of a request when replaying it; left out: as captured. */
export interface InspectorReplayEdits {
  method?: string;
  /** The request-target, e.g. `/api/items?id=2`. */
  target?: string;
  /** Replaces all headers (Content-Length is set by the replay). */
  headers?: InspectorHeader[];
  /** The body as UTF-8 text. */
  body?: string;
}

/**
 * One batch of list changes for one exposure (the `inspector` event carries several, at most a
 * few batches a second): rows added or changed, ids gone. `reset`: the list was cleared, or too
 * much changed at once, or the engine restarted: fetch it again with `listInspectorEntries`.
 */
export interface InspectorChange {
  exposureId: string;
  upserted: InspectorSummary[];
  removed: number[];
  reset: boolean;
}

/** Most decoded bytes of one body sent to the UI (the rest is counted, not shown). */
export const INSPECTOR_SHOWN_BODY_BYTES = 1024 * 1024;
