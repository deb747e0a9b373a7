/**
 * VLESS header and UDP packet codecs (V2Ray 4.34 `proxy/vless/encoding/{encoding,addons}.go`).
 * Pure: Buffer in, value or Buffer out; no sockets, timers or logging. VLESS is not in
 * shared/docs/v2ray-wire-protocol.md; its address and port follow §1.5 / §4.2 (same type bytes).
 *
 * Request (client → server), every integer big-endian:
 *
 *   off  len  field
 *   0    1    version 0x00
 *   1    16   user UUID (raw bytes)
 *   17   1    addons length A (4.34 always writes 0)
 *   18   A    addons: protobuf `Addons { string Flow = 1; bytes Seed = 2; }`
 *   18+A 1    command: 0x01 TCP, 0x02 UDP, 0x03 Mux (Mux: nothing follows)
 *   19+A 2    port
 *   21+A 1    address type: 0x01 IPv4 (4 bytes), 0x02 domain (1 length byte + name), 0x03 IPv6 (16)
 *   22+A n    address
 *   …         body: TCP and Mux raw bytes; UDP packets (below)
 *
 * Response (server → client): version (a copy of the request's), addons length (0), addons, body.
 *
 * UDP packet, both ways: uint16 length ‖ datagram. 4.34 writes only datagrams of 1..2046 bytes
 * and reads any length up to 65535; a zero-length packet carries nothing.
 */
import { PortholeError } from '../../common/errors.js';
import type { Address, Destination } from '../../common/net.js';
import { AddressType, decodeAddress, encodeAddress, type MuxAddress } from '../../common/mux/address.js';
import { COMMAND, MAX_SENT_DATAGRAM_BYTES, MUX_COOL_DOMAIN, UUID_BYTES, VLESS_VERSION, type VlessCommand } from './consts.js';

/** A decoded request header. */
export interface VlessRequest<U> {
  readonly user: U;
  readonly command: VlessCommand;
  /** For Mux, `tcp:v1.mux.cool:0` as 4.34 fills it in. */
  readonly target: Destination;
  /** The addons' Flow (4.34 reads and ignores it). */
  readonly flow: string;
}

/**
 * Where a request failed: `version` and `user` are the failures 4.34 hands to a fallback
 * (the bytes may be another protocol); `header` is a VLESS request from a known user gone wrong.
 */
export type RequestFailure = 'version' | 'user' | 'header';

export type RequestParse<U> =
  | { readonly status: 'need-more' }
  | { readonly status: 'fail'; readonly stage: RequestFailure; readonly error: PortholeError }
  | { readonly status: 'done'; readonly request: VlessRequest<U>; readonly rest: Buffer };

function badHeader(message: string, cause?: unknown): PortholeError {
  return new PortholeError('PH_VLESS_BAD_HEADER', `vless: ${message}`, { severity: 'info', ...(cause === undefined ? {} : { cause }) });
}

function toMuxAddress(address: Address): MuxAddress {
  switch (address.kind) {
    case 'ipv4': return { type: AddressType.IPv4, host: address.value };
    case 'ipv6': return { type: AddressType.IPv6, host: address.value };
    default: return { type: AddressType.Domain, host: address.value };
  }
}

function fromMuxAddress(address: MuxAddress): Address {
  switch (address.type) {
    case AddressType.IPv4: return { kind: 'ipv4', value: address.host };
    case AddressType.IPv6: return { kind: 'ipv6', value: address.host };
    default: return { kind: 'domain', value: address.host };
  }
}

/** The command a client sends for `target` (4.34 outbound: `v1.mux.cool` means Mux). */
export function commandFor(target: Destination): VlessCommand {
  if (target.address.kind === 'domain' && target.address.value === MUX_COOL_DOMAIN) return COMMAND.mux;
  return target.network === 'udp' ? COMMAND.udp : COMMAND.tcp;
}

