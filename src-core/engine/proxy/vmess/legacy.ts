/**
 * The legacy (pre-AEAD, "MD5") VMess header, used by a 4.34 client whose user has `alterId` > 0
 * and still accepted by a 4.34 server for any user (spec §1.6 step 3).
 * Sources: `proxy/vmess/encoding/{client,server}.go`, `proxy/vmess/validator.go`, `common/protocol/id.go`.
 *
 * Request on the wire:
 *   [0,16)   user hash = HMAC-MD5(key = uuid16 of the primary ID or any alter ID, uint64 BE timestamp)
 *   [16,…)   AES-128-CFB(key = cmdKey of the PRIMARY ID, iv = MD5(timestamp ×4 as uint64 BE)) of the
 *            request header plaintext (codec.ts); the body follows unencrypted by this stream.
 *   The client picks the timestamp as now ± 30 s; the server accepts hashes for now ± 120 s.
 *
 * Response: AES-128-CFB(key = MD5(bodyKey), iv = MD5(bodyIV)) of [V, options, command, N, command…];
 * with security "legacy" the response body continues in that same CFB stream.
 *
 * The CFB streams come from common/crypto/aes-cfb.ts: node:crypto's where the runtime has
 * aes-128-cfb, else CFB built on aes-128-ecb (docs/crypto.md).
 */
import { createHash, createHmac, randomInt } from 'node:crypto';
import { createAesCfb, type StreamCipher } from '../../common/crypto/aes-cfb.js';
import type { VmessId, VmessUser } from './account.js';
import { AUTH_WINDOW_SECONDS, LEGACY_TIMESTAMP_JITTER_SECONDS } from './consts.js';

function uint64(timestamp: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt.asUintN(64, BigInt(timestamp)));
  return out;
}

/** `HMAC-MD5(uuid16, uint64 BE timestamp)`: the 16-byte user hash that opens a legacy request. */
export function legacyUserHash(uuid: Buffer, timestamp: number): Buffer {
  return createHmac('md5', uuid).update(uint64(timestamp)).digest();
}

/** `MD5(ts ‖ ts ‖ ts ‖ ts)`, each a uint64 BE: the IV of the legacy request header stream. */
export function legacyHeaderIv(timestamp: number): Buffer {
  const ts = uint64(timestamp);
  return createHash('md5').update(ts).update(ts).update(ts).update(ts).digest();
}

/** A match of a legacy user hash. */
export interface LegacyMatch<T> {
  user: VmessUser<T>;
  /** The ID whose hash matched (primary or an alter ID). */
  id: VmessId;
  timestamp: number;
  /** The matched hash, for {@link LegacyUserValidator.taint}. */
  userHash: Buffer;
}

interface Entry<T> {
  user: VmessUser<T>;
  id: VmessId;
  timestamp: number;
  tainted: boolean;
}

/**
 * The legacy half of `TimedUserValidator`: user hashes for every ID of every user and every second
 * in `[now − 120, now + 120]`, generated incrementally as `now` moves. A hash that was seen in a
 * request that then failed (duplicate session, bad checksum) is "tainted" and refused from then on.
 */
export class LegacyUserValidator<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Hashes per timestamp, so a second leaving the window is dropped in one step. */
  private readonly buckets = new Map<number, string[]>();

  constructor(private readonly users: readonly VmessUser<T>[]) {}

  /** Finds the user and timestamp behind a 16-byte hash; `undefined` if unknown or tainted. */
  lookup(userHash: Buffer, nowSeconds: number): LegacyMatch<T> | undefined {
    this.update(nowSeconds);
    const entry = this.entries.get(userHash.toString('latin1'));
    if (!entry || entry.tainted) return undefined;
    return { user: entry.user, id: entry.id, timestamp: entry.timestamp, userHash: Buffer.from(userHash) };
  }

  /** Refuses `userHash` (one that {@link lookup} returned) from now on (`BurnTaintFuse`). */
  taint(userHash: Buffer): void {
    const entry = this.entries.get(userHash.toString('latin1'));
    if (entry) entry.tainted = true;
  }

  private update(nowSeconds: number): void {
    const first = nowSeconds - AUTH_WINDOW_SECONDS;
    const last = nowSeconds + AUTH_WINDOW_SECONDS;
    for (const [timestamp, keys] of this.buckets) {
      if (timestamp >= first && timestamp <= last) continue;
      for (const key of keys) this.entries.delete(key);
      this.buckets.delete(timestamp);
    }
    for (let timestamp = first; timestamp <= last; timestamp++) {
      if (this.buckets.has(timestamp)) continue;
      const keys: string[] = [];
      for (const user of this.users) {
        for (const id of [user.id, ...user.alterIds]) {
          const key = legacyUserHash(id.uuid, timestamp).toString('latin1');
          keys.push(key);
          this.entries.set(key, { user, id, timestamp, tainted: false });
        }
      }
      this.buckets.set(timestamp, keys);
    }
  }
}

/** A decipher for the legacy request header stream of `match`. */
export function createLegacyHeaderDecipher(primaryCmdKey: Buffer, timestamp: number): StreamCipher {
  return createAesCfb(primaryCmdKey, legacyHeaderIv(timestamp), 'decrypt');
}

export interface SealLegacyRequestOptions {
  /** Default: now ± 30 s, as the 4.34 client jitters it. */
  timestamp?: number;
  nowSeconds?: number;
  /** The ID whose hash opens the request (default: a random one of primary + alter IDs, as `AnyValidID`). */
  id?: VmessId;
}

/** Client side: user hash ‖ CFB(primary cmdKey) of the request header plaintext. */
export function sealLegacyRequestHeader(
  user: Pick<VmessUser<unknown>, 'id' | 'alterIds'>,
  plaintext: Buffer,
  options: SealLegacyRequestOptions = {},
): Buffer {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const timestamp =
    options.timestamp ?? now + randomInt(2 * LEGACY_TIMESTAMP_JITTER_SECONDS) - LEGACY_TIMESTAMP_JITTER_SECONDS;
  const id = options.id ?? (user.alterIds.length === 0 ? user.id : user.alterIds[randomInt(user.alterIds.length)]!);
  const cipher = createAesCfb(user.id.cmdKey, legacyHeaderIv(timestamp), 'encrypt');
  return Buffer.concat([legacyUserHash(id.uuid, timestamp), cipher.update(plaintext)]);
}

/** The CFB stream of the legacy response (header, then a legacy-security body). */
export function createLegacyResponseCipher(responseKey: Buffer, responseIv: Buffer): StreamCipher {
  return createAesCfb(responseKey, responseIv, 'encrypt');
}

export function createLegacyResponseDecipher(responseKey: Buffer, responseIv: Buffer): StreamCipher {
  return createAesCfb(responseKey, responseIv, 'decrypt');
}
