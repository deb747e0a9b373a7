/**
 * Server side of the VMess handshake as a resumable state machine, spec §1.6 and §2
 * (`proxy/vmess/encoding/server.go` DecodeRequestHeader / EncodeResponseHeader).
 *
 *   AUTH_ID      16 bytes: AuthID of some user (AEAD), else a legacy user hash
 *   AEAD_LENGTH  18 + 8 bytes: EncLen ‖ connection nonce → L
 *   AEAD_HEADER  L + 16 bytes: EncHeader → request header plaintext (codec.ts)
 *   LEGACY       CFB-decrypted header plaintext, as long as codec.ts asks
 *   DONE / FAILED
 *
 * Feed bytes as they arrive, split anyhow. Failure results say whether V2Ray would drain: after an
 * unknown user, a replayed AuthID or a header that fails to open (AEAD), and after a duplicate
 * session or bad checksum (legacy), V2Ray reads and discards until `drainTotal` bytes of the
 * connection have been read, then closes, and never writes anything back. Later AEAD failures
 * close at once. Interop does not depend on the exact drain length: the seeded sizes below follow
 * V2Ray's recipe (per-inbound base + per-connection random) but not Go's math/rand sequence.
 */
import { randomInt } from 'node:crypto';
import { PortholeError } from '../../common/errors.js';
import { computeBehaviorSeed, type VmessUser } from './account.js';
import {
  deriveRequestHeaderKeys,
  deriveResponseHeaderKeys,
  matchAuthId,
  openRequestHeaderLength,
  openRequestHeaderPayload,
  sealResponseHeader,
  type RequestHeaderKeys,
} from './aead.js';
import { createBodyDecoder, createBodyEncoder, type BodyDecoder, type BodyEncoder } from './body.js';
import { SessionKeys } from './session-keys.js';
import { decodeRequestHeader, encodeResponseHeader, type RequestHeader, type ResponseHeader } from './codec.js';
import {
  AUTH_ID_LENGTH,
  CONNECTION_NONCE_LENGTH,
  DRAIN_BASE_RANGE,
  DRAIN_FIXED,
  DRAIN_RANDOM_MAX_RANGE,
  OPTION,
  REQUEST_FIXED_LENGTH,
  SEALED_LENGTH_LENGTH,
  SECURITY,
  TAG_LENGTH,
} from './consts.js';
import { createLegacyHeaderDecipher, createLegacyResponseCipher, type LegacyUserValidator } from './legacy.js';
import type { AuthIdReplayFilter, SessionHistory } from './replay.js';
import { HandshakeInput } from './handshake-input.js';

/** Per-inbound drain sizes: `drainTotal = 54 + base + random(randomMax)`. */
export interface DrainPolicy {
  base: number;
  randomMax: number;
}

/** Derives the per-inbound drain sizes from the behaviour seed (splitmix64; not Go's math/rand). */
export function computeDrainPolicy(seed: bigint): DrainPolicy {
  let state = BigInt.asUintN(64, seed);
  const next = (): bigint => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
  return {
    base: Number(next() % BigInt(DRAIN_BASE_RANGE)),
    randomMax: Number(next() % BigInt(DRAIN_RANDOM_MAX_RANGE)) + 1,
  };
}

/** Everything shared by the connections of one inbound. */
export interface ServerHandshakeContext<T> {
  users: readonly VmessUser<T>[];
  replayFilter: AuthIdReplayFilter;
  sessionHistory: SessionHistory;
  /** Legacy (MD5) header support; omit to accept AEAD only (V2Ray's `V2RAY_VMESS_AEAD_FORCED`). */
  legacy?: LegacyUserValidator<T>;
  /** Drain sizes; default from the users' behaviour seed. */
  drain?: DrainPolicy;
  /** Refuse security none and legacy (`disableInsecureEncryption`). */
  disableInsecureEncryption?: boolean;
}

/** Builds the shared context of an inbound, computing the drain policy from the users. */
export function createServerHandshakeContext<T>(context: ServerHandshakeContext<T>): ServerHandshakeContext<T> {
  return { ...context, drain: context.drain ?? computeDrainPolicy(computeBehaviorSeed(context.users)) };
}

export type ServerHandshakeResult<T> =
  | { status: 'need-more' }
  | {
      status: 'done';
      user: VmessUser<T>;
      header: RequestHeader;
      session: ServerSession;
      /** Handshake bytes (AuthID through checksum, or sealed header end). */
      bytesConsumed: number;
      /** Bytes pushed after the handshake: the start of the request body. */
      rest: Buffer;
    }
  | {
      status: 'fail';
      error: PortholeError;
      /** True: read and discard until `drainTotal` bytes of the connection were read, then close. */
      drain: boolean;
      /** Total bytes (from the connection start) to have read before closing when draining. */
      drainTotal: number;
      bytesConsumed: number;
    };

const STATE = {
  authId: 0,
  aeadLength: 1,
  aeadHeader: 2,
  legacy: 3,
  done: 4,
  failed: 5,
} as const;
type State = (typeof STATE)[keyof typeof STATE];

