/**
 * The edge's limits and their defaults. Each default says where it comes from: Node's own HTTP
 * server, nginx (`ngx_http_core_module`, `ngx_http_v2_module`) or Caddy (`http.servers`). Where
 * they differ we take the stricter one that still lets a normal browser, a WebSocket or a long
 * download through, because the edge is shared by every exposure on the portal.
 */

export interface EdgeLimits {
  /**
   * Largest request head (request line + headers) a visitor may send, in bytes; larger gets 431.
   * Node 16 KiB; nginx 4 × 8 KiB (`large_client_header_buffers`); Caddy 1 MiB. Default 16 KiB.
   */
  readonly maxHeaderBytes: number;
  /**
   * Time a visitor has to send the whole request head, ms; then 408 and the socket closes:
   * what stops slowloris. Node 60 s; nginx 60 s (`client_header_timeout`); Caddy 1 min (`read_header_timeout`). Default 20 s.
   */
  readonly headersTimeoutMs: number;
  /**
   * Time a visitor has to send a whole request including its body, ms; 0: no limit. Node 300 s.
   * Default 300 s: raise it for exposures that take uploads slower than that.
   */
  readonly requestTimeoutMs: number;
  /**
   * How long an idle keep-alive visitor connection stays open, ms. Node 5 s; nginx 75 s
   * (`keepalive_timeout`); Caddy 5 min (`idle_timeout`). Default 60 s.
   */
  readonly keepAliveTimeoutMs: number;
  /**
   * A visitor connection on which nothing moved either way for this long is closed, ms; 0: never.
   * nginx 60 s (`send_timeout`, `client_body_timeout`); Node none. Default 120 s. Upgraded
   * (WebSocket) connections are exempt: they may idle as long as both ends like.
   */
  readonly idleTimeoutMs: number;
  /** Time a visitor has to finish the TLS handshake, ms. Node 120 s; nginx 60 s. Default 10 s. */
  readonly tlsHandshakeTimeoutMs: number;
  /**
   * Time the exposure's service has to answer with response headers, ms; then 504. nginx 60 s
   * (`proxy_read_timeout`); Caddy none. Default 60 s.
   */
  readonly upstreamHeadersTimeoutMs: number;
  /**
   * Requests and WebSockets in progress at once for one name; more get 503. No default in nginx
   * or Caddy (`limit_conn` is opt-in). Default 512.
   */
  readonly maxActivePerName: number;
  /** Requests and WebSockets in progress at once for all names of one bridge user; more get 503. Default 2048. */
  readonly maxActivePerOwner: number;
  /**
   * Open connections from one visitor address on one listener; more are closed at once, before
   * any byte is read, so one slowloris host cannot use up the portal's file descriptors.
   * nginx `limit_conn` is opt-in. Default 256.
   */
  readonly maxConnectionsPerAddress: number;
  /** HTTP/2 streams a visitor may have open at once on one connection. nginx 128; Node 4294967295. Default 128. */
  readonly maxConcurrentStreams: number;
  /** Idle pooled streams to one exposure's service kept for reuse. nginx `keepalive` (upstream) opt-in. Default 32. */
  readonly upstreamIdleStreams: number;
  /**
   * How long an idle pooled stream to a service stays open, ms. Shorter than Node's own 5 s
   * keep-alive, so the service never closes it while a request is on its way. Default 4 s.
   */
  readonly upstreamIdleTimeoutMs: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeLimits = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 60_000,
  idleTimeoutMs: 120_000,
  tlsHandshakeTimeoutMs: 10_000,
  upstreamHeadersTimeoutMs: 60_000,
  maxActivePerName: 512,
  maxActivePerOwner: 2048,
  maxConnectionsPerAddress: 256,
  maxConcurrentStreams: 128,
  upstreamIdleStreams: 32,
  upstreamIdleTimeoutMs: 4_000,
});

/** The defaults with `overrides` on top; a bad value is one clear line naming the limit. */
export function resolveEdgeLimits(overrides: Partial<EdgeLimits> = {}): EdgeLimits {
  const limits = { ...DEFAULT_EDGE_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`edge limits: ${name} must be a whole number ≥ 0, got ${String(value)}`);
    }
  }
  if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(`edge limits: headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
  return Object.freeze(limits);
}
