/**
 * When a certificate is renewed and how long a failed order waits before the next try. Pure, so
 * the numbers are tested without a CA.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** Renew with at most this much left, even for long-lived certificates (Let's Encrypt's advice). */
export const MAX_RENEW_BEFORE_MS = 30 * DAY_MS;

/**
 * How long before expiry to renew: a third of the lifetime or 30 days, whichever is smaller
 * (90-day certificates renew at 30 days left, 6-day ones at 2), unless `override` says otherwise.
 */
export function renewBeforeMs(notBefore: Date, notAfter: Date, override?: number): number {
  if (override !== undefined) return override;
  const lifetime = Math.max(0, notAfter.getTime() - notBefore.getTime());
  return Math.min(lifetime / 3, MAX_RENEW_BEFORE_MS);
}

/** The moment renewal is due. */
export function renewalDueAt(notBefore: Date, notAfter: Date, override?: number): number {
  return notAfter.getTime() - renewBeforeMs(notBefore, notAfter, override);
}

export interface RetryBackoff {
  /** Wait after the first failure. */
  readonly minMs: number;
  /** Longest wait, however many failures. */
  readonly maxMs: number;
}

/** Let's Encrypt allows 5 failed validations per name per hour: start at minutes, not seconds. */
export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { minMs: 5 * 60 * 1000, maxMs: 6 * 60 * 60 * 1000 };

/** The wait after `failures` failed orders in a row (1, 2, …): doubling from `minMs`, capped. */
export function retryDelayMs(failures: number, backoff: RetryBackoff = DEFAULT_RETRY_BACKOFF): number {
  const doublings = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(backoff.maxMs, backoff.minMs * 2 ** doublings);
}
