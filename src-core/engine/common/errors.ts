/**
 * One error type for everything a user can cause (style.md point 8): a stable `code`, a
 * severity, an optional place (file:line:column and JSON path, or a connection) and a cause
 * chain. Code checks `code`, never `instanceof`, so the check survives IPC and structured clone.
 * Bugs use `BugError`, which is never thrown for input.
 */

/** Stable error codes. Add new ones here; `errors.test.ts` covers each. */
export const ERROR_CODES = [
  'PH_CONFIG_SYNTAX',
  'PH_CONFIG_TYPE',
  'PH_CONFIG_VALUE',
  'PH_CONFIG_UNKNOWN_PROTOCOL',
  'PH_CONFIG_UNSUPPORTED',
  'PH_CONFIG_CROSS_CHECK',
  'PH_CONFIG_FILE',
  'PH_VMESS_AUTH_FAILED',
  'PH_VMESS_REPLAY',
  'PH_VMESS_BAD_HEADER',
  'PH_VMESS_BAD_CHUNK',
  /** VLESS: the request's UUID is no user of the inbound. */
  'PH_VLESS_AUTH_FAILED',
  /** VLESS: a request or response header that does not parse. */
  'PH_VLESS_BAD_HEADER',
  /** SOCKS: a greeting or request that does not parse, or a command the inbound does not serve. */
  'PH_SOCKS_BAD_REQUEST',
  /** SOCKS: no acceptable method, a wrong username/password, or SOCKS 4 where a password is required. */
  'PH_SOCKS_AUTH_FAILED',
  /** HTTP proxy: a request that does not parse, or one that is not for a proxy (no absolute URI). */
  'PH_HTTP_BAD_REQUEST',
  /** HTTP proxy: missing or wrong Basic `Proxy-Authorization` (answered with 407). */
  'PH_HTTP_AUTH_FAILED',
  'PH_MUX_BAD_FRAME',
  /** WebSocket: a frame RFC 6455 forbids (extension bits, wrong masking, a bad control or continuation frame). */
  'PH_WEBSOCKET_BAD_FRAME',
  'PH_MUX_UNKNOWN_SESSION',
  'PH_DIAL_REFUSED',
  'PH_DIAL_TIMEOUT',
  /** A bridge's link the portal has not answered yet (rejected credentials, or a stalled portal). */
  'PH_PORTAL_SILENT',
  'PH_DIAL_FAILED',
  'PH_CONNECTION_RESET',
  'PH_TIMEOUT',
  'PH_ROUTING_NO_OUTBOUND',
  'PH_REVERSE_NO_LINK',
  'PH_BUFFER_OVERFLOW',
  'PH_CLOSED',
  /** Exposure extension: the portal allows no exposures (no `exposures` in its config). */
  'PH_EXPOSE_NOT_ALLOWED',
  /** The public port asked for is outside the portal's range. */
  'PH_EXPOSE_OUT_OF_RANGE',
  /** The public port is in use (by another exposure or another program), or the range is full. */
  'PH_EXPOSE_PORT_TAKEN',
  /** The bridge's user already holds as many exposures as the portal allows one user (`maxPerUser`). */
  'PH_EXPOSE_LIMIT',
  /** The name asked for at the portal's edge is invalid or taken by another exposure. */
  'PH_EXPOSE_NAME',
  /** The portal gives no names (no `exposures.names`, or no custom domains): ask without one. */
  'PH_EXPOSE_NO_NAMES',
  /** Request inspector: no such captured request, a bad setting, or a request it cannot replay (body cut at the cap, an upgrade). */
  'PH_INSPECTOR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type Severity = 'debug' | 'info' | 'warning' | 'error';

/** Where an error happened: a config location, or a connection. */
export interface ErrorPlace {
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** JSON path such as `outbounds[1].settings.vnext[0].port`. */
  path?: string;
  connectionId?: number;
}

export interface PortholeErrorOptions extends ErrorPlace {
  severity?: Severity;
  cause?: unknown;
}

export class PortholeError extends Error {
  readonly code: ErrorCode;
  readonly severity: Severity;
  readonly place: ErrorPlace;
  override readonly cause: unknown;

  constructor(code: ErrorCode, message: string, options: PortholeErrorOptions = {}) {
    const { severity, cause, ...place } = options;
    super(cause === undefined ? message : `${message} > ${describeCause(cause)}`);
    this.name = 'PortholeError';
    this.code = code;
    this.severity = severity ?? 'error';
    this.place = place;
    this.cause = cause;
  }
}

/**
 * A PortholeError without a stack trace, for events a peer causes routinely on the data path (a
 * session the peer aborts while we still send, e.g. a download whose client went away). Its stack
 * would always point at the same frame, and capturing and formatting it (Node's stream
 * `destroy()` reads `.stack`) costs ~10 µs, more than the rest of the close.
 */
export function peerEventError(code: ErrorCode, message: string, options: PortholeErrorOptions = {}): PortholeError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new PortholeError(code, message, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A programming error: an invariant broke. Never thrown because of user input. */
export class BugError extends Error {
  constructor(message: string) {
    super(`bug: ${message}`);
    this.name = 'BugError';
  }
}

/** True when `value` is an error carrying `code` (works on clones that lost their prototype). */
export function hasErrorCode(value: unknown, code: ErrorCode): boolean {
  return typeof value === 'object' && value !== null && (value as { code?: unknown }).code === code;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/** `file:line:column: ` (or less, when parts are unknown); empty when nothing is known. */
export function formatPlace(place: ErrorPlace): string {
  if (!place.file && place.line === undefined) return '';
  const parts = [place.file ?? '<config>'];
  if (place.line !== undefined) parts.push(String(place.line));
  if (place.line !== undefined && place.column !== undefined) parts.push(String(place.column));
  return `${parts.join(':')}: `;
}

/** The one-line form a user sees: `file:line:column: json.path: message`. */
export function formatErrorLine(error: unknown): string {
  if (error instanceof PortholeError) {
    const path = error.place.path ? `${error.place.path}: ` : '';
    return `${formatPlace(error.place)}${path}${error.message}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
