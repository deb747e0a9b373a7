/**
 * VMess header plaintexts (the bytes inside the AEAD seal or the legacy CFB stream).
 * Spec §1.5 (request) and §2 (response); `proxy/vmess/encoding/{client,server}.go`, `common/protocol/address.go`.
 *
 * Request:
 *   [0]       version 0x01 (never checked)
 *   [1,17)    request body IV
 *   [17,33)   request body key
 *   [33]      response auth V
 *   [34]      options (0x01 ChunkStream, 0x04 ChunkMasking, 0x08 GlobalPadding)
 *   [35]      padding length P << 4 | security
 *   [36]      reserved 0x00
 *   [37]      command (0x01 TCP, 0x02 UDP, 0x03 Mux)
 *   [38,40)   port            ┐ absent for Mux
 *   [40]      address type    │ 0x01 IPv4 (4), 0x02 domain (1 length + bytes), 0x03 IPv6 (16)
 *   [41,…)    address         ┘
 *   …         P random bytes
 *   …         FNV-1a-32 of every byte before it
 *
 * Response: [0] V ‖ [1] options ‖ [2] command ‖ [3] command length N ‖ N command bytes.
 */
import { formatIPv6, parseIPv6 } from '../../common/ip.js';
import { isIP } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { BugError, PortholeError } from '../../common/errors.js';
import type { Address } from '../../common/net.js';
import {
  ADDRESS_TYPE,
  COMMAND,
  FNV_LENGTH,
  IV_LENGTH,
  KEY_LENGTH,
  MUX_COOL_DOMAIN,
  REQUEST_FIXED_LENGTH,
  SECURITY,
  type CommandId,
} from './consts.js';

/** A request target: an IP literal or a domain (the engine's `Address`). */
export type VmessAddress = Address;

/** A decoded (or to-be-encoded) request header plaintext. */
export interface RequestHeader {
  version: number;
  bodyIv: Buffer;
  bodyKey: Buffer;
  /** Response auth byte V; the response header must echo it. */
  responseAuth: number;
  options: number;
  /** The low nibble of byte 35 as sent (0 is read as legacy). */
  security: number;
  /** 0x01 TCP, 0x02 UDP, 0x03 Mux; other values are kept as sent (and rejected by the decoder). */
  command: number;
  /** Target; for Mux the server fills in `v1.mux.cool`. */
  address: VmessAddress;
  /** Target port; 0 for Mux. */
  port: number;
}

/** FNV-1a-32 (offset basis 0x811C9DC5, prime 0x01000193). */
export function fnv1a32(data: Uint8Array, start = 0, end = data.length): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ data[i]!, 0x01000193);
  return hash >>> 0;
}

/** IPv6 text to 16 bytes and back: the same parser the Mux.Cool address codec uses (common/ip.ts). */
export { formatIPv6 as formatIpv6, parseIPv6 as parseIpv6 } from '../../common/ip.js';

const IPV4_MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** An address from 16 raw bytes; an IPv4-mapped address becomes IPv4 as in Go's `net.IPAddress`. */
function ipv6Address(bytes: Buffer): VmessAddress {
  if (bytes.subarray(0, 12).equals(IPV4_MAPPED_PREFIX)) {
    return { kind: 'ipv4', value: `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}` };
  }
  return { kind: 'ipv6', value: formatIPv6(bytes) };
}

const VALID_DOMAIN = /^[0-9A-Za-z._-]+$/;
const ALPHANUMERIC = /[0-9A-Za-z]/;

/** A domain field as 4.34 reads it: IP literals (`1.2.3.4`, `[::1]`) become IPs; others must be `[0-9A-Za-z._-]`. */
function domainAddress(domain: string): VmessAddress | undefined {
  const first = domain[0];
  if (first === '[' || (first !== undefined && first >= '0' && first <= '9')) {
    let text = domain;
    if (text.length > 0 && text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
    // Go's TrimSpace; the text is latin1 (one char per byte), so trim ASCII white space only: a
    // lone 0xA0 byte is invalid UTF-8 to Go, not a no-break space (JS trim() would remove it).
    if (text.length > 0 && (!ALPHANUMERIC.test(text[0]!) || !ALPHANUMERIC.test(text[text.length - 1]!))) text = text.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '');
    const kind = isIP(text);
    if (kind === 4) return { kind: 'ipv4', value: text };
    if (kind === 6) {
      const bytes = parseIPv6(text);
      if (bytes) return ipv6Address(bytes);
    }
  }
  return VALID_DOMAIN.test(domain) ? { kind: 'domain', value: domain } : undefined;
}

