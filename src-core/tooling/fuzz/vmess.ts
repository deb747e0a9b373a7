/**
 * Fuzz targets for the VMess decoders: the server handshake, the body chunk decoder, the client's
 * response parser and the header plaintext codecs. See targets.ts for the table and the contract.
 *
 * Valid inputs come from the engine's own encoders (`createClientRequest`, `createBodyEncoder`,
 * `ServerSession.createResponse`) with every random value drawn by fast-check, except the body
 * padding, which the encoder draws from the CSPRNG: {@link zeroPadding} overwrites it so that a
 * seed and a path replay a run byte for byte.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import type { ErrorCode } from '../../engine/common/errors.js';
import type { Address } from '../../engine/common/net.js';
import { decodeAddress as decodeMuxAddress } from '../../engine/common/mux/address.js';
import { createVmessUser, type VmessUser } from '../../engine/proxy/vmess/account.js';
import { createAuthId } from '../../engine/proxy/vmess/aead.js';
import { createBodyDecoder, createBodyEncoder, WIDE_CHUNK_WIRE_BYTES, type BodyCodecOptions, type BodyDecoder } from '../../engine/proxy/vmess/body.js';
import { ClientSession, createClientRequest, type ClientResponseResult } from '../../engine/proxy/vmess/client-handshake.js';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  fnv1a32,
  formatIpv6,
  type RequestHeader,
} from '../../engine/proxy/vmess/codec.js';
import { AUTH_WINDOW_SECONDS, COMMAND, DRAIN_FIXED, OPTION, SECURITY, type BodySecurity, type CommandId } from '../../engine/proxy/vmess/consts.js';
import { LegacyUserValidator, legacyUserHash } from '../../engine/proxy/vmess/legacy.js';
import { AuthIdReplayFilter, SessionHistory } from '../../engine/proxy/vmess/replay.js';
import {
  createServerHandshakeContext,
  ServerHandshake,
  ServerSession,
  type ServerHandshakeContext,
  type ServerHandshakeResult,
} from '../../engine/proxy/vmess/server-handshake.js';
import { Shake128Stream } from '../../engine/common/crypto/shake128.js';
import {
  applyMutations,
  bulkBytesArbitrary,
  bytes16,
  check,
  checkEqual,
  checkReported,
  guard,
  noThrow,
  mutationsArbitrary,
  randomBytesArbitrary,
  splitArbitrary,
  splitBytes,
  type Guarded,
  type Mutation,
  type Split,
} from './bytes.js';
import { defineTarget, type FuzzTarget } from './target.js';

/** The server's clock in every run (fixed, so runs replay). */
export const NOW = 1_800_000_000;

const BAD_CHUNK: readonly ErrorCode[] = ['PH_VMESS_BAD_CHUNK'];
const BAD_HEADER: readonly ErrorCode[] = ['PH_VMESS_BAD_HEADER'];
const HANDSHAKE_CODES: readonly ErrorCode[] = ['PH_VMESS_AUTH_FAILED', 'PH_VMESS_REPLAY', 'PH_VMESS_BAD_HEADER'];

// ---------------------------------------------------------------------------------------------
// Server-side state shared by the runs

/**
 * The legacy validator's hash table costs ~1000 HMACs to build, so all runs share one; this
 * subclass keeps taints per run (V2Ray's taint is permanent, which would make runs depend on
 * earlier ones and slowly switch the legacy path off).
 */
class RunScopedLegacyValidator<T> extends LegacyUserValidator<T> {
  private readonly taintedThisRun = new Set<string>();

  override lookup(userHash: Buffer, nowSeconds: number): ReturnType<LegacyUserValidator<T>['lookup']> {
    if (this.taintedThisRun.has(userHash.toString('latin1'))) return undefined;
    return super.lookup(userHash, nowSeconds);
  }

  override taint(userHash: Buffer): void {
    this.taintedThisRun.add(userHash.toString('latin1'));
  }

  reset(): void {
    this.taintedThisRun.clear();
  }
}

interface Server {
  readonly users: readonly VmessUser<string>[];
  readonly legacy: RunScopedLegacyValidator<string>;
  readonly base: ServerHandshakeContext<string>;
}

let server: Server | undefined;

/** Users: AEAD only, legacy with two alter IDs, legacy with one (built on first use). */
function getServer(): Server {
  if (!server) {
    const users = [
      createVmessUser('5c7a4f5e-2b0c-4f6e-9d1a-3e8b7c6d5a41', { tag: 'aead', alterId: 0 }),
      createVmessUser('b831381d-6324-4d53-ad4f-8cda48b30811', { tag: 'legacy', alterId: 2 }),
      createVmessUser('27848739-7e62-4138-9fd3-098a63964b6b', { tag: 'third', alterId: 1 }),
    ];
    const legacy = new RunScopedLegacyValidator(users);
    const base = createServerHandshakeContext({ users, replayFilter: new AuthIdReplayFilter(), sessionHistory: new SessionHistory(), legacy });
    server = { users, legacy, base };
  }
  return server;
}

interface ContextOptions {
  /** No legacy validator: AEAD only (`V2RAY_VMESS_AEAD_FORCED`). */
  readonly aeadOnly: boolean;
  /** `disableInsecureEncryption`. */
  readonly strict: boolean;
}

/** A fresh inbound (own replay filter and session history) over the shared users. */
function freshContext(options: ContextOptions): ServerHandshakeContext<string> {
  const { base, legacy } = getServer();
  legacy.reset();
  const context: ServerHandshakeContext<string> = {
    users: base.users,
    replayFilter: new AuthIdReplayFilter(),
    sessionHistory: new SessionHistory(),
    ...(base.drain ? { drain: base.drain } : {}),
    disableInsecureEncryption: options.strict,
  };
  if (!options.aeadOnly) context.legacy = legacy;
  return context;
}

// ---------------------------------------------------------------------------------------------
// Body helpers

/** The framing the body codec picks for these options (mirrors body.ts `plan`, spec §3). */
function framing(codec: Pick<BodyCodecOptions, 'security' | 'options' | 'command'>): 'aead' | 'chunk-stream' | 'raw' {
  const chunked = (codec.options & OPTION.chunkStream) !== 0;
  if (codec.security === SECURITY.none) return !chunked ? 'raw' : codec.command === COMMAND.udp ? 'aead' : 'chunk-stream';
  if (codec.security === SECURITY.legacy) return chunked ? 'aead' : 'raw';
  return 'aead';
}

