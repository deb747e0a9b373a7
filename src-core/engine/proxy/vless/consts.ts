/**
 * VLESS as V2Ray 4.34 speaks it (`proxy/vless/encoding`): no encryption, no flow (XTLS is not in
 * v2fly 4.34), addons always written empty.
 */

/** The only request version 4.34 knows; its response echoes it. */
export const VLESS_VERSION = 0x00;

/** Request commands (`common/protocol.RequestCommand`). */
export const COMMAND = {
  tcp: 0x01,
  udp: 0x02,
  /** Mux.Cool in the body; no address follows, the server reads it as `v1.mux.cool:0`. */
  mux: 0x03,
} as const;
export type VlessCommand = (typeof COMMAND)[keyof typeof COMMAND];

export const UUID_BYTES = 16;

/** The Mux.Cool pseudo-destination: a dispatch to it leaves the client as command 0x03. */
export const MUX_COOL_DOMAIN = 'v1.mux.cool';

/** Longest request header: version, UUID, addons (1 + 255), command, port, type, domain (1 + 255). */
export const MAX_REQUEST_HEADER_BYTES = 1 + UUID_BYTES + 1 + 255 + 1 + 2 + 1 + 1 + 255;

/**
 * 4.34's packet writer skips a datagram whose `length + 2` exceeds its 2048-byte buffer (and an
 * empty one), so no 4.34 reader ever sees more than this.
 */
export const MAX_SENT_DATAGRAM_BYTES = 2048 - 2;

/** With fallbacks configured, a first read shorter than this goes to a fallback at once (4.34). */
export const FALLBACK_MIN_FIRST_BYTES = 18;

/** 4.34 looks for the HTTP request path within the first 64 bytes of the first read. */
export const FALLBACK_PATH_SEARCH_BYTES = 64;

/**
 * How long the client's request header waits for a first payload to share a packet with. 4.34
 * waits 100 ms; a reverse bridge's link has no payload (the portal speaks first) and pays it.
 */
export const REQUEST_FLUSH_WAIT_MS = 10;