/** Serialized address (type byte and bytes) of a target; throws `PH_VMESS_BAD_HEADER` for a bad one. */
export function encodeAddress(address: VmessAddress): Buffer {
  switch (address.kind) {
    case 'ipv4': {
      if (isIP(address.value) !== 4) throw new PortholeError('PH_VMESS_BAD_HEADER', `vmess: invalid IPv4 address ${address.value}`);
      return Buffer.from([ADDRESS_TYPE.ipv4, ...address.value.split('.').map(Number)]);
    }
    case 'ipv6': {
      const bytes = parseIPv6(address.value);
      if (!bytes) throw new PortholeError('PH_VMESS_BAD_HEADER', `vmess: invalid IPv6 address ${address.value}`);
      return Buffer.concat([Buffer.from([ADDRESS_TYPE.ipv6]), bytes]);
    }
    case 'domain': {
      const bytes = Buffer.from(address.value, 'utf8');
      if (bytes.length === 0 || bytes.length > 255) {
        throw new PortholeError('PH_VMESS_BAD_HEADER', `vmess: a domain has 1 to 255 bytes, not ${bytes.length}`);
      }
      return Buffer.concat([Buffer.from([ADDRESS_TYPE.domain, bytes.length]), bytes]);
    }
  }
}

export interface EncodeRequestOptions {
  /** Padding length P in [0, 15] (default random, as the 4.34 client does). */
  paddingLength?: number;
  /** The P padding bytes (default random). */
  padding?: Buffer;
}

/** Request header plaintext, FNV included. Throws `PH_VMESS_BAD_HEADER` for an unencodable target. */
export function encodeRequestHeader(header: RequestHeader, options: EncodeRequestOptions = {}): Buffer {
  if (header.bodyIv.length !== IV_LENGTH || header.bodyKey.length !== KEY_LENGTH) {
    throw new BugError('vmess: body key and IV have 16 bytes');
  }
  const paddingLength = options.paddingLength ?? randomInt(16);
  if (!Number.isInteger(paddingLength) || paddingLength < 0 || paddingLength > 15) {
    throw new BugError(`vmess: padding length ${paddingLength}`);
  }
  const padding = options.padding?.subarray(0, paddingLength) ?? randomBytes(paddingLength);
  const fixed = Buffer.alloc(REQUEST_FIXED_LENGTH);
  fixed[0] = header.version;
  header.bodyIv.copy(fixed, 1);
  header.bodyKey.copy(fixed, 17);
  fixed[33] = header.responseAuth;
  fixed[34] = header.options;
  fixed[35] = (paddingLength << 4) | (header.security & 0x0f);
  fixed[36] = 0;
  fixed[37] = header.command;
  const parts: Buffer[] = [fixed];
  if (header.command !== COMMAND.mux) {
    const port = Buffer.alloc(2);
    port.writeUInt16BE(header.port);
    parts.push(port, encodeAddress(header.address));
  }
  parts.push(padding);
  const body = Buffer.concat([...parts, Buffer.alloc(FNV_LENGTH)]);
  body.writeUInt32BE(fnv1a32(body, 0, body.length - FNV_LENGTH), body.length - FNV_LENGTH);
  return body;
}

/** Result of decoding a request header plaintext that may still be arriving. */
export type DecodeRequestResult =
  | { status: 'need-more' }
  | { status: 'done'; header: RequestHeader; length: number }
  | { status: 'fail'; error: PortholeError; checksumFailed: boolean };

function badHeader(message: string, checksumFailed = false): DecodeRequestResult {
  return { status: 'fail', error: new PortholeError('PH_VMESS_BAD_HEADER', `vmess: ${message}`), checksumFailed };
}

/**
 * Decodes a request header plaintext, following `ServerSession.DecodeRequestHeader` after the
 * fixed 38 bytes: an unreadable address does not stop the read (padding and checksum follow
 * wherever it stopped); then the FNV, the address and the security are checked in that order.
 * Returns `need-more` while `plain` is too short, so the legacy CFB path can feed it incrementally.
 * Bytes after the checksum are ignored, as the AEAD path ignores them.
 */