function overhead(security: number): number {
  return security === SECURITY.legacy ? 4 : security === SECURITY.none ? 0 : 16;
}

/**
 * Overwrites the random padding of an encoder's output with zeros, in place. `framed` is the
 * plaintext framing (after removing legacy CFB); `start` is where the body begins in it.
 */
function zeroPaddingInFraming(framed: Buffer, codec: BodyCodecOptions, start: number): void {
  const shake = new Shake128Stream(codec.iv);
  const over = overhead(codec.security);
  let at = start;
  while (at + 2 <= framed.length) {
    const pad = shake.nextUint16() % 64;
    const size = framed.readUInt16BE(at) ^ shake.nextUint16();
    const end = at + 2 + size;
    framed.fill(0, Math.max(at + 2, end - pad), Math.min(end, framed.length));
    at = end;
    if (size === over + pad) break;
  }
}

/**
 * Valid encoder output with its padding zeroed. For security legacy the whole `wire` (header
 * bytes of `start` included) is one AES-128-CFB stream under the codec's key and IV.
 */
export function zeroPadding(wire: Buffer, codec: BodyCodecOptions, start = 0): Buffer {
  const padded = (codec.options & OPTION.globalPadding) !== 0 && (codec.options & OPTION.chunkMasking) !== 0;
  if (!padded || framing(codec) !== 'aead') return wire;
  if (codec.security === SECURITY.legacy) {
    const framed = createDecipheriv('aes-128-cfb', codec.key, codec.iv).update(wire);
    zeroPaddingInFraming(framed, codec, start);
    return createCipheriv('aes-128-cfb', codec.key, codec.iv).update(framed);
  }
  const copy = Buffer.from(wire);
  zeroPaddingInFraming(copy, codec, start);
  return copy;
}

export interface EncodedBody {
  readonly wire: Buffer;
  readonly plain: Buffer;
  /** Non-empty writes, one per chunk for UDP. */
  readonly datagrams: readonly Buffer[];
}

/** Encodes `messages` (UDP: each cut to one datagram) and, when `end`, the EOS; padding zeroed. */
function encodeBody(codec: BodyCodecOptions, messages: readonly Uint8Array[], end: boolean, widenAt?: number): EncodedBody {
  const encoder = noThrow('createBodyEncoder', () => createBodyEncoder(codec));
  return encodeWith(encoder, codec, messages, end, widenAt);
}

function encodeWith(
  encoder: ReturnType<typeof createBodyEncoder>,
  codec: BodyCodecOptions,
  messages: readonly Uint8Array[],
  end: boolean,
  /** Before which write the encoder learns that the peer is Porthole and widens its chunks (as the links do mid-stream). */
  widenAt?: number,
): EncodedBody {
  const parts: Buffer[] = [];
  const datagrams: Buffer[] = [];
  const widen = (): void => noThrow('BodyEncoder.widenChunks', () => encoder.widenChunks(WIDE_CHUNK_WIRE_BYTES));
  for (const [index, message] of messages.entries()) {
    if (index === widenAt) widen();
    const data = Buffer.from(codec.command === COMMAND.udp ? message.subarray(0, encoder.maxPlaintextPerChunk) : message);
    parts.push(noThrow('BodyEncoder.encode', () => encoder.encode(data)));
    if (data.length > 0) datagrams.push(data);
  }
  if (widenAt !== undefined && widenAt >= messages.length) widen();
  if (end) {
    parts.push(noThrow('BodyEncoder.end', () => encoder.end()));
  }
  return { wire: Buffer.concat(parts), plain: Buffer.concat(datagrams), datagrams };
}

export interface DecodedBody {
  readonly chunks: readonly Buffer[];
  readonly plain: Buffer;
  readonly ended: boolean;
  readonly error?: string;
}

/** Feeds `pieces` to `decoder`, checking its contract at every step. */
function decodeBody(decoder: BodyDecoder, pieces: readonly Buffer[]): DecodedBody {
  const chunks: Buffer[] = [];
  let pushed = 0;
  let produced = 0;
  for (const piece of pieces) {
    const endedBefore = decoder.ended;
    pushed += piece.length;
    const result = guard('BodyDecoder.push', BAD_CHUNK, () => decoder.push(piece));
    if (!result.ok) {
      // Failure is final: the same error again, whatever comes next.
      const again = guard('BodyDecoder.push after failure', BAD_CHUNK, () => decoder.push(Buffer.from([0, 1, 2])));
      check(!again.ok && again.error.code === result.error.code, 'a failed body decoder must keep throwing');
      return { chunks, plain: Buffer.concat(chunks), ended: decoder.ended, error: result.error.code };
    }
    check(Array.isArray(result.value) && result.value.every((chunk) => Buffer.isBuffer(chunk)), 'BodyDecoder.push must return Buffer[]');
    if (endedBefore) check(result.value.length === 0, 'no plaintext after the EOS');
    for (const chunk of result.value) produced += chunk.length;
    check(produced <= pushed, () => `body decoder produced ${produced} plaintext bytes from ${pushed} wire bytes`);
    chunks.push(...result.value);
  }
  return { chunks, plain: Buffer.concat(chunks), ended: decoder.ended };
}

/** Whole-buffer and split decodes agree on success, plaintext and EOS (a failure may come earlier when split). */
function checkSplitAgrees(whole: DecodedBody, split: DecodedBody, what: string): void {
  checkEqual(split.error, whole.error, `${what}: error with random splits vs in one push`);
  if (whole.error === undefined) {
    check(split.plain.equals(whole.plain), `${what}: plaintext differs between random splits and one push`);
    checkEqual(split.ended, whole.ended, `${what}: EOS with random splits vs in one push`);
  }
}

function bodyLabel(body: DecodedBody): string {
  return body.error ? `body-${body.error}` : body.ended ? 'body-eos' : 'body-open';
}

// ---------------------------------------------------------------------------------------------
// Generators

const SECURITIES: readonly BodySecurity[] = [SECURITY.aes128Gcm, SECURITY.chacha20Poly1305, SECURITY.none, SECURITY.legacy];
/** Option bytes a peer may send: ChunkStream, ConnectionReuse, ChunkMasking, GlobalPadding (only with masking). */
const validOptions = fc
  .tuple(fc.constantFrom(0x00, 0x01, 0x04, 0x05, 0x0c, 0x0d), fc.boolean())
  .map(([bits, reuse]) => bits | (reuse ? OPTION.connectionReuse : 0));