/** The request header for `uuid` (16 bytes) to `target`; addons empty, as 4.34 writes them. */
export function encodeRequestHeader(uuid: Buffer, command: VlessCommand, target?: Destination): Buffer {
  if (uuid.length !== UUID_BYTES) throw new RangeError('vless: a UUID is 16 bytes');
  const head = Buffer.alloc(1 + UUID_BYTES + 2);
  head[0] = VLESS_VERSION;
  uuid.copy(head, 1);
  head[1 + UUID_BYTES] = 0;
  head[2 + UUID_BYTES] = command;
  if (command === COMMAND.mux) return head;
  if (!target) throw new RangeError('vless: a TCP or UDP request needs a target');
  let address: Buffer;
  try {
    address = encodeAddress(toMuxAddress(target.address));
  } catch (error) {
    throw badHeader(`cannot encode target address ${JSON.stringify(target.address.value)}`, error);
  }
  const port = Buffer.alloc(2);
  port.writeUInt16BE(target.port);
  return Buffer.concat([head, port, address]);
}

/** The response header 4.34 writes: the request's version and empty addons. */
export function encodeResponseHeader(): Buffer {
  return Buffer.from([VLESS_VERSION, 0]);
}

/** Decodes `Addons` (proto3); returns its Flow. Unknown fields are skipped, as protobuf does. */
export function decodeAddons(bytes: Buffer): string {
  let at = 0;
  let flow = '';
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const byte = bytes[at++];
      if (byte === undefined) throw badHeader('addons: truncated varint');
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw badHeader('addons: varint too long');
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw badHeader('addons: field number 0');
    let end: number;
    if (wireType === 0) { varint(); continue; }
    if (wireType === 1) end = at + 8;
    else if (wireType === 5) end = at + 4;
    else if (wireType === 2) {
      const length = varint();
      end = at + length;
    }
    else throw badHeader(`addons: wire type ${wireType}`);
    if (end > bytes.length) throw badHeader('addons: truncated field');
    if (field === 1 && wireType === 2) {
      try {
        flow = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, end));
      } catch (error) {
        throw badHeader('addons: Flow is not UTF-8', error);
      }
    }
    at = end;
  }
  return flow;
}

/**
 * Decodes a request header from the bytes received so far (re-read from the start on each call;
 * a header is at most MAX_REQUEST_HEADER_BYTES, so that is cheap and keeps no state). `findUser`
 * maps a 16-byte UUID to its user.
 */
export function parseRequestHeader<U>(bytes: Buffer, findUser: (uuid: Buffer) => U | undefined): RequestParse<U> {
  const needMore = { status: 'need-more' } as const;
  if (bytes.length < 1) return needMore;
  if (bytes[0] !== VLESS_VERSION) return { status: 'fail', stage: 'version', error: badHeader(`invalid request version ${bytes[0]}`) };
  if (bytes.length < 1 + UUID_BYTES) return needMore;
  const user = findUser(bytes.subarray(1, 1 + UUID_BYTES));
  if (user === undefined) {
    return { status: 'fail', stage: 'user', error: new PortholeError('PH_VLESS_AUTH_FAILED', 'vless: invalid request user id', { severity: 'info' }) };
  }
  const fail = (error: PortholeError) => ({ status: 'fail', stage: 'header', error }) as const;
  let at = 1 + UUID_BYTES;
  const addonsLength = bytes[at];
  if (addonsLength === undefined) return needMore;
  at += 1;
  if (bytes.length < at + addonsLength + 1) return needMore;
  let flow: string;
  try {
    flow = decodeAddons(bytes.subarray(at, at + addonsLength));
  } catch (error) {
    return fail(error as PortholeError);
  }
  at += addonsLength;
  const command = bytes[at++]!;
  if (command === COMMAND.mux) {
    const target: Destination = { network: 'tcp', address: { kind: 'domain', value: MUX_COOL_DOMAIN }, port: 0 };
    return { status: 'done', request: { user, command, target, flow }, rest: bytes.subarray(at) };
  }
  if (command !== COMMAND.tcp && command !== COMMAND.udp) return fail(badHeader('invalid request address'));
  // Port, address type, then the address's own length: ask for more until it is all here.
  if (bytes.length < at + 3) return needMore;
  const port = bytes.readUInt16BE(at);
  const type = bytes[at + 2]!;
  const addressBytes = type === AddressType.IPv4 ? 4 : type === AddressType.IPv6 ? 16 : type === AddressType.Domain ? (bytes.length > at + 3 ? 1 + bytes[at + 3]! : undefined) : 0;
  if (addressBytes === undefined || bytes.length < at + 3 + addressBytes) return needMore;
  let decoded: ReturnType<typeof decodeAddress>;
  try {
    decoded = decodeAddress(bytes, at + 2);
  } catch (error) {
    // 4.34: an address that does not parse leaves the request without one.
    return fail(badHeader(`invalid request address: ${(error as Error).message}`, error));
  }
  const target: Destination = { network: command === COMMAND.udp ? 'udp' : 'tcp', address: fromMuxAddress(decoded.address), port };
  return { status: 'done', request: { user, command, target, flow }, rest: bytes.subarray(decoded.end) };
}

