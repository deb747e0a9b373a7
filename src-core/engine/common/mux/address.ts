/**
 * Mux.Cool target addresses (shared/docs/v2ray-wire-protocol.md §4.2, "New only" rows).
 *
 *   type 0x01 IPv4    ‖ 4 bytes
 *   type 0x02 domain  ‖ length (1 byte) ‖ length bytes
 *   type 0x03 IPv6    ‖ 16 bytes
 *
 * In a New frame the port (2 bytes, big-endian) comes *before* the address type.
 *
 * Decoding follows v4.34.0 `common/protocol/address.go` and `common/net/address.go`:
 * - an IPv6 address of the form `::ffff:a.b.c.d` becomes the IPv4 address `a.b.c.d`;
 * - a domain whose first byte is a digit or `[` and that parses as an IP becomes that IP (after Go's
 *   `ParseAddress`: strip `[...]`, trim white space when the first or last byte is not alphanumeric);
 * - any other domain must consist of `0-9 a-z A-Z - . _`, or the frame is rejected ("invalid domain name");
 * - an empty domain is rejected (4.34 indexes `domain[0]` and panics on it, so no peer sends one).
 *
 * The encoder refuses what a 4.34 reader would reject, so a bad target fails only its own stream instead
 * of the whole link.
 */

import { PortholeError } from '../errors.js';
import { MAX_DOMAIN_LENGTH } from './consts.js';
import { formatIPv6, parseIPv4, parseIPv6 } from '../ip.js';

export { formatIPv6, parseIPv4, parseIPv6 };

/** Address type bytes, as `common/mux/frame.go` maps them. */
export const AddressType = {
  IPv4: 0x01,
  Domain: 0x02,
  IPv6: 0x03,
} as const;
export type AddressType = (typeof AddressType)[keyof typeof AddressType];

/**
 * A target address. `host` is a dotted quad for IPv4, the RFC 5952 text (no brackets) for IPv6 and the
 * name for a domain, so it can go straight to `net.connect`.
 */
export interface MuxAddress {
  readonly type: AddressType;
  readonly host: string;
}

/** The address part of a New frame: type byte and address bytes. */
export function encodeAddress(address: MuxAddress): Buffer {
  switch (address.type) {
    case AddressType.IPv4: {
      const ip = parseIPv4(address.host);
      if (!ip) throw badTarget(`invalid IPv4 address ${JSON.stringify(address.host)}`);
      return Buffer.concat([Buffer.of(AddressType.IPv4), ip]);
    }
    case AddressType.IPv6: {
      const ip = parseIPv6(stripBrackets(address.host));
      if (!ip) throw badTarget(`invalid IPv6 address ${JSON.stringify(address.host)}`);
      return Buffer.concat([Buffer.of(AddressType.IPv6), ip]);
    }
    case AddressType.Domain: {
      const name = Buffer.from(address.host, 'utf8');
      if (name.length === 0) throw badTarget('empty domain');
      if (name.length > MAX_DOMAIN_LENGTH) throw badTarget(`domain longer than ${MAX_DOMAIN_LENGTH} bytes`);
      if (!isValidDomain(name)) throw badTarget(`invalid domain name ${JSON.stringify(address.host)}`);
      return Buffer.concat([Buffer.of(AddressType.Domain, name.length), name]);
    }
    default:
      throw badTarget(`unknown address type ${String((address as { type: unknown }).type)}`);
  }
}

/** Result of {@link decodeAddress}: the address and the offset just after it. */
export interface DecodedAddress {
  readonly address: MuxAddress;
  readonly end: number;
}

/**
 * Reads an address (type byte first) from `bytes[offset..]`. Throws `PortholeError` (PH_MUX_BAD_FRAME)
 * when the bytes run out or the address is invalid; never anything else.
 */
export function decodeAddress(bytes: Buffer, offset: number): DecodedAddress {
  const type = bytes[offset];
  if (type === undefined) throw badFrame('address type missing');
  let at = offset + 1;
  switch (type) {
    case AddressType.IPv4:
      if (at + 4 > bytes.length) throw badFrame('IPv4 address truncated');
      return { address: ipAddress(bytes.subarray(at, at + 4)), end: at + 4 };
    case AddressType.IPv6:
      if (at + 16 > bytes.length) throw badFrame('IPv6 address truncated');
      return { address: ipAddress(bytes.subarray(at, at + 16)), end: at + 16 };
    case AddressType.Domain: {
      const length = bytes[at];
      if (length === undefined) throw badFrame('domain length missing');
      at += 1;
      if (at + length > bytes.length) throw badFrame('domain truncated');
      return { address: domainAddress(bytes.subarray(at, at + length)), end: at + length };
    }
    default:
      throw badFrame(`unknown address type ${type}`);
  }
}

/** IPv4 bytes, or IPv6 bytes that are IPv4-mapped, become IPv4 (Go `net.IPAddress`). */
function ipAddress(ip: Uint8Array): MuxAddress {
  if (ip.length === 16 && isIPv4Mapped(ip)) ip = ip.subarray(12);
  if (ip.length === 4) return { type: AddressType.IPv4, host: ip.join('.') };
  return { type: AddressType.IPv6, host: formatIPv6(ip) };
}

function isIPv4Mapped(ip: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

function domainAddress(name: Buffer): MuxAddress {
  const first = name[0];
  if (first === undefined) throw badFrame('empty domain');
  if (first === 0x5b /* [ */ || (first >= 0x30 && first <= 0x39)) {
    const ip = parseGoAddress(name.toString('utf8'));
    if (ip) return ipAddress(ip);
  }
  if (!isValidDomain(name)) throw badFrame(`invalid domain name ${JSON.stringify(name.toString('latin1'))}`);
  return { type: AddressType.Domain, host: name.toString('latin1') };
}

/** Go `isValidDomain`: only `0-9 a-z A-Z - . _` (any non-ASCII rune fails). */
function isValidDomain(name: Uint8Array): boolean {
  for (const c of name) {
    const ok =
      (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ||
      c === 0x2d || c === 0x2e || c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** Go `net.ParseAddress` followed by `net.ParseIP`; undefined when the text is not an IP. */
function parseGoAddress(text: string): Buffer | undefined {
  let s = text;
  if (s.length > 0 && s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.length > 0 && (!isAlphaNumeric(s.charCodeAt(0)) || !isAlphaNumeric(s.charCodeAt(s.length - 1)))) {
    s = trimGoSpace(s);
  }
  for (const c of s) {
    if (c === '.') return parseIPv4(s);
    if (c === ':') return parseIPv6(s);
  }
  return undefined;
}

function isAlphaNumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** Go `unicode.IsSpace` (what `strings.TrimSpace` trims); JavaScript's `trim` also trims U+FEFF. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;

function trimGoSpace(s: string): string {
  return s.replace(GO_SPACE, '');
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function badFrame(what: string): PortholeError {
  return new PortholeError('PH_MUX_BAD_FRAME', `mux: bad frame: ${what}`);
}

function badTarget(what: string): PortholeError {
  return new PortholeError('PH_MUX_BAD_FRAME', `mux: cannot encode target: ${what}`);
}
