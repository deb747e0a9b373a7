/**
 * PROXY protocol headers (HAProxy, https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt),
 * written as the first bytes of a TCP exposure's stream so the service learns the visitor's
 * address. Opt-in per exposure: a service that does not expect the header reads it as garbage.
 *
 * v1 (§2.1), one text line, at most 107 bytes:
 *   "PROXY TCP4 <src> <dst> <srcport> <dstport>\r\n" | "PROXY TCP6 …\r\n" | "PROXY UNKNOWN\r\n"
 *
 * v2 (§2.2), binary:
 *   12  signature \r\n\r\n\0\r\nQUIT\n
 *    1  version (2) << 4 | command (1 PROXY)
 *    1  family << 4 | transport: 0x11 TCP over IPv4, 0x21 TCP over IPv6, 0x00 UNSPEC
 *    2  length of what follows, big-endian
 *   12  IPv4: src addr 4, dst addr 4, src port 2, dst port 2      (TCP4)
 *   36  IPv6: src addr 16, dst addr 16, src port 2, dst port 2    (TCP6)
 *    0  UNSPEC: nothing; the receiver uses the connection's own addresses
 *
 * A pair mixing IPv4 and IPv6 is sent as TCP6 with the IPv4 side IPv4-mapped (what HAProxy does).
 */
import net from 'node:net';
import { plainAddress } from './edge-access.js';

export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface ProxiedConnection {
  /** The visitor. */
  readonly source: ProxyEndpoint;
  /** The public address the visitor connected to. */
  readonly destination: ProxyEndpoint;
}

export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_PROXY_COMMAND = 0x21;
const V2_TCP4 = 0x11;
const V2_TCP6 = 0x21;
const V2_UNSPEC = 0x00;

type Family = 'TCP4' | 'TCP6' | 'UNKNOWN';

interface Resolved {
  readonly family: Family;
  readonly source: string;
  readonly destination: string;
}

function withoutZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

function resolve({ source, destination }: ProxiedConnection): Resolved {
  const from = withoutZone(plainAddress(source.address));
  const to = withoutZone(plainAddress(destination.address));
  if (!validPort(source.port) || !validPort(destination.port)) return { family: 'UNKNOWN', source: from, destination: to };
  const fromFamily = net.isIP(from);
  const toFamily = net.isIP(to);
  if (fromFamily === 4 && toFamily === 4) return { family: 'TCP4', source: from, destination: to };
  if (fromFamily === 0 || toFamily === 0) return { family: 'UNKNOWN', source: from, destination: to };
  return {
    family: 'TCP6',
    source: fromFamily === 4 ? `::ffff:${from}` : from,
    destination: toFamily === 4 ? `::ffff:${to}` : to,
  };
}

/** The v1 text header for `connection`. */
export function encodeProxyV1(connection: ProxiedConnection): Buffer {
  const { family, source, destination } = resolve(connection);
  if (family === 'UNKNOWN') return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  return Buffer.from(`PROXY ${family} ${source} ${destination} ${connection.source.port} ${connection.destination.port}\r\n`, 'latin1');
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** 16 bytes of an IPv6 address that `net.isIPv6` accepted (`::` and a dotted IPv4 tail allowed). */
function ipv6Bytes(address: string): number[] {
  // A dotted IPv4 tail (`::ffff:192.0.2.1`) becomes its two hex groups first.
  const text = address.replace(/(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, (_all, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined): number[] => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const before = groups(head);
  const after = groups(tail);
  const words = tail === undefined ? before : [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

/** The v2 binary header for `connection` (command PROXY, transport TCP). */
export function encodeProxyV2(connection: ProxiedConnection): Buffer {
  const { family, source, destination } = resolve(connection);
  let familyByte = V2_UNSPEC;
  let body: number[] = [];
  if (family === 'TCP4') {
    familyByte = V2_TCP4;
    body = [...ipv4Bytes(source), ...ipv4Bytes(destination)];
  } else if (family === 'TCP6') {
    familyByte = V2_TCP6;
    body = [...ipv6Bytes(source), ...ipv6Bytes(destination)];
  }
  if (family !== 'UNKNOWN') {
    body.push(connection.source.port >> 8, connection.source.port & 0xff, connection.destination.port >> 8, connection.destination.port & 0xff);
  }
  const header = Buffer.alloc(16);
  PROXY_V2_SIGNATURE.copy(header, 0);
  header[12] = V2_PROXY_COMMAND;
  header[13] = familyByte;
  header.writeUInt16BE(body.length, 14);
  return Buffer.concat([header, Buffer.from(body)]);
}

export type ProxyProtocolVersion = 1 | 2;

/** The header of `version` for `connection`. */
export function encodeProxyHeader(version: ProxyProtocolVersion, connection: ProxiedConnection): Buffer {
  return version === 1 ? encodeProxyV1(connection) : encodeProxyV2(connection);
}