const anyOptions = fc.oneof({ weight: 6, arbitrary: validOptions }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) });
const commands = fc.constantFrom<CommandId>(COMMAND.tcp, COMMAND.udp, COMMAND.mux);

/** Plaintext writes: mostly small, sometimes past a chunk (2048) or a none slice (8192). */
function messagesArbitrary(maxCount: number, large: boolean): fc.Arbitrary<readonly Uint8Array[]> {
  const message = fc.oneof(
    { weight: 6, arbitrary: fc.uint8Array({ maxLength: 80, size: 'max' }) },
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2200, size: 'max' }) },
    { weight: large ? 1 : 0, arbitrary: bulkBytesArbitrary(8000, 9000) },
    { weight: large ? 1 : 0, arbitrary: bulkBytesArbitrary(16_000, 40_000) },
  );
  return fc.array(message, { maxLength: maxCount });
}

interface AddressCase {
  readonly address: Address;
  /** What the server decodes (undefined: the test does not predict it; null: refused). */
  readonly expected: Address | null | undefined;
}

const DOMAIN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._';
const WEIRD_CHARS = ['0', '1', '9', '.', ':', '[', ']', ' ', '\t', '\n', '\u000b', '\u00a0', '\u0085', '\ufeff', 'a', 'f', '-', '_', '%', 'é', '/', '\u0000'];

const canonicalDomain = fc
  .tuple(fc.integer({ min: 0, max: 51 }), fc.array(fc.integer({ min: 0, max: DOMAIN_CHARS.length - 1 }), { maxLength: 80, size: 'medium' }))
  .map(([first, rest]) => [first, ...rest].map((i) => DOMAIN_CHARS[i]).join(''));

/** Text that looks like an IP or a domain without being one, or is one with odd framing. */
export const trickyDomain: fc.Arbitrary<string> = fc
  .oneof(
    fc.array(fc.constantFrom(...WEIRD_CHARS), { minLength: 1, maxLength: 40, size: 'medium' }).map((chars) => chars.join('')),
    fc
      .tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.constantFrom('', ' ', '\t', '\u00a0', '\u0085', '\n'), fc.constantFrom('', ' ', '\u00a0', '\t'))
      .map(([ip, before, after]) => `${before}${ip.join('.')}${after}`),
    fc
      .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), fc.constantFrom('', ' ', '\u00a0', '%eth0'))
      .map(([ip, brackets, tail]) => {
        const text = `${formatIpv6(Buffer.from(ip))}${tail}`;
        return brackets ? `[${text}]` : text;
      }),
    fc.constantFrom('[::1]', '[1.2.3.4]', '01.2.3.4', '1.2.3', '::ffff:1.2.3.4', '[::ffff:1.2.3.4]', '1::', '[]', '[', '1.2.3.4.5', '256.1.1.1', '::1%1'),
  )
  .filter((text) => Buffer.byteLength(text, 'latin1') <= 255 && Buffer.byteLength(text, 'utf8') <= 255);

function mappedToIpv4(bytes: Uint8Array): string | undefined {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return undefined;
  return bytes[10] === 0xff && bytes[11] === 0xff ? `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}` : undefined;
}

const addressArbitrary: fc.Arbitrary<AddressCase> = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((ip): AddressCase => {
    const address: Address = { kind: 'ipv4', value: ip.join('.') };
    return { address, expected: address };
  }),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((ip): AddressCase => {
    const v4 = mappedToIpv4(ip);
    const address: Address = { kind: 'ipv6', value: formatIpv6(Buffer.from(ip)) };
    return { address, expected: v4 ? { kind: 'ipv4', value: v4 } : address };
  }),
  canonicalDomain.map((value): AddressCase => {
    const address: Address = { kind: 'domain', value };
    return { address, expected: address };
  }),
  trickyDomain.map((value): AddressCase => ({ address: { kind: 'domain', value }, expected: undefined })),
);

// ---------------------------------------------------------------------------------------------
// Server handshake

function checkHandshakeResult(result: ServerHandshakeResult<string>, pushed: number): void {
  check(result.status === 'need-more' || result.status === 'done' || result.status === 'fail', `unknown handshake status ${String((result as { status: unknown }).status)}`);
  if (result.status === 'fail') {
    checkReported('ServerHandshake.push', result.error, HANDSHAKE_CODES);
    check(typeof result.drain === 'boolean', 'fail.drain must be a boolean');
    check(Number.isInteger(result.drainTotal) && result.drainTotal >= DRAIN_FIXED, `drainTotal ${result.drainTotal} below ${DRAIN_FIXED}`);
    check(Number.isInteger(result.bytesConsumed) && result.bytesConsumed >= 0 && result.bytesConsumed <= pushed, `fail.bytesConsumed ${result.bytesConsumed} of ${pushed} pushed`);
  }
  if (result.status === 'done') {
    check(result.bytesConsumed + result.rest.length === pushed, `done: ${result.bytesConsumed} consumed + ${result.rest.length} rest != ${pushed} pushed`);
    const { header } = result;
    check(([SECURITY.legacy, SECURITY.aes128Gcm, SECURITY.chacha20Poly1305, SECURITY.none] as number[]).includes(header.security), `accepted security ${header.security}`);
    check(([COMMAND.tcp, COMMAND.udp, COMMAND.mux] as number[]).includes(header.command), `accepted command ${header.command}`);
    check(header.bodyKey.length === 16 && header.bodyIv.length === 16, 'body key and IV have 16 bytes');
    check(!((header.options & OPTION.globalPadding) !== 0 && (header.options & OPTION.chunkMasking) === 0), 'accepted padding without masking');
  }
}

interface HandshakeRun {
  readonly status: string;
  readonly code?: string;
  readonly message?: string;
  readonly drain?: boolean;
  readonly bytesConsumed?: number;
  readonly tag?: string;
  readonly header?: RequestHeader;
  readonly body?: DecodedBody;
}