export function decodeRequestHeader(plain: Buffer): DecodeRequestResult {
  if (plain.length < REQUEST_FIXED_LENGTH) return { status: 'need-more' };
  const command = plain[37]!;
  const paddingLength = plain[35]! >> 4;
  let security = plain[35]! & 0x0f;
  if (security === SECURITY.unknown) security = SECURITY.legacy;
  let offset = REQUEST_FIXED_LENGTH;
  let address: VmessAddress | undefined;
  let port = 0;

  if (command === COMMAND.mux) {
    address = { kind: 'domain', value: MUX_COOL_DOMAIN };
  } else if (command === COMMAND.tcp || command === COMMAND.udp) {
    // Port, then address; every byte read so far counts even if the address turns out bad.
    if (plain.length < offset + 3) return { status: 'need-more' };
    port = plain.readUInt16BE(offset);
    const type = plain[offset + 2]!;
    offset += 3;
    if (type === ADDRESS_TYPE.ipv4) {
      if (plain.length < offset + 4) return { status: 'need-more' };
      address = { kind: 'ipv4', value: `${plain[offset]}.${plain[offset + 1]}.${plain[offset + 2]}.${plain[offset + 3]}` };
      offset += 4;
    } else if (type === ADDRESS_TYPE.ipv6) {
      if (plain.length < offset + 16) return { status: 'need-more' };
      address = ipv6Address(plain.subarray(offset, offset + 16));
      offset += 16;
    } else if (type === ADDRESS_TYPE.domain) {
      if (plain.length < offset + 1) return { status: 'need-more' };
      const length = plain[offset]!;
      offset += 1;
      if (plain.length < offset + length) return { status: 'need-more' };
      address = length === 0 ? undefined : domainAddress(plain.toString('latin1', offset, offset + length));
      offset += length;
    }
  }

  const checksumAt = offset + paddingLength;
  if (plain.length < checksumAt + FNV_LENGTH) return { status: 'need-more' };
  if (plain.readUInt32BE(checksumAt) !== fnv1a32(plain, 0, checksumAt)) return badHeader('invalid auth (header checksum)', true);
  if (!address) return badHeader('invalid remote address');
  if (security === SECURITY.auto || security > SECURITY.none) return badHeader(`unknown security type: ${security}`);
  return {
    status: 'done',
    length: checksumAt + FNV_LENGTH,
    header: {
      version: plain[0]!,
      bodyIv: Buffer.from(plain.subarray(1, 17)),
      bodyKey: Buffer.from(plain.subarray(17, 33)),
      responseAuth: plain[33]!,
      options: plain[34]!,
      security,
      command: command as CommandId,
      address,
      port,
    },
  };
}

/** The response header plaintext. */
export interface ResponseHeader {
  /** Echo of the request's V. */
  responseAuth: number;
  /** The 4.34 server sends 0. */
  options: number;
  /** 0 = none; 1 = SwitchAccount. */
  command: number;
  /** Raw command bytes (FNV-authenticated payload of the command, not interpreted here). */
  commandData: Buffer;
}

export function encodeResponseHeader(header: ResponseHeader): Buffer {
  if (header.commandData.length > 255) throw new BugError('vmess: response command longer than 255 bytes');
  const fixed = Buffer.from([header.responseAuth, header.options, header.command, header.command === 0 ? 0 : header.commandData.length]);
  return header.command === 0 ? fixed : Buffer.concat([fixed, header.commandData]);
}

export type DecodeResponseResult =
  | { status: 'need-more' }
  | { status: 'done'; header: ResponseHeader; length: number };

/** Decodes a response header plaintext (V is checked by the caller, which knows the expected value). */
export function decodeResponseHeader(plain: Buffer): DecodeResponseResult {
  if (plain.length < 4) return { status: 'need-more' };
  const command = plain[2]!;
  const dataLength = command === 0 ? 0 : plain[3]!;
  if (plain.length < 4 + dataLength) return { status: 'need-more' };
  return {
    status: 'done',
    length: 4 + dataLength,
    header: {
      responseAuth: plain[0]!,
      options: plain[1]!,
      command,
      commandData: Buffer.from(plain.subarray(4, 4 + dataLength)),
    },
  };
}
