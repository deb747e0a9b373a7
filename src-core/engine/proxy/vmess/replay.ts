/**
 * Replay protection for the VMess server, spec §1.6 steps 2 and 5. Time is always passed in
 * (unix seconds); nothing here reads a clock or runs a timer.
 *
 * - AuthID filter (`common/antireplay/replayfilter.go`): two pools; every check inserts into pool A
 *   then pool B and fails if either already held the AuthID. When 120 s have passed since the last
 *   swap, the older pool is emptied. An AuthID is therefore remembered for 120–240 s, which covers
 *   the ±120 s AuthID window. V2Ray's pools are cuckoo filters of 100 000 entries that refuse inserts
 *   when full (so a full pool rejects every request); the pools here are exact sets with the same cap.
 * - Session history (`proxy/vmess/encoding/server.go` SessionHistory): a (user, body key, body IV)
 *   triple is refused for 3 minutes after it was first seen; expired entries are pruned every 30 s.
 */
import {
  REPLAY_FILTER_CAPACITY,
  REPLAY_FILTER_INTERVAL_SECONDS,
  SESSION_HISTORY_PRUNE_SECONDS,
  SESSION_HISTORY_SECONDS,
} from './consts.js';

/** The two-pool AuthID replay filter. */
export class AuthIdReplayFilter {
  private poolA = new Set<string>();
  private poolB = new Set<string>();
  /** Which pool the next swap empties (false: B, true: A), as V2Ray's `poolSwap`. */
  private swapped = false;
  private lastSwap: number | undefined;

  constructor(
    private readonly intervalSeconds: number = REPLAY_FILTER_INTERVAL_SECONDS,
    private readonly capacity: number = REPLAY_FILTER_CAPACITY,
  ) {}

  /** Records `authId`; true when it is new, false for a replay (or when a pool is full). */
  check(authId: Buffer, nowSeconds: number): boolean {
    if (this.lastSwap === undefined) this.lastSwap = nowSeconds;
    if (nowSeconds - this.lastSwap >= this.intervalSeconds) {
      if (this.swapped) this.poolA = new Set();
      else this.poolB = new Set();
      this.swapped = !this.swapped;
      this.lastSwap = nowSeconds;
    }
    const key = authId.toString('latin1');
    return this.insertUnique(this.poolA, key) && this.insertUnique(this.poolB, key);
  }

  private insertUnique(pool: Set<string>, key: string): boolean {
    if (pool.has(key) || pool.size >= this.capacity) return false;
    pool.add(key);
    return true;
  }
}

/** Recently seen (user, body key, body IV) triples. */
export class SessionHistory {
  private readonly expiry = new Map<string, number>();
  private lastPrune: number | undefined;

  constructor(private readonly ttlSeconds: number = SESSION_HISTORY_SECONDS) {}

  /** Records the triple; false when it was seen within the TTL (a replayed or duplicated session). */
  addIfNotExists(userUuid: Buffer, bodyKey: Buffer, bodyIv: Buffer, nowSeconds: number): boolean {
    this.prune(nowSeconds);
    const key = Buffer.concat([userUuid, bodyKey, bodyIv]).toString('latin1');
    const expires = this.expiry.get(key);
    if (expires !== undefined && expires > nowSeconds) return false;
    this.expiry.set(key, nowSeconds + this.ttlSeconds);
    return true;
  }

  /** Number of remembered triples (expired ones may linger until the next prune). */
  get size(): number {
    return this.expiry.size;
  }

  private prune(nowSeconds: number): void {
    if (this.lastPrune !== undefined && nowSeconds - this.lastPrune < SESSION_HISTORY_PRUNE_SECONDS) return;
    this.lastPrune = nowSeconds;
    for (const [key, expires] of this.expiry) if (expires < nowSeconds) this.expiry.delete(key);
  }
}