/** Runs one connection: pushes `pieces` until the handshake settles, then decodes the body that follows. */
function runHandshake(context: ServerHandshakeContext<string>, pieces: readonly Buffer[]): HandshakeRun {
  const handshake = noThrow('new ServerHandshake', () => new ServerHandshake(context, () => 0));
  let pushed = 0;
  for (const [index, piece] of pieces.entries()) {
    pushed += piece.length;
    const result = noThrow('ServerHandshake.push', () => handshake.push(piece, NOW));
    checkHandshakeResult(result, pushed);
    if (result.status === 'need-more') continue;
    const repeat = noThrow('ServerHandshake.push after the end', () => handshake.push(Buffer.from([7]), NOW));
    check(repeat === result, 'a settled handshake must repeat its result');
    if (result.status === 'fail') {
      return { status: 'fail', code: result.error.code, message: result.error.message, drain: result.drain, bytesConsumed: result.bytesConsumed };
    }
    // What the inbound does next (inbound.ts serve): both must work for any accepted header.
    const decoder = noThrow('ServerSession.createRequestBodyDecoder', () => result.session.createRequestBodyDecoder());
    noThrow('ServerSession.createResponse', () => result.session.createResponse());
    const body = decodeBody(decoder, [result.rest, ...pieces.slice(index + 1)]);
    return { status: 'done', bytesConsumed: result.bytesConsumed, tag: result.user.tag, header: result.header, body };
  }
  return { status: 'need-more' };
}

function handshakeLabel(run: HandshakeRun): string {
  if (run.status === 'fail') return `fail-${run.code}`;
  if (run.status === 'done') return `done-${run.header?.command === COMMAND.mux ? 'mux' : 'target'}-${bodyLabel(run.body!)}`;
  return 'need-more';
}

/** The same bytes, in one push and in random pieces, on fresh inbounds: identical outcomes. */
function runBothWays(options: ContextOptions, wire: Buffer, split: Split): HandshakeRun {
  const whole = runHandshake(freshContext(options), [wire]);
  const pieces = runHandshake(freshContext(options), splitBytes(wire, split));
  checkEqual({ ...pieces, body: undefined }, { ...whole, body: undefined }, 'handshake outcome with random splits vs in one push');
  if (whole.body && pieces.body) checkSplitAgrees(whole.body, pieces.body, 'request body after the handshake');
  return whole;
}

interface RandomHandshakeInput {
  readonly prefix: 'none' | 'auth-id' | 'legacy-hash';
  readonly userIndex: number;
  readonly skew: number;
  readonly random4: Buffer;
  readonly legacyIdIndex: number;
  readonly bytes: Buffer;
  readonly aeadOnly: boolean;
  readonly strict: boolean;
  readonly split: Split;
}

const skewArbitrary = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -AUTH_WINDOW_SECONDS, max: AUTH_WINDOW_SECONDS }) }, { weight: 1, arbitrary: fc.integer({ min: -400, max: 400 }) });

const handshakeRandom = defineTarget<RandomHandshakeInput>({
  name: 'vmess-handshake-random',
  summary: 'ServerHandshake on random bytes, alone or after a valid AuthID / legacy user hash (so random bytes reach the AEAD length open and the legacy CFB header parser)',
  weight: 3,
  testRuns: 400,
  arbitrary: fc.record({
    prefix: fc.constantFrom('none', 'auth-id', 'legacy-hash'),
    userIndex: fc.integer({ min: 0, max: 2 }),
    skew: skewArbitrary,
    random4: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => Buffer.from(b)),
    legacyIdIndex: fc.nat(),
    bytes: randomBytesArbitrary(700),
    aeadOnly: fc.boolean(),
    strict: fc.boolean(),
    split: splitArbitrary,
  }),
  run(input) {
    const user = getServer().users[input.userIndex]!;
    let prefix: Buffer = Buffer.alloc(0);
    if (input.prefix === 'auth-id') prefix = createAuthId(user.authId, NOW + input.skew, input.random4);
    if (input.prefix === 'legacy-hash') {
      const ids = [user.id, ...user.alterIds];
      prefix = legacyUserHash(ids[input.legacyIdIndex % ids.length]!.uuid, NOW + input.skew);
    }
    return handshakeLabel(runBothWays(input, Buffer.concat([prefix, input.bytes]), input.split));
  },
});

interface RequestSpec {
  readonly userIndex: number;
  readonly legacyHeader: boolean;
  readonly security: BodySecurity;
  readonly options: number;
  readonly command: CommandId;
  readonly address: AddressCase;
  readonly port: number;
  readonly bodyKey: Buffer;
  readonly bodyIv: Buffer;
  readonly responseAuth: number;
  readonly paddingLength: number;
  readonly padding: Buffer;
  readonly skew: number;
  readonly random4: Buffer;
  readonly connectionNonce: Buffer;
  readonly legacyIdIndex: number;
  readonly messages: readonly Uint8Array[];
  readonly end: boolean;
  readonly widenAt: number | undefined;
}

const widenAtArbitrary = fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined });

const requestSpecArbitrary: fc.Arbitrary<RequestSpec> = fc.record({
  userIndex: fc.integer({ min: 0, max: 2 }),
  legacyHeader: fc.boolean(),
  security: fc.constantFrom(...SECURITIES),
  options: anyOptions,
  command: commands,
  address: addressArbitrary,
  port: fc.integer({ min: 0, max: 0xffff }),
  bodyKey: bytes16,
  bodyIv: bytes16,
  responseAuth: fc.integer({ min: 0, max: 255 }),
  paddingLength: fc.integer({ min: 0, max: 15 }),
  padding: fc.uint8Array({ minLength: 15, maxLength: 15 }).map((b) => Buffer.from(b)),
  skew: skewArbitrary,
  random4: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => Buffer.from(b)),
  connectionNonce: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b)),
  legacyIdIndex: fc.nat(),
  messages: messagesArbitrary(3, false),
  end: fc.boolean(),
  widenAt: widenAtArbitrary,
});

