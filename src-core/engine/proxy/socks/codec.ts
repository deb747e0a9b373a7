/**
 * SOCKS 4, 4a and 5 server-side codec, pure (bytes in, values or bytes out), resumable: each
 * parser takes everything received so far and answers `need-more`, `fail` or the value and the
 * bytes it used. Mirrors V2Ray 4.34 `proxy/socks/protocol.go` (shared/docs/v2ray-wire-protocol.md
 * has no SOCKS section; RFC 1928/1929 and the SOCKS 4/4a notes are the references).
 *
 * SOCKS 5 (RFC 1928):
 * ```
 * greeting  VER=5 | NMETHODS | METHODS[NMETHODS]            → VER=5 | METHOD (0xFF: none acceptable)
 * password  VER=1 | ULEN | UNAME | PLEN | PASSWD (RFC 1929) → VER=1 | STATUS (4.34: 0x00 or 0xFF)
 * request   VER | CMD | RSV | ATYP | ADDR | PORT(2, BE)     → VER=5 | REP | RSV=0 | ATYP | ADDR | PORT
 *           ATYP 1: 4 bytes IPv4; 3: LEN | domain; 4: 16 bytes IPv6
 * UDP       RSV(2) | FRAG | ATYP | ADDR | PORT | DATA        (FRAG must be 0)
 * ```
 * SOCKS 4/4a: `VER=4 | CMD | PORT(2) | IPv4(4) | USERID | 0x00` and, when the IP's first byte is 0
 * (4.34 checks only that byte), `DOMAIN | 0x00`; reply `0x00 | 90 or 91 | PORT(2)=0 | IP(4)=0`.
 *
 * As in 4.34: the request's VER and RSV bytes are not checked; a domain that reads as an IP (first
 * character a digit or "[", as Go's `net.ParseAddress` reads it) is that IP; any other domain must
 * be letters, digits, "-", "." or "_". Every parser answers bad bytes with a PH_SOCKS_BAD_REQUEST,
 * never a throw (socks/codec.test.ts proves it on random and mutated input).
 */
import { isIP } from 'node:net';
import { PortholeError } from '../../common/errors.js';
import type { Address } from '../../common/net.js';
import { ATYP, MAX_NULL_TERMINATED_BYTES, PASSWORD_AUTH_VERSION, SOCKS4_REPLY, SOCKS5_VERSION } from './consts.js';

export type Parse<T> =
  | { status: 'need-more' }
  | { status: 'fail'; error: PortholeError }
  | ({ status: 'ok'; used: number } & T);

const NEED_MORE = { status: 'need-more' } as const;

function failure(message: string): { status: 'fail'; error: PortholeError } {
  return { status: 'fail', error: new PortholeError('PH_SOCKS_BAD_REQUEST', `socks: ${message}`, { severity: 'warning' }) };
}

/** The first two bytes: the version and, for SOCKS 5, NMETHODS (for SOCKS 4, CMD). */
export type Greeting =
  | { version: 5; methods: Buffer }
  | { version: 4; command: number; port: number; address: Address; userId: string };

/** Reads up to and without a 0x00, from `offset`; `undefined` while it has not arrived. */
function readUntilNull(bytes: Buffer, offset: number): { text: string; next: number } | undefined | 'overrun' {
  const end = bytes.indexOf(0, offset);
  if (end < 0) return bytes.length - offset >= MAX_NULL_TERMINATED_BYTES ? 'overrun' : undefined;
  if (end - offset >= MAX_NULL_TERMINATED_BYTES) return 'overrun';
  return { text: bytes.toString('latin1', offset, end), next: end + 1 };
}