/** One connection's handshake parser. */
export class ServerHandshake<T> {
  private state: State = STATE.authId;
  private readonly input = new HandshakeInput();
  private readonly drainTotal: number;
  private user: VmessUser<T> | undefined;
  private authId = Buffer.alloc(0);
  private headerKeys: RequestHeaderKeys | undefined;
  private headerLength = 0;
  private legacyState:
    | { decipher: ReturnType<typeof createLegacyHeaderDecipher>; plain: Buffer; userHash: Buffer; sessionChecked: boolean }
    | undefined;
  private result: ServerHandshakeResult<T> | undefined;

  constructor(
    private readonly context: ServerHandshakeContext<T>,
    random: (max: number) => number = randomInt,
  ) {
    const drain = context.drain ?? computeDrainPolicy(computeBehaviorSeed(context.users));
    this.drainTotal = DRAIN_FIXED + drain.base + random(drain.randomMax);
  }

  /** Feeds bytes; `nowSeconds` is the current unix time. After `done` or `fail` the result repeats. */
  push(chunk: Buffer, nowSeconds: number): ServerHandshakeResult<T> {
    if (this.result) return this.result;
    this.input.append(chunk);
    for (;;) {
      const step = this.step(nowSeconds);
      if (step === 'need-more') return { status: 'need-more' };
      if (step) {
        this.result = step;
        return step;
      }
    }
  }

  private fail(code: 'PH_VMESS_AUTH_FAILED' | 'PH_VMESS_REPLAY' | 'PH_VMESS_BAD_HEADER', message: string, drain: boolean): ServerHandshakeResult<T> {
    return this.failWith(new PortholeError(code, `vmess: ${message}`), drain);
  }

  private failWith(error: PortholeError, drain: boolean): ServerHandshakeResult<T> {
    this.state = STATE.failed;
    return { status: 'fail', error, drain, drainTotal: this.drainTotal, bytesConsumed: this.input.consumed };
  }

  /**
   * V2Ray records (user, key, IV) as soon as the 38 fixed bytes are read, before the checksum.
   * Returns a failure for a duplicate; legacy duplicates taint the user hash and drain.
   */
  private checkSession(plain: Buffer, now: number): ServerHandshakeResult<T> | undefined {
    const bodyIv = plain.subarray(1, 17);
    const bodyKey = plain.subarray(17, 33);
    if (this.context.sessionHistory.addIfNotExists(this.user!.id.uuid, bodyKey, bodyIv, now)) return undefined;
    if (this.legacyState) {
      this.context.legacy?.taint(this.legacyState.userHash);
      return this.fail('PH_VMESS_REPLAY', 'duplicated session id, possibly under replay attack, userHash tainted', true);
    }
    return this.fail('PH_VMESS_REPLAY', 'duplicated session id, possibly under replay attack, but this is a AEAD request', false);
  }

  /** One transition: `need-more`, a final result, or undefined to continue. */
  private step(now: number): ServerHandshakeResult<T> | 'need-more' | undefined {
    switch (this.state) {
      case STATE.authId:
        return this.readAuthId(now);
      case STATE.aeadLength:
        return this.readAeadLength();
      case STATE.aeadHeader:
        return this.readAeadHeader(now);
      case STATE.legacy:
        return this.readLegacy(now);
      default:
        return 'need-more';
    }
  }

  private readAuthId(now: number): ServerHandshakeResult<T> | 'need-more' | undefined {
    if (this.input.length < AUTH_ID_LENGTH) return 'need-more';
    const authId = Buffer.from(this.input.take(AUTH_ID_LENGTH));
    const user = matchAuthId(this.context.users, authId, now);
    if (user) {
      if (!this.context.replayFilter.check(authId, now)) return this.fail('PH_VMESS_REPLAY', 'invalid user > replayed request', true);
      this.user = user;
      this.authId = authId;
      this.state = STATE.aeadLength;
      return undefined;
    }
    const legacy = this.context.legacy?.lookup(authId, now);
    if (!legacy) return this.fail('PH_VMESS_AUTH_FAILED', 'invalid user', true);
    this.user = legacy.user;
    this.legacyState = {
      decipher: createLegacyHeaderDecipher(legacy.user.id.cmdKey, legacy.timestamp),
      plain: Buffer.alloc(0),
      userHash: legacy.userHash,
      sessionChecked: false,
    };
    this.state = STATE.legacy;
    return undefined;
  }

  private readAeadLength(): ServerHandshakeResult<T> | 'need-more' | undefined {
    if (this.input.length < SEALED_LENGTH_LENGTH + CONNECTION_NONCE_LENGTH) return 'need-more';
    const sealedLength = this.input.take(SEALED_LENGTH_LENGTH);
    const nonce = this.input.take(CONNECTION_NONCE_LENGTH);
    this.headerKeys = deriveRequestHeaderKeys(this.user!.id.cmdKey, this.authId, nonce);
    const length = openRequestHeaderLength(this.headerKeys, this.authId, sealedLength);
    if (length === undefined) return this.fail('PH_VMESS_AUTH_FAILED', 'AEAD read failed > header length failed authentication', true);
    this.headerLength = length;
    this.state = STATE.aeadHeader;
    return undefined;
  }