/** Request header bytes and body wire, exactly as the engine's client writes them (padding zeroed). */
function buildRequest(spec: RequestSpec): { header: Buffer; body: EncodedBody } {
  const user = getServer().users[spec.userIndex]!;
  const ids = [user.id, ...user.alterIds];
  const clientNow = NOW + spec.skew;
  const built = noThrow('createClientRequest', () =>
    createClientRequest({
      user,
      security: spec.security,
      command: spec.command,
      address: spec.address.address,
      port: spec.port,
      options: spec.options,
      legacyHeader: spec.legacyHeader,
      nowSeconds: clientNow,
      bodyKey: spec.bodyKey,
      bodyIv: spec.bodyIv,
      responseAuth: spec.responseAuth,
      paddingLength: spec.paddingLength,
      padding: spec.padding,
      authId: createAuthId(user.authId, clientNow, spec.random4),
      connectionNonce: spec.connectionNonce,
      legacyTimestamp: clientNow,
      legacyId: ids[spec.legacyIdIndex % ids.length]!,
    }),
  );
  const codec: BodyCodecOptions = { security: spec.security, options: spec.options, command: spec.command, key: spec.bodyKey, iv: spec.bodyIv };
  const encodable = (spec.options & OPTION.globalPadding) === 0 || (spec.options & OPTION.chunkMasking) !== 0;
  const body = encodable ? encodeBody(codec, spec.messages, spec.end, spec.widenAt) : { wire: Buffer.alloc(0), plain: Buffer.alloc(0), datagrams: [] };
  if (encodable) return { header: built.headerBytes, body: { ...body, wire: zeroPadding(body.wire, codec) } };
  return { header: built.headerBytes, body };
}

/** What the server must do with an untouched request. */
function checkUntouchedRequest(spec: RequestSpec, options: ContextOptions, run: HandshakeRun, body: EncodedBody): void {
  const inWindow = Math.abs(spec.skew) <= AUTH_WINDOW_SECONDS;
  const expectFail = (code: ErrorCode, why: string): void => checkEqual(run.code, code, `untouched request (${why}): outcome`);
  if (!inWindow) return expectFail('PH_VMESS_AUTH_FAILED', 'clock skew outside ±120 s');
  if (spec.legacyHeader && options.aeadOnly) return expectFail('PH_VMESS_AUTH_FAILED', 'legacy header on an AEAD-only inbound');
  if ((spec.options & OPTION.globalPadding) !== 0 && (spec.options & OPTION.chunkMasking) === 0) return expectFail('PH_VMESS_BAD_HEADER', 'padding without masking');
  if (options.strict && (spec.security === SECURITY.none || spec.security === SECURITY.legacy)) return expectFail('PH_VMESS_BAD_HEADER', 'insecure encryption refused');
  if (spec.command !== COMMAND.mux && spec.address.expected === null) return expectFail('PH_VMESS_BAD_HEADER', 'bad address');
  if (spec.command !== COMMAND.mux && spec.address.expected === undefined && run.status === 'fail') {
    return expectFail('PH_VMESS_BAD_HEADER', 'address the test does not predict');
  }
  checkEqual(run.status, 'done', `untouched request: status (${run.code ?? ''} ${run.message ?? ''})`);
  const header = run.header!;
  checkEqual(run.tag, getServer().users[spec.userIndex]!.tag, 'untouched request: user');
  checkEqual(
    { key: header.bodyKey, iv: header.bodyIv, responseAuth: header.responseAuth, options: header.options, security: header.security, command: header.command },
    { key: spec.bodyKey, iv: spec.bodyIv, responseAuth: spec.responseAuth, options: spec.options, security: spec.security, command: spec.command },
    'untouched request: header fields',
  );
  if (spec.command !== COMMAND.mux) {
    checkEqual(header.port, spec.port, 'untouched request: port');
    if (spec.address.expected) checkEqual(header.address, spec.address.expected, 'untouched request: address');
  }
  checkUntouchedBody(run.body!, body, { security: spec.security, options: spec.options, command: spec.command }, spec.end);
}

function checkUntouchedBody(decoded: DecodedBody, body: EncodedBody, codec: Pick<BodyCodecOptions, 'security' | 'options' | 'command'>, end: boolean): void {
  checkEqual(decoded.error, undefined, 'untouched body: error');
  check(decoded.plain.equals(body.plain), () => `untouched body: plaintext differs (${decoded.plain.length} vs ${body.plain.length} bytes)`);
  checkEqual(decoded.ended, end && (codec.options & OPTION.chunkStream) !== 0, 'untouched body: EOS');
  if (codec.command === COMMAND.udp && framing(codec) === 'aead') {
    checkEqual(decoded.chunks.filter((chunk) => chunk.length > 0).map((chunk) => Buffer.from(chunk)), body.datagrams.map((d) => Buffer.from(d)), 'untouched UDP body: one chunk per datagram');
  }
}

interface MutatedHandshakeInput {
  readonly spec: RequestSpec;
  readonly aeadOnly: boolean;
  readonly strict: boolean;
  readonly replay: boolean;
  readonly mutations: readonly Mutation[];
  readonly split: Split;
}

const handshakeMutated = defineTarget<MutatedHandshakeInput>({
  name: 'vmess-handshake-mutated',
  summary: 'ServerHandshake on valid AEAD and legacy requests (+ body) from createClientRequest, mutated (flip/set/insert/delete/duplicate/truncate) and split; replays; untouched requests must be accepted',
  weight: 3,
  testRuns: 300,
  arbitrary: fc.record({
    spec: requestSpecArbitrary,
    aeadOnly: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    strict: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    replay: fc.boolean(),
    mutations: mutationsArbitrary(5),
    split: splitArbitrary,
  }),
  run(input) {
    const { header, body } = buildRequest(input.spec);
    const wire = applyMutations(Buffer.concat([header, body.wire]), input.mutations);
    const run = runBothWays(input, wire, input.split);
    if (input.mutations.length === 0) checkUntouchedRequest(input.spec, input, run, body);
    if (input.replay && run.status === 'done') {
      // The same connection bytes again on the same inbound: refused as a replay.
      const context = freshContext(input);
      runHandshake(context, [wire]);
      const again = runHandshake(context, [wire]);
      checkEqual(again.code, 'PH_VMESS_REPLAY', 'the same accepted request sent twice');
    }
    return `${input.mutations.length === 0 ? 'untouched' : 'mutated'}-${handshakeLabel(run)}`;
  },
});

// ---------------------------------------------------------------------------------------------
// Body decoder

interface BodyCodecCase {
  readonly security: number;
  readonly options: number;
  readonly command: number;
  readonly key: Buffer;
  readonly iv: Buffer;
}

function toCodec(c: BodyCodecCase): BodyCodecOptions {
  return { security: c.security as BodySecurity, options: c.options, command: c.command, key: c.key, iv: c.iv };
}