export function parseGreeting(bytes: Buffer): Parse<{ greeting: Greeting }> {
  if (bytes.length < 2) return NEED_MORE;
  const version = bytes[0]!;
  if (version === SOCKS5_VERSION) {
    const count = bytes[1]!;
    if (bytes.length < 2 + count) return NEED_MORE;
    return { status: 'ok', used: 2 + count, greeting: { version: 5, methods: bytes.subarray(2, 2 + count) } };
  }
  if (version !== 4) return failure(`unknown Socks version: ${version}`);
  if (bytes.length < 8) return NEED_MORE;
  const port = bytes.readUInt16BE(2);
  const ip = bytes.subarray(4, 8);
  const user = readUntilNull(bytes, 8);
  if (user === 'overrun') return failure('buffer overrun in the SOCKS 4 user id');
  if (!user) return NEED_MORE;
  let address: Address = { kind: 'ipv4', value: `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}` };
  let used = user.next;
  if (ip[0] === 0) {
    const domain = readUntilNull(bytes, user.next);
    if (domain === 'overrun') return failure('failed to read domain for socks 4a > buffer overrun');
    if (!domain) return NEED_MORE;
    address = { kind: 'domain', value: domain.text };
    used = domain.next;
  }
  return { status: 'ok', used, greeting: { version: 4, command: bytes[1]!, port, address, userId: user.text } };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text, or undefined when they are not UTF-8. */
function utf8OrUndefined(bytes: Buffer): string | undefined {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * RFC 1929 username/password request (its VER byte is not checked, as in 4.34). 4.34 compares
 * bytes; config text is UTF-8, so a name or password that is not UTF-8 matches no account:
 * `utf8` false says so (a lossy decoding could otherwise equal an account's "\uFFFD").
 */
export function parseUserPassword(bytes: Buffer): Parse<{ user: string; password: string; utf8: boolean }> {
  if (bytes.length < 2) return NEED_MORE;
  const userLength = bytes[1]!;
  if (bytes.length < 3 + userLength) return NEED_MORE;
  const passwordLength = bytes[2 + userLength]!;
  const used = 3 + userLength + passwordLength;
  if (bytes.length < used) return NEED_MORE;
  const user = utf8OrUndefined(bytes.subarray(2, 2 + userLength));
  const password = utf8OrUndefined(bytes.subarray(3 + userLength, used));
  return {
    status: 'ok', used, utf8: user !== undefined && password !== undefined,
    user: user ?? bytes.toString('utf8', 2, 2 + userLength), password: password ?? '',
  };
}

function isValidDomain(domain: string): boolean {
  return /^[0-9a-zA-Z._-]*$/.test(domain);
}

/** Go's `unicode.IsSpace` set, which `strings.TrimSpace` trims (JS's `trim` differs: it trims U+FEFF, not U+0085). */
const GO_SPACE_EDGES = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/**
 * A domain that V2Ray's `net.ParseAddress` reads as an IP: brackets around the whole stripped,
 * then Go's spaces trimmed, then Go's `net.ParseIP`, which, unlike `net.isIP`, takes no zone ("%eth0").
 */
function ipOfDomain(raw: Buffer): Address | undefined {
  let text = raw.toString('utf8');
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  text = text.replace(GO_SPACE_EDGES, '');
  if (text.includes('%')) return undefined;
  const family = isIP(text);
  if (family === 4) return { kind: 'ipv4', value: text };
  if (family === 6) return ipv6Address(ipv6Bytes(text));
  return undefined;
}

/** ATYP | ADDR | PORT at `offset` (4.34 `addrParser.ReadAddressPort`). */
export function parseAddressPort(bytes: Buffer, offset: number): Parse<{ address: Address; port: number }> {
  if (bytes.length < offset + 1) return NEED_MORE;
  const type = bytes[offset]!;
  let address: Address;
  let next: number;
  if (type === ATYP.ipv4) {
    next = offset + 5;
    if (bytes.length < next) return NEED_MORE;
    address = { kind: 'ipv4', value: Array.from(bytes.subarray(offset + 1, next)).join('.') };
  } else if (type === ATYP.ipv6) {
    next = offset + 17;
    if (bytes.length < next) return NEED_MORE;
    address = ipv6Address(bytes.subarray(offset + 1, next));
  } else if (type === ATYP.domain) {
    if (bytes.length < offset + 2) return NEED_MORE;
    next = offset + 2 + bytes[offset + 1]!;
    if (bytes.length < next) return NEED_MORE;
    const domain = bytes.toString('latin1', offset + 2, next);
    const ip = /^[0-9[]/.test(domain) ? ipOfDomain(bytes.subarray(offset + 2, next)) : undefined;
    if (ip) address = ip;
    else if (domain === '' || !isValidDomain(domain)) return failure(`invalid domain name: ${JSON.stringify(domain)}`);
    else address = { kind: 'domain', value: domain };
  } else {
    return failure(`unknown address type: ${type}`);
  }
  if (bytes.length < next + 2) return NEED_MORE;
  return { status: 'ok', used: next + 2 - offset, address, port: bytes.readUInt16BE(next) };
}

/** SOCKS 5 request: VER | CMD | RSV, then the address (read only for the commands 4.34 serves). */
export function parseRequestHead(bytes: Buffer): Parse<{ command: number }> {
  if (bytes.length < 3) return NEED_MORE;
  return { status: 'ok', used: 3, command: bytes[1]! };
}

/** A SOCKS 5 UDP datagram: the destination and the payload (a view into `datagram`). */
export function parseUdpDatagram(datagram: Buffer): { address: Address; port: number; payload: Buffer } | { error: PortholeError } {
  if (datagram.length < 5) return { error: failure('insufficient length of packet').error };
  if (datagram[2] !== 0) return { error: failure('discarding fragmented payload').error };
  const parsed = parseAddressPort(datagram, 3);
  if (parsed.status === 'fail') return { error: parsed.error };
  if (parsed.status === 'need-more') return { error: failure('failed to read UDP header: truncated address').error };
  return { address: parsed.address, port: parsed.port, payload: datagram.subarray(3 + parsed.used) };
}

/** An IPv4-mapped IPv6 address is IPv4, as V2Ray's `net.IPAddress` reads it. */
function ipv6Address(raw: Buffer): Address {
  if (raw.subarray(0, 10).every((b) => b === 0) && raw[10] === 0xff && raw[11] === 0xff) return { kind: 'ipv4', value: Array.from(raw.subarray(12)).join('.') };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  // Canonical text (RFC 5952) by a round trip through the URL parser's IPv6 serialiser.
  return { kind: 'ipv6', value: new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1) };
}

function ipv6Bytes(text: string): Buffer {
  const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const expand = (group: string): string[] => (group.includes('.') ? ipv4Groups(group) : [group]);
  const left = headGroups.flatMap(expand);
  const right = tailGroups.flatMap(expand);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((group, index) => out.writeUInt16BE(parseInt(group, 16), index * 2));
  return out;
}

function ipv4Groups(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** ATYP | ADDR | PORT (4.34 `WriteAddressPort`). A domain longer than 255 bytes cannot be written. */
export function encodeAddressPort(address: Address, port: number): Buffer {
  const portBytes = Buffer.from([port >> 8, port & 0xff]);
  if (address.kind === 'ipv4') return Buffer.concat([Buffer.from([ATYP.ipv4, ...address.value.split('.').map(Number)]), portBytes]);
  if (address.kind === 'ipv6') return Buffer.concat([Buffer.from([ATYP.ipv6]), ipv6Bytes(address.value), portBytes]);
  const domain = Buffer.from(address.value, 'latin1');
  if (domain.length > 255) throw new PortholeError('PH_SOCKS_BAD_REQUEST', `socks: super long domain is not supported: ${address.value.slice(0, 40)}…`);
  return Buffer.concat([Buffer.from([ATYP.domain, domain.length]), domain, portBytes]);
}

export function encodeMethodChoice(method: number): Buffer {
  return Buffer.from([SOCKS5_VERSION, method]);
}

export function encodePasswordStatus(status: number): Buffer {
  return Buffer.from([PASSWORD_AUTH_VERSION, status]);
}

export function encodeReply(reply: number, address: Address, port: number): Buffer {
  return Buffer.concat([Buffer.from([SOCKS5_VERSION, reply, 0x00]), encodeAddressPort(address, port)]);
}

/** 4.34 answers SOCKS 4 with port 0 and IP 0.0.0.0, granted or not. */
export function encodeSocks4Reply(granted: boolean): Buffer {
  return Buffer.from([0x00, granted ? SOCKS4_REPLY.granted : SOCKS4_REPLY.rejected, 0, 0, 0, 0, 0, 0]);
}

export function encodeUdpDatagram(address: Address, port: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0]), encodeAddressPort(address, port), payload]);
}
