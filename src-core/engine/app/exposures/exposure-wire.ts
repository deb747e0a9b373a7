/**
 * Porthole's exposure extension on the reverse-proxy control session (session 1). V2Ray peers
 * never see it: a Porthole portal offers it inside its Control message (field 1001, which a 4.34
 * bridge skips as unknown), and only a bridge that saw the offer writes on the control session.
 *
 *   bridge → portal, on session 1:  BridgeExposureMessage { repeated ExposeRequest expose = 1010;
 *                                                          repeated string unexpose = 1011; }
 *   portal → bridge, in Control:    repeated ExposureReply exposureReply = 1002;
 *
 *   ExposeRequest { string id = 1; string localHost = 2; uint32 localPort = 3;
 *                   uint32 publicPort = 4 (0: any port of the range); string name = 5;
 *                   string label = 6 (a name at the portal's edge: <label>.<domain>);
 *                   string customDomain = 7; uint32 proxyProtocol = 8 (0: none, 1 or 2: PROXY v1/v2);
 *                   string basicAuth = 9 ("user:password"); repeated string allow = 10 (CIDRs); }
 *   ExposureReply { string id = 1; uint32 publicPort = 2 (0: refused); string publicHost = 3;
 *                   string errorCode = 4; string error = 5; repeated string url = 6; }
 *
 * Every message is made of repeated fields only, so two messages that arrive in one read decode
 * as their union (protobuf concatenation) and nothing is lost.
 */
import { PortholeError } from '../../common/errors.js';
import { WIRE_BYTES, WIRE_VARINT, bytesField, readFields, varintField, type ProtoField } from '../reverse/protowire.js';

export const EXPOSE_FIELD = 1010;
export const UNEXPOSE_FIELD = 1011;

export interface ExposeRequest {
  id: string;
  localHost: string;
  localPort: number;
  /** 0 lets the portal pick a port from its range. */
  publicPort: number;
  name: string;
  /** Asks for `<label>.<the portal's domain>` at the portal's edge (HTTP exposures). */
  label?: string;
  /** Asks for this full name at the portal's edge (its owner lets bridges name their own). */
  customDomain?: string;
  /** Writes a PROXY protocol header (version 1 or 2) before the visitor's bytes (TCP exposures). */
  proxyProtocol?: 1 | 2;
  /** Visitors to the name must send these credentials (HTTP Basic), checked at the portal. */
  basicAuth?: { user: string; password: string };
  /** Visitors' addresses must be in one of these CIDRs, checked at the portal. */
  allow?: string[];
}

export interface ExposureReply {
  id: string;
  /** The public port now listening; 0 when refused. */
  publicPort: number;
  /** The host the portal's owner wants shown (its `publicHost`), if any. */
  publicHost?: string;
  /** Why it was refused: a `PH_EXPOSE_*` code and one line for people. */
  errorCode?: string;
  error?: string;
  /** Where visitors reach it by name (`https://app.tunnel.example.com`), when it has one. */
  urls?: string[];
}

export interface BridgeExposureMessage {
  expose: ExposeRequest[];
  unexpose: string[];
}

/** Ids, hosts and names are short; anything longer is a bad frame. */
const MAX_TEXT_BYTES = 255;
/** Allowlists are a few ranges; a long one is a bad frame, not a policy. */
const MAX_ALLOW = 64;

export function encodeExposeRequest(request: ExposeRequest): Buffer {
  const parts = [
    bytesField(1, request.id), bytesField(2, request.localHost), varintField(3, request.localPort),
    varintField(4, request.publicPort), bytesField(5, request.name),
  ];
  if (request.label) parts.push(bytesField(6, request.label));
  if (request.customDomain) parts.push(bytesField(7, request.customDomain));
  if (request.proxyProtocol) parts.push(varintField(8, request.proxyProtocol));
  if (request.basicAuth) parts.push(bytesField(9, `${request.basicAuth.user}:${request.basicAuth.password}`));
  for (const cidr of request.allow ?? []) parts.push(bytesField(10, cidr));
  return Buffer.concat(parts);
}

export function decodeExposeRequest(bytes: Buffer): ExposeRequest {
  const fields = readFields(bytes, 'exposure request');
  const request: ExposeRequest = {
    id: text(fields, 1, 'exposure request') ?? '',
    localHost: text(fields, 2, 'exposure request') ?? '',
    localPort: uint(fields, 3) ?? 0,
    publicPort: uint(fields, 4) ?? 0,
    name: text(fields, 5, 'exposure request') ?? '',
  };
  if (request.id === '') throw bad('exposure request without an id');
  if (request.localHost === '') throw bad('exposure request without a local host');
  if (!isPort(request.localPort)) throw bad(`exposure request with local port ${request.localPort}`);
  if (request.publicPort !== 0 && !isPort(request.publicPort)) throw bad(`exposure request with public port ${request.publicPort}`);
  const label = text(fields, 6, 'exposure request');
  const customDomain = text(fields, 7, 'exposure request');
  const proxyProtocol = uint(fields, 8) ?? 0;
  if (proxyProtocol > 2) throw bad(`exposure request with PROXY protocol version ${proxyProtocol}`);
  const basicAuth = text(fields, 9, 'exposure request');
  const allow = texts(fields, 10, 'exposure request');
  if (allow.length > MAX_ALLOW) throw bad(`exposure request with ${allow.length} allowed ranges (at most ${MAX_ALLOW})`);
  return {
    ...request,
    ...(label ? { label } : {}),
    ...(customDomain ? { customDomain } : {}),
    ...(proxyProtocol === 1 || proxyProtocol === 2 ? { proxyProtocol } : {}),
    ...(basicAuth ? { basicAuth: splitCredentials(basicAuth) } : {}),
    ...(allow.length > 0 ? { allow } : {}),
  };
}