interface RandomBodyInput {
  readonly codec: BodyCodecCase;
  readonly bytes: Buffer;
  readonly split: Split;
}

const oddLengthKey = fc.oneof({ weight: 30, arbitrary: bytes16 }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 33 }).map((b) => Buffer.from(b)) });

const bodyRandom = defineTarget<RandomBodyInput>({
  name: 'vmess-body-random',
  summary: 'createBodyDecoder with any security nibble, option byte and command, fed random bytes in random pieces',
  weight: 2,
  testRuns: 400,
  arbitrary: fc.record({
    codec: fc.record({
      security: fc.oneof({ weight: 8, arbitrary: fc.constantFrom<number>(...SECURITIES) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
      options: anyOptions,
      command: fc.oneof({ weight: 8, arbitrary: commands }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
      key: oddLengthKey,
      iv: oddLengthKey,
    }),
    bytes: randomBytesArbitrary(5000),
    split: splitArbitrary,
  }),
  run(input) {
    const { codec } = input;
    const refused =
      ((codec.options & OPTION.globalPadding) !== 0 && (codec.options & OPTION.chunkMasking) === 0) ||
      codec.key.length !== 16 ||
      codec.iv.length !== 16 ||
      !(SECURITIES as readonly number[]).includes(codec.security);
    const make = (): Guarded<BodyDecoder> => guard('createBodyDecoder', BAD_HEADER, () => createBodyDecoder(toCodec(codec)));
    const first = make();
    checkEqual(!first.ok, refused, 'createBodyDecoder refuses exactly the options a 4.34 peer cannot run');
    if (!first.ok) return 'refused';
    const whole = decodeBody(first.value, [input.bytes]);
    const second = make();
    if (!second.ok) throw new Error('unreachable');
    checkSplitAgrees(whole, decodeBody(second.value, splitBytes(input.bytes, input.split)), 'random body');
    return `${framing(toCodec(codec))}-${bodyLabel(whole)}`;
  },
});

interface MutatedBodyInput {
  readonly codec: BodyCodecCase;
  readonly messages: readonly Uint8Array[];
  readonly end: boolean;
  readonly widenAt: number | undefined;
  readonly mutations: readonly Mutation[];
  readonly split: Split;
}

function bodyMutated(security: BodySecurity, name: string, weight: number): FuzzTarget<unknown> {
  return defineTarget<MutatedBodyInput>({
    name: `vmess-body-${name}`,
    summary: `${name} body: valid encoder output (options 0x00/01/04/05/0C/0D ± 0x02, TCP/UDP/Mux, 2 KiB or widened 16 KiB chunks) mutated and split; untouched must round-trip${security === SECURITY.aes128Gcm || security === SECURITY.chacha20Poly1305 ? ', mutated must never yield altered plaintext' : ''}`,
    weight,
    testRuns: 250,
    arbitrary: fc.record({
      codec: fc.record({ security: fc.constant(security), options: validOptions, command: commands, key: bytes16, iv: bytes16 }),
      messages: messagesArbitrary(4, true),
      end: fc.boolean(),
      widenAt: widenAtArbitrary,
      mutations: mutationsArbitrary(4),
      split: splitArbitrary,
    }),
    run(input) {
      const codec = toCodec(input.codec);
      const body = encodeBody(codec, input.messages, input.end, input.widenAt);
      const wire = applyMutations(zeroPadding(body.wire, codec), input.mutations);
      const decoders = [createBodyDecoder(codec), createBodyDecoder(codec)] as const;
      const whole = decodeBody(decoders[0], [wire]);
      checkSplitAgrees(whole, decodeBody(decoders[1], splitBytes(wire, input.split)), 'mutated body');
      if (input.mutations.length === 0) checkUntouchedBody(whole, body, codec, input.end);
      else if (security === SECURITY.aes128Gcm || security === SECURITY.chacha20Poly1305) {
        check(body.plain.subarray(0, whole.plain.length).equals(whole.plain), 'an authenticated body yielded plaintext that was never sent');
      }
      return `${input.mutations.length === 0 ? 'untouched' : 'mutated'}-${framing(codec)}-${bodyLabel(whole)}`;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Client: response header parser

interface SessionCase {
  readonly aead: boolean;
  readonly security: BodySecurity;
  readonly options: number;
  readonly command: CommandId;
  readonly bodyKey: Buffer;
  readonly bodyIv: Buffer;
  readonly responseAuth: number;
}

const sessionArbitrary: fc.Arbitrary<SessionCase> = fc.record({
  aead: fc.boolean(),
  security: fc.constantFrom(...SECURITIES),
  options: validOptions,
  command: commands,
  bodyKey: bytes16,
  bodyIv: bytes16,
  responseAuth: fc.integer({ min: 0, max: 255 }),
});

function requestHeaderOf(session: SessionCase, responseAuth = session.responseAuth): RequestHeader {
  return {
    version: 1,
    bodyIv: session.bodyIv,
    bodyKey: session.bodyKey,
    responseAuth,
    options: session.options,
    security: session.security,
    command: session.command,
    address: { kind: 'domain', value: 'example.com' },
    port: 443,
  };
}

interface ResponseRun {
  readonly status: string;
  readonly message?: string;
  readonly bytesConsumed?: number;
  readonly command?: number;
  readonly commandData?: Buffer;
  readonly body?: DecodedBody;
}

function runResponse(session: ClientSession, pieces: readonly Buffer[]): ResponseRun {
  const parser = session.createResponseParser();
  let pushed = 0;
  for (const [index, piece] of pieces.entries()) {
    pushed += piece.length;
    const result: ClientResponseResult = noThrow('ClientResponseParser.push', () => parser.push(piece));
    check(['need-more', 'done', 'fail'].includes(result.status), `unknown response status ${result.status}`);
    if (result.status === 'need-more') continue;
    check(result.bytesConsumed >= 0 && result.bytesConsumed <= pushed, `response bytesConsumed ${result.bytesConsumed} of ${pushed}`);
    const repeat = noThrow('ClientResponseParser.push after the end', () => parser.push(Buffer.from([7])));
    check(repeat === result, 'a settled response parser must repeat its result');
    if (result.status === 'fail') {
      checkReported('ClientResponseParser.push', result.error, BAD_HEADER);
      return { status: 'fail', message: result.error.message, bytesConsumed: result.bytesConsumed };
    }
    check(result.bytesConsumed + result.rest.length === pushed, 'response: consumed + rest != pushed');
    check(result.header.commandData.length <= 255, 'response command data over 255 bytes');
    const body = decodeBody(result.decoder, [result.rest, ...pieces.slice(index + 1)]);
    return { status: 'done', bytesConsumed: result.bytesConsumed, command: result.header.command, commandData: result.header.commandData, body };
  }
  return { status: 'need-more' };
}

function responseLabel(run: ResponseRun): string {
  return run.status === 'done' ? `done-${bodyLabel(run.body!)}` : run.status;
}

function runResponseBothWays(session: SessionCase, wire: Buffer, split: Split, responseAuth?: number): ResponseRun {
  const client = (): ClientSession => new ClientSession(requestHeaderOf(session, responseAuth), session.aead);
  const whole = runResponse(client(), [wire]);
  const pieces = runResponse(client(), splitBytes(wire, split));
  checkEqual({ ...pieces, body: undefined }, { ...whole, body: undefined }, 'response outcome with random splits vs in one push');
  if (whole.body && pieces.body) checkSplitAgrees(whole.body, pieces.body, 'response body');
  return whole;
}

interface RandomResponseInput {
  readonly session: SessionCase;
  /** Put a valid response header (so the random bytes reach the body decoder) or nothing in front. */
  readonly validHeader: boolean;
  readonly bytes: Buffer;
  readonly split: Split;
}

const responseRandom = defineTarget<RandomResponseInput>({
  name: 'vmess-response-random',
  summary: 'ClientResponseParser (AEAD and legacy sessions, every security) on random bytes, alone or after a valid response header, in random pieces; then the response body decoder it hands over',
  weight: 2,
  testRuns: 400,
  arbitrary: fc.record({ session: sessionArbitrary, validHeader: fc.boolean(), bytes: randomBytesArbitrary(1500), split: splitArbitrary }),
  run(input) {
    const header = input.validHeader ? new ServerSession(requestHeaderOf(input.session), input.session.aead).createResponse().headerBytes : Buffer.alloc(0);
    return responseLabel(runResponseBothWays(input.session, Buffer.concat([header, input.bytes]), input.split));
  },
});

interface MutatedResponseInput {
  readonly session: SessionCase;
  readonly command: { readonly command: number; readonly commandData: Buffer } | undefined;
  /** The client expects another response auth byte V. */
  readonly wrongAuth: number;
  readonly messages: readonly Uint8Array[];
  readonly end: boolean;
  readonly widenAt: number | undefined;
  readonly mutations: readonly Mutation[];
  readonly split: Split;
}

const responseMutated = defineTarget<MutatedResponseInput>({
  name: 'vmess-response-mutated',
  summary: 'ClientResponseParser on valid responses from ServerSession.createResponse (with and without a command, AEAD and legacy) plus body, mutated and split',
  weight: 2,
  testRuns: 300,
  arbitrary: fc.record({
    session: sessionArbitrary,
    command: fc.option(fc.record({ command: fc.integer({ min: 0, max: 255 }), commandData: fc.uint8Array({ maxLength: 255, size: 'max' }).map((b) => Buffer.from(b)) }), { nil: undefined }),
    wrongAuth: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 255 }) }),
    messages: messagesArbitrary(3, false),
    end: fc.boolean(),
    widenAt: widenAtArbitrary,
    mutations: mutationsArbitrary(4),
    split: splitArbitrary,
  }),
  run(input) {
    const { session } = input;
    const serverSession = new ServerSession(requestHeaderOf(session), session.aead);
    const response = noThrow('ServerSession.createResponse', () => serverSession.createResponse(input.command));
    const codec: BodyCodecOptions = { security: session.security, options: session.options, command: session.command, key: serverSession.responseKey, iv: serverSession.responseIv };
    const body = encodeWith(response.encoder, codec, input.messages, input.end, input.widenAt);
    const { headerBytes } = response;
    // Legacy header + legacy security: one CFB stream carries both, so zero the padding across it.
    const wire =
      !session.aead && session.security === SECURITY.legacy
        ? zeroPadding(Buffer.concat([headerBytes, body.wire]), codec, headerBytes.length)
        : Buffer.concat([headerBytes, zeroPadding(body.wire, codec)]);
    const mutated = applyMutations(wire, input.mutations);
    const run = runResponseBothWays(session, mutated, input.split, (session.responseAuth + input.wrongAuth) & 0xff);
    if (input.mutations.length === 0) {
      if (input.wrongAuth !== 0) checkEqual(run.status, 'fail', 'untouched response with another V');
      else {
        checkEqual(run.status, 'done', 'untouched response: status');
        const command = input.command?.command ?? 0;
        checkEqual(run.command, command, 'untouched response: command');
        if (command !== 0) check(run.commandData!.equals(input.command!.commandData), 'untouched response: command data');
        checkUntouchedBody(run.body!, body, codec, input.end);
      }
    }
    return `${input.mutations.length === 0 ? 'untouched' : 'mutated'}-${responseLabel(run)}`;
  },
});

// ---------------------------------------------------------------------------------------------
// Header plaintext codecs

interface RequestPlainInput {
  readonly fixed: Buffer;
  readonly security: number;
  readonly paddingLength: number;
  readonly command: number;
  readonly port: number;
  readonly addressType: number;
  readonly address: Buffer;
  readonly domainLengthDelta: number;
  readonly padding: Buffer;
  readonly goodChecksum: boolean;
  readonly tail: Buffer;
  readonly cut: number;
}

const requestPlainArbitrary: fc.Arbitrary<RequestPlainInput> = fc.record({
  fixed: fc.uint8Array({ minLength: 38, maxLength: 38 }).map((b) => Buffer.from(b)),
  security: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1, 3, 4, 5) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  paddingLength: fc.integer({ min: 0, max: 15 }),
  command: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  port: fc.integer({ min: 0, max: 0xffff }),
  addressType: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  address: fc.oneof(
    fc.uint8Array({ maxLength: 40, size: 'medium' }).map((b) => Buffer.from(b)),
    trickyDomain.map((text) => Buffer.from(text, 'latin1')),
    canonicalDomain.map((text) => Buffer.from(text, 'latin1')),
  ),
  domainLengthDelta: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
  padding: fc.uint8Array({ minLength: 15, maxLength: 15 }).map((b) => Buffer.from(b)),
  goodChecksum: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  tail: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)),
  cut: fc.nat(),
});