  private readAeadHeader(now: number): ServerHandshakeResult<T> | 'need-more' | undefined {
    const sealedLength = this.headerLength + TAG_LENGTH;
    if (this.input.length < sealedLength) return 'need-more';
    const plain = openRequestHeaderPayload(this.headerKeys!, this.authId, this.input.take(sealedLength));
    if (!plain) return this.fail('PH_VMESS_AUTH_FAILED', 'AEAD read failed > header failed authentication', true);
    if (plain.length < REQUEST_FIXED_LENGTH) return this.fail('PH_VMESS_BAD_HEADER', 'failed to read request header', false);
    const duplicate = this.checkSession(plain, now);
    if (duplicate) return duplicate;
    const decoded = decodeRequestHeader(plain);
    if (decoded.status === 'need-more') return this.fail('PH_VMESS_BAD_HEADER', 'failed to read request header', false);
    if (decoded.status === 'fail') return this.failWith(decoded.error, false);
    return this.finish(decoded.header, true);
  }

  private readLegacy(now: number): ServerHandshakeResult<T> | 'need-more' | undefined {
    const legacy = this.legacyState!;
    // CFB plaintext depends only on earlier ciphertext, so decrypting bytes that turn out to be
    // body is harmless: the raw bytes stay in `input` for the body.
    const fresh = this.input.peek(legacy.plain.length);
    if (fresh.length > 0) legacy.plain = Buffer.concat([legacy.plain, legacy.decipher.update(fresh)]);
    if (!legacy.sessionChecked) {
      if (legacy.plain.length < REQUEST_FIXED_LENGTH) return 'need-more';
      legacy.sessionChecked = true;
      const duplicate = this.checkSession(legacy.plain, now);
      if (duplicate) return duplicate;
    }
    const decoded = decodeRequestHeader(legacy.plain);
    if (decoded.status === 'need-more') return 'need-more';
    if (decoded.status === 'fail') {
      if (decoded.checksumFailed) {
        // It is possible that we are under attack described in v2ray/v2ray-core#2523.
        this.context.legacy?.taint(legacy.userHash);
        return this.fail('PH_VMESS_BAD_HEADER', 'invalid auth, legacy userHash tainted', true);
      }
      return this.failWith(decoded.error, false);
    }
    this.input.take(decoded.length);
    return this.finish(decoded.header, false);
  }

  private finish(header: RequestHeader, aead: boolean): ServerHandshakeResult<T> {
    const user = this.user!;
    if ((header.options & OPTION.globalPadding) !== 0 && (header.options & OPTION.chunkMasking) === 0) {
      // A 4.34 server would panic here; refuse the connection instead.
      return this.fail('PH_VMESS_BAD_HEADER', 'GlobalPadding (0x08) without ChunkMasking (0x04)', false);
    }
    if (this.context.disableInsecureEncryption && (header.security === SECURITY.none || header.security === SECURITY.legacy)) {
      return this.fail('PH_VMESS_BAD_HEADER', `client is using insecure encryption: ${header.security}`, false);
    }
    this.state = STATE.done;
    const rest = this.input.takeRest();
    return {
      status: 'done',
      user,
      header,
      session: new ServerSession(header, aead),
      bytesConsumed: this.input.consumed,
      rest,
    };
  }
}

/** A response ready to send: its header bytes and the body encoder that follows them. */
export interface ServerResponse {
  headerBytes: Buffer;
  encoder: BodyEncoder;
}

/** The keys and framing of one accepted connection, for the body codecs and the response. */
export class ServerSession extends SessionKeys {
  /** Decoder of the request body (client → server). */
  createRequestBodyDecoder(): BodyDecoder {
    return createBodyDecoder(this.requestBodyOptions());
  }

  /**
   * The response header (`[V, 0, 0, 0]` unless a command is given) and the response body encoder.
   * V2Ray sends the header together with the first response chunk.
   */
  createResponse(command?: Pick<ResponseHeader, 'command' | 'commandData'>): ServerResponse {
    const { header } = this;
    const plain = encodeResponseHeader({
      responseAuth: header.responseAuth,
      options: 0,
      command: command?.command ?? 0,
      commandData: command?.commandData ?? Buffer.alloc(0),
    });
    const codec = this.responseBodyOptions();
    if (this.aead) {
      return { headerBytes: sealResponseHeader(deriveResponseHeaderKeys(this.responseKey, this.responseIv), plain), encoder: createBodyEncoder(codec) };
    }
    // Legacy: one CFB stream carries the header and, for security legacy, the body after it.
    const cfb = createLegacyResponseCipher(this.responseKey, this.responseIv);
    const headerBytes = cfb.update(plain);
    return { headerBytes, encoder: createBodyEncoder(header.security === SECURITY.legacy ? { ...codec, cfb } : codec) };
  }
}
