/**
 * Policy levels (V2Ray's `app/policy`). Defaults are 4.34's `policy.SessionDefault()` on a 64-bit
 * host: handshake 60 s, connIdle 300 s, uplinkOnly 1 s, downlinkOnly 1 s, 512 KiB per connection.
 */
import type { LevelPolicy, PolicyManager } from '../../features/policy.js';

export const DEFAULT_LEVEL_POLICY: LevelPolicy = Object.freeze({
  handshakeMs: 60_000,
  connectionIdleMs: 300_000,
  uplinkOnlyMs: 1_000,
  downlinkOnlyMs: 1_000,
  bufferBytes: 512 * 1024,
});

/** Link buffers below this make every write wait for the reader; a floor keeps throughput sane. */
const MIN_BUFFER_BYTES = 16 * 1024;

export class DefaultPolicyManager implements PolicyManager {
  private readonly levels: ReadonlyMap<number, LevelPolicy>;

  /** `levels` holds each configured level's fields; missing fields take the defaults. */
  constructor(levels: ReadonlyMap<number, Partial<LevelPolicy>> = new Map()) {
    this.levels = new Map([...levels].map(([level, fields]) => [level, withDefaults(fields)]));
  }

  forLevel(level: number): LevelPolicy {
    return this.levels.get(level) ?? DEFAULT_LEVEL_POLICY;
  }
}

function withDefaults(fields: Partial<LevelPolicy>): LevelPolicy {
  const merged = { ...DEFAULT_LEVEL_POLICY, ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) };
  return { ...merged, bufferBytes: Math.max(MIN_BUFFER_BYTES, merged.bufferBytes) };
}