/** Builds a request header plaintext field by field (addresses of any shape, checksum usually right). */
function buildRequestPlain(input: RequestPlainInput): Buffer {
  const fixed = Buffer.from(input.fixed);
  fixed[35] = (input.paddingLength << 4) | input.security;
  fixed[37] = input.command;
  const parts: Buffer[] = [fixed];
  if (input.command === COMMAND.tcp || input.command === COMMAND.udp) {
    const port = Buffer.alloc(3);
    port.writeUInt16BE(input.port);
    port[2] = input.addressType;
    parts.push(port);
    if (input.addressType === 1) parts.push(Buffer.concat([input.address, Buffer.alloc(4)]).subarray(0, 4));
    else if (input.addressType === 3) parts.push(Buffer.concat([input.address, Buffer.alloc(16)]).subarray(0, 16));
    else if (input.addressType === 2) {
      const domain = input.address.subarray(0, 255);
      parts.push(Buffer.from([Math.max(0, Math.min(255, domain.length + input.domainLengthDelta))]), domain);
    }
  }
  parts.push(input.padding.subarray(0, input.paddingLength));
  const body = Buffer.concat(parts);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(input.goodChecksum ? fnv1a32(body) : (fnv1a32(body) ^ 1) >>> 0);
  return Buffer.concat([body, sum, input.tail]);
}