export type ResponseParse =
  | { readonly status: 'need-more' }
  | { readonly status: 'fail'; readonly error: PortholeError }
  | { readonly status: 'done'; readonly rest: Buffer };

/** Decodes a response header from the bytes received so far (at most 257 bytes). */
export function parseResponseHeader(bytes: Buffer): ResponseParse {
  if (bytes.length < 1) return { status: 'need-more' };
  if (bytes[0] !== VLESS_VERSION) return { status: 'fail', error: badHeader(`unexpected response version: expecting ${VLESS_VERSION} but actually ${bytes[0]}`) };
  const addonsLength = bytes[1];
  if (addonsLength === undefined || bytes.length < 2 + addonsLength) return { status: 'need-more' };
  try {
    decodeAddons(bytes.subarray(2, 2 + addonsLength));
  } catch (error) {
    return { status: 'fail', error: error as PortholeError };
  }
  return { status: 'done', rest: bytes.subarray(2 + addonsLength) };
}

/**
 * One UDP packet on the wire, or undefined for a datagram 4.34 would not send (empty, or longer
 * than MAX_SENT_DATAGRAM_BYTES: its writer drops those).
 */
export function encodePacket(datagram: Buffer): Buffer | undefined {
  if (datagram.length === 0 || datagram.length > MAX_SENT_DATAGRAM_BYTES) return undefined;
  const out = Buffer.allocUnsafe(2 + datagram.length);
  out.writeUInt16BE(datagram.length, 0);
  datagram.copy(out, 2);
  return out;
}

const PacketState = { Length: 0, Payload: 1 } as const;
type PacketState = (typeof PacketState)[keyof typeof PacketState];

/**
 * Splits a UDP body into datagrams, however the bytes arrive. Holds at most one partial packet
 * (≤ 65537 bytes). Zero-length packets yield nothing.
 */
export class PacketDecoder {
  private state: PacketState = PacketState.Length;
  private pending: Buffer = Buffer.alloc(0);
  private length = 0;

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      if (this.state === PacketState.Length) {
        if (data.length < 2) break;
        this.length = data.readUInt16BE(0);
        data = data.subarray(2);
        this.state = PacketState.Payload;
      }
      if (data.length < this.length) break;
      if (this.length > 0) out.push(Buffer.from(data.subarray(0, this.length)));
      data = data.subarray(this.length);
      this.state = PacketState.Length;
    }
    this.pending = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0);
    return out;
  }

  /** True when no partial packet is held (a clean place for the stream to end). */
  get atBoundary(): boolean {
    return this.state === PacketState.Length && this.pending.length === 0;
  }
}
