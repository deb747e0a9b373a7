/** Timeouts and buffer sizes for one user level (V2Ray's `policy.Session`), in milliseconds and bytes. */
export interface LevelPolicy {
  /** Time allowed for an inbound handshake (VMess header) to complete. */
  readonly handshakeMs: number;
  /** A connection with no traffic either way for this long is closed. */
  readonly connectionIdleMs: number;
  /** After the downlink ended, how long the uplink may carry on alone. */
  readonly uplinkOnlyMs: number;
  /** After the uplink ended, how long the downlink may carry on alone. */
  readonly downlinkOnlyMs: number;
  /** Per-connection buffer in each direction. */
  readonly bufferBytes: number;
}

/** Policy by level (V2Ray's `policy.Manager`). */
export interface PolicyManager {
  forLevel(level: number): LevelPolicy;
}