/** The mux address parser reads the same Go function (`protocol.AddressParser`); both must agree. */
function muxView(type: number, bytes: Buffer): Address | null {
  const decoded = guard('mux decodeAddress', ['PH_MUX_BAD_FRAME'], () => decodeMuxAddress(Buffer.concat([Buffer.from([type]), bytes]), 0));
  if (!decoded.ok) return null;
  const { address } = decoded.value;
  return { kind: address.type === 1 ? 'ipv4' : address.type === 3 ? 'ipv6' : 'domain', value: address.host };
}

const requestHeaderCodec = defineTarget<RequestPlainInput>({
  name: 'vmess-codec-request-header',
  summary: 'decodeRequestHeader on structured plaintexts (any command, address type and domain text, right or wrong FNV): no throws, prefixes need more, accepted headers re-encode to themselves, addresses agree with the Mux.Cool address parser',
  weight: 2,
  testRuns: 500,
  arbitrary: requestPlainArbitrary,
  run(input) {
    const plain = buildRequestPlain(input);
    const decode = (bytes: Buffer): ReturnType<typeof decodeRequestHeader> => {
      const result = noThrow('decodeRequestHeader', () => decodeRequestHeader(bytes));
      if (result.status === 'fail') checkReported('decodeRequestHeader', result.error, BAD_HEADER);
      return result;
    };
    const result = decode(plain);
    // The legacy path feeds the decoder a growing prefix: a prefix either needs more or is
    // decided exactly as the whole input, and an accepted header needs all of its bytes.
    const cut = input.cut % (plain.length + 1);
    const partial = decode(plain.subarray(0, cut));
    if (partial.status !== 'need-more') checkEqual(partial, result, `decodeRequestHeader of a ${cut}-byte prefix of ${plain.length} bytes vs the whole`);
    if (result.status === 'done') checkEqual(decode(plain.subarray(0, result.length - 1)).status, 'need-more', 'an accepted header minus its last byte');
    const addressed = (input.command === COMMAND.tcp || input.command === COMMAND.udp) && [1, 2, 3].includes(input.addressType);
    const addressBytes = (): Buffer => plain.subarray(41, 41 + (input.addressType === 1 ? 4 : input.addressType === 3 ? 16 : 1 + plain[41]!));
    if (result.status === 'fail' && addressed && /remote address/.test(result.error.message)) {
      checkEqual(muxView(input.addressType, addressBytes()), null, 'VMess refuses an address that Mux.Cool accepts');
    }
    if (result.status !== 'done') return result.status === 'fail' ? `fail${result.checksumFailed ? '-checksum' : ''}` : 'need-more';
    check(result.length <= plain.length, 'decoded length beyond the input');
    const { header } = result;
    const again = noThrow('encodeRequestHeader of a decoded header', () => encodeRequestHeader(header, { paddingLength: input.paddingLength, padding: input.padding }));
    const redecoded = decode(again);
    check(redecoded.status === 'done', 'a re-encoded header does not decode');
    checkEqual(redecoded.header, header, 'decoded → encoded → decoded header');
    if (addressed) {
      const mux = muxView(input.addressType, addressBytes());
      checkEqual(header.address, mux, 'VMess and Mux.Cool read the same address bytes differently');
    }
    return `done-${header.address.kind}`;
  },
});

const responseHeaderCodec = defineTarget<Buffer>({
  name: 'vmess-codec-response-header',
  summary: 'decodeResponseHeader on random plaintexts: need-more or a header that re-encodes and decodes to itself',
  weight: 1,
  testRuns: 300,
  arbitrary: randomBytesArbitrary(300),
  run(bytes) {
    const result = noThrow('decodeResponseHeader', () => decodeResponseHeader(bytes));
    if (result.status === 'need-more') return 'need-more';
    const { header, length } = result;
    check(length <= bytes.length && length >= 4, 'response header length out of range');
    const encoded = noThrow('encodeResponseHeader of a decoded header', () => encodeResponseHeader(header));
    const again = decodeResponseHeader(encoded);
    check(again.status === 'done', 're-encoded response header does not decode');
    checkEqual(again.header, header, 'decoded → encoded → decoded response header');
    return header.command === 0 ? 'done-plain' : 'done-command';
  },
});

export const vmessTargets: readonly FuzzTarget<unknown>[] = [
  handshakeRandom,
  handshakeMutated,
  bodyRandom,
  bodyMutated(SECURITY.aes128Gcm, 'aes-128-gcm', 2),
  bodyMutated(SECURITY.chacha20Poly1305, 'chacha20-poly1305', 2),
  bodyMutated(SECURITY.none, 'none', 2),
  bodyMutated(SECURITY.legacy, 'legacy', 1),
  responseRandom,
  responseMutated,
  requestHeaderCodec,
  responseHeaderCodec,
];
