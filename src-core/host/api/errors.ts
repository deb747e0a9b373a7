/**
 * Errors as they cross the service boundary (style.md points 8 and 10): a plain, cloneable
 * envelope with a stable `code`, a one-line `message` and, for config mistakes, the place.
 * Callers check `code`, never `instanceof`: the envelope survives JSON, IPC and structured clone.
 *
 * Stability: `code` values are stable (new ones may be added); `message` is for people and may change.
 */

/** Where a config error is: 1-based line and column in the profile text, and the JSON path. */
export interface ErrorWhere {
  file?: string;
  line?: number;
  column?: number;
  path?: string;
}

/** What a failed call (or a failed engine start) carries across the boundary. */
export interface ErrorEnvelope {
  /** A stable code: the engine's `PH_CONFIG_*`, `PH_DIAL_*`, … or one of `SERVICE_ERROR_CODES`. */
  code: string;
  /** One line for people, e.g. `outbounds[0].protocol: protocol "socks" is not supported …`. */
  message: string;
  where?: ErrorWhere;
}

/** Codes the service and its transports add to the engine's own. */
export const SERVICE_ERROR_CODES = [
  /** The request was not JSON, or not `{method, args}`. */
  'PH_API_BAD_REQUEST',
  /** No such method in the contract. */
  'PH_API_UNKNOWN_METHOD',
  /** The arguments do not match the method's schema. */
  'PH_API_BAD_ARGUMENTS',
  /** No token, or the wrong one. */
  'PH_API_UNAUTHORIZED',
  /** The transport failed (dashboard unreachable, socket closed). */
  'PH_API_UNREACHABLE',
  'PH_PROFILE_NOT_FOUND',
  'PH_PROFILE_BAD_NAME',
  'PH_PROFILE_READ_ONLY',
  /** The engine cannot start: no profile is active. */
  'PH_ENGINE_NO_PROFILE',
  /** The engine could not start (a port in use, …); the message says why. */
  'PH_ENGINE_START_FAILED',
  /** An exposure's input is wrong (a port out of range, a local address already exposed). */
  'PH_EXPOSURE_BAD_INPUT',
  'PH_EXPOSURE_NOT_FOUND',
  /** Server setup needs a profile with a bridge whose link goes out through a VMess outbound. */
  'PH_SETUP_NO_BRIDGE',
  /** A Server setup choice is wrong (TLS without a server name, a path nginx or Caddy cannot take). */
  'PH_SETUP_BAD_INPUT',
  /** Set up my server: a request that cannot run (no host, a bad key file, a run already going); the message says why. */
  'PH_REMOTE_SETUP',
  /** Invites: the profile has no portal to invite to, the user is unknown, or the name is taken. */
  'PH_INVITE',
  /** A bug: the message is generic, details go to the engine's log. */
  'PH_INTERNAL',
] as const;

export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

/** An error the service throws on purpose; `toErrorEnvelope` keeps its code and place. */
export class ServiceError extends Error {
  constructor(readonly code: ServiceErrorCode | (string & {}), message: string, readonly where?: ErrorWhere) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** True when `value` looks like an `ErrorEnvelope` (for clients reading a response body). */
export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { code?: unknown; message?: unknown };
  return typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

const PLACE_KEYS = ['file', 'line', 'column', 'path'] as const;

/**
 * Any thrown value → an envelope. Errors with a string `code` (the engine's `PortholeError`,
 * `ServiceError`) keep code, message and place (`place` or `where`); anything else is a bug and
 * becomes `PH_INTERNAL` with a generic message, so no stack or internal detail leaks out.
 */
export function toErrorEnvelope(error: unknown): ErrorEnvelope {
  if (typeof error !== 'object' || error === null) return { code: 'PH_INTERNAL', message: 'internal error' };
  const candidate = error as { code?: unknown; message?: unknown; place?: unknown; where?: unknown };
  if (typeof candidate.code !== 'string' || !/^PH_[A-Z0-9_]+$/.test(candidate.code) || typeof candidate.message !== 'string') {
    return { code: 'PH_INTERNAL', message: 'internal error' };
  }
  const source = (typeof candidate.where === 'object' && candidate.where) || (typeof candidate.place === 'object' && candidate.place) || undefined;
  const where: ErrorWhere = {};
  if (source) {
    for (const key of PLACE_KEYS) {
      const value = (source as Record<string, unknown>)[key];
      if (key === 'line' || key === 'column') {
        if (typeof value === 'number') where[key] = value;
      } else if (typeof value === 'string') {
        where[key] = value;
      }
    }
  }
  return Object.keys(where).length > 0 ? { code: candidate.code, message: candidate.message, where } : { code: candidate.code, message: candidate.message };
}