function splitCredentials(value: string): { user: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) throw bad('exposure request with basic auth that is not "user:password"');
  return { user: value.slice(0, colon), password: value.slice(colon + 1) };
}

export function encodeExposureReply(reply: ExposureReply): Buffer {
  const parts = [bytesField(1, reply.id), varintField(2, reply.publicPort)];
  if (reply.publicHost) parts.push(bytesField(3, reply.publicHost));
  if (reply.errorCode) parts.push(bytesField(4, reply.errorCode));
  if (reply.error) parts.push(bytesField(5, reply.error));
  for (const url of reply.urls ?? []) parts.push(bytesField(6, url));
  return Buffer.concat(parts);
}

export function decodeExposureReply(bytes: Buffer): ExposureReply {
  const fields = readFields(bytes, 'exposure reply');
  const id = text(fields, 1, 'exposure reply') ?? '';
  const publicPort = uint(fields, 2) ?? 0;
  if (id === '') throw bad('exposure reply without an id');
  if (publicPort !== 0 && !isPort(publicPort)) throw bad(`exposure reply with public port ${publicPort}`);
  const publicHost = text(fields, 3, 'exposure reply');
  const errorCode = text(fields, 4, 'exposure reply');
  const error = text(fields, 5, 'exposure reply');
  const urls = texts(fields, 6, 'exposure reply');
  return {
    id, publicPort, ...(publicHost ? { publicHost } : {}), ...(errorCode ? { errorCode } : {}), ...(error ? { error } : {}),
    ...(urls.length > 0 ? { urls } : {}),
  };
}

export function encodeBridgeExposureMessage(message: BridgeExposureMessage): Buffer {
  return Buffer.concat([
    ...message.expose.map((request) => bytesField(EXPOSE_FIELD, encodeExposeRequest(request))),
    ...message.unexpose.map((id) => bytesField(UNEXPOSE_FIELD, id)),
  ]);
}

/** Throws `PortholeError('PH_MUX_BAD_FRAME')` on anything malformed. */
export function decodeBridgeExposureMessage(bytes: Buffer): BridgeExposureMessage {
  const message: BridgeExposureMessage = { expose: [], unexpose: [] };
  for (const field of readFields(bytes, 'exposure message')) {
    if (field.wireType !== WIRE_BYTES) continue;
    if (field.number === EXPOSE_FIELD) message.expose.push(decodeExposeRequest(field.value));
    else if (field.number === UNEXPOSE_FIELD) message.unexpose.push(utf8(field.value, 'exposure message'));
  }
  return message;
}

/** The last occurrence wins, as for any singular protobuf field. */
function last(fields: readonly ProtoField[], number: number): ProtoField | undefined {
  for (let index = fields.length - 1; index >= 0; index -= 1) {
    const field = fields[index];
    if (field?.number === number) return field;
  }
  return undefined;
}

function text(fields: readonly ProtoField[], number: number, what: string): string | undefined {
  const field = last(fields, number);
  return field?.wireType === WIRE_BYTES ? utf8(field.value, what) : undefined;
}

/** Every occurrence of a repeated text field, in order. */
function texts(fields: readonly ProtoField[], number: number, what: string): string[] {
  const values: string[] = [];
  for (const field of fields) if (field.number === number && field.wireType === WIRE_BYTES) values.push(utf8(field.value, what));
  return values;
}

function uint(fields: readonly ProtoField[], number: number): number | undefined {
  const field = last(fields, number);
  if (field?.wireType !== WIRE_VARINT) return undefined;
  if (field.value === undefined) throw bad('a number past 32 bits');
  return field.value;
}

function utf8(bytes: Buffer, what: string): string {
  if (bytes.length > MAX_TEXT_BYTES) throw bad(`${what}: a text of ${bytes.length} bytes (at most ${MAX_TEXT_BYTES})`);
  const value = bytes.toString('utf8');
  // Text that is not valid UTF-8, or carries control characters, would end up in logs and the UI.
  if (Buffer.byteLength(value) !== bytes.length || value.includes('\uFFFD') || hasControlCharacter(value)) {
    throw bad(`${what}: text that is not clean UTF-8`);
  }
  return value;
}

function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function bad(what: string): PortholeError {
  return new PortholeError('PH_MUX_BAD_FRAME', `reverse: bad exposure message: ${what}`);
}
