/**
 * Policy levels (V2Ray's `app/policy`), read from the typed config: `policyForLevel` applies
 * V2Ray's defaults, this converts to milliseconds and bounds the buffer.
 */
import { policyForLevel, type PortholeConfig } from '../../config/index.js';
import type { LevelPolicy, PolicyManager } from '../../features/policy.js';

/**
 * A link buffer below this makes every write wait for the reader (V2Ray's 0 = "no buffer");
 * "unlimited" (-1) is capped, since one connection must not hold the process's memory.
 */
export const MIN_BUFFER_BYTES = 16 * 1024;
export const MAX_BUFFER_BYTES = 16 * 1024 * 1024;

export class DefaultPolicyManager implements PolicyManager {
  private readonly cache = new Map<number, LevelPolicy>();

  constructor(private config: Pick<PortholeConfig, 'policy'> = {}) {}

  /** Policy for connections from now on (a config reload). */
  update(config: Pick<PortholeConfig, 'policy'>): void {
    this.config = config;
    this.cache.clear();
  }

  forLevel(level: number): LevelPolicy {
    let policy = this.cache.get(level);
    if (!policy) {
      const seconds = policyForLevel(this.config, level);
      const buffer = seconds.bufferBytes < 0 ? MAX_BUFFER_BYTES : seconds.bufferBytes;
      policy = Object.freeze({
        handshakeMs: seconds.handshake * 1000,
        connectionIdleMs: seconds.connIdle * 1000,
        uplinkOnlyMs: seconds.uplinkOnly * 1000,
        downlinkOnlyMs: seconds.downlinkOnly * 1000,
        bufferBytes: Math.min(MAX_BUFFER_BYTES, Math.max(MIN_BUFFER_BYTES, buffer)),
      });
      this.cache.set(level, policy);
    }
    return policy;
  }
}
