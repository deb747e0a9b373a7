/** SOCKS 4/4a/5 wire constants (RFC 1928, RFC 1929, SOCKS 4 and 4a), as V2Ray 4.34 `proxy/socks/protocol.go` names them. */
export const SOCKS5_VERSION = 0x05;
export const SOCKS4_VERSION = 0x04;
/** Version byte of the username/password sub-negotiation (RFC 1929). */
export const PASSWORD_AUTH_VERSION = 0x01;

export const COMMAND = {
  connect: 0x01,
  bind: 0x02,
  udpAssociate: 0x03,
  /** Tor's RESOLVE and RESOLVE_PTR: 4.34 treats both as CONNECT. */
  torResolve: 0xf0,
  torResolvePtr: 0xf1,
} as const;

export const AUTH = {
  none: 0x00,
  password: 0x02,
  noAcceptable: 0xff,
} as const;

export const ATYP = { ipv4: 0x01, domain: 0x03, ipv6: 0x04 } as const;

export const REPLY = { succeeded: 0x00, commandNotSupported: 0x07 } as const;

export const SOCKS4_REPLY = { granted: 90, rejected: 91 } as const;

/** Username/password status bytes 4.34 sends: 0x00 accepted, 0xFF refused. */
export const PASSWORD_STATUS = { ok: 0x00, refused: 0xff } as const;

/** 4.34 reads a SOCKS 4 user id or 4a domain into one 2048-byte buffer ("buffer overrun" past it). */
export const MAX_NULL_TERMINATED_BYTES = 2048;
