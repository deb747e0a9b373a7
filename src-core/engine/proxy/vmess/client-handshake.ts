/**
 * Client side of the VMess handshake, spec §1 and §2 (`proxy/vmess/encoding/client.go`,
 * `proxy/vmess/outbound/outbound.go`): builds the request header bytes, and parses the response
 * header as a resumable state machine.
 *
 * Request: AEAD (`aead.ts`) when the user has no alter IDs, else legacy (`legacy.ts`); plaintext from
 * `codec.ts`. Response: AEAD — sealed length (18) ‖ sealed header (M + 16); legacy — CFB header of
 * 4 + N bytes. The header's first byte must equal the request's V.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { PortholeError } from '../../common/errors.js';
import type { VmessId, VmessUser } from './account.js';
import {
  createAuthId,
  deriveResponseHeaderKeys,
  openResponseHeaderLength,
  openResponseHeaderPayload,
  sealRequestHeader,
  type ResponseHeaderKeys,
} from './aead.js';
import { createBodyDecoder, createBodyEncoder, type BodyCodecOptions, type BodyDecoder, type BodyEncoder } from './body.js';
import { SessionKeys } from './session-keys.js';
import { decodeResponseHeader, encodeRequestHeader, type RequestHeader, type ResponseHeader, type VmessAddress } from './codec.js';
import {
  COMMAND,
  MUX_COOL_DOMAIN,
  OPTION,
  REQUEST_VERSION,
  SEALED_LENGTH_LENGTH,
  SECURITY,
  TAG_LENGTH,
  type BodySecurity,
  type CommandId,
} from './consts.js';
import { createLegacyResponseDecipher, sealLegacyRequestHeader } from './legacy.js';
import { HandshakeInput } from './handshake-input.js';

/** The option bits a 4.34 client sends for `security` (spec §3.2): 0x0D for AEAD ciphers, 0x05 for none. */
export function defaultRequestOptions(security: BodySecurity, padding = false): number {
  let options: number = OPTION.chunkStream;
  if (security === SECURITY.aes128Gcm || security === SECURITY.none || security === SECURITY.chacha20Poly1305) {
    options |= OPTION.chunkMasking;
  }
  const padded = padding || security === SECURITY.aes128Gcm || security === SECURITY.chacha20Poly1305;
  if (padded && (options & OPTION.chunkMasking) !== 0) options |= OPTION.globalPadding;
  return options;
}

export interface ClientRequestOptions {
  user: Pick<VmessUser<unknown>, 'id' | 'alterIds' | 'authId'>;
  security: BodySecurity;
  command: CommandId;
  /** Target (ignored for Mux, which always means `v1.mux.cool`). */
  address?: VmessAddress;
  port?: number;
  /** Option bits (default {@link defaultRequestOptions}). */
  options?: number;
  /** Legacy MD5 header (default: when the user has alter IDs, as the 4.34 client decides). */
  legacyHeader?: boolean;
  nowSeconds?: number;
  /** Fixed values for tests; all default to fresh random values. */
  bodyKey?: Buffer;
  bodyIv?: Buffer;
  responseAuth?: number;
  paddingLength?: number;
  padding?: Buffer;
  authId?: Buffer;
  connectionNonce?: Buffer;
  legacyTimestamp?: number;
  /** Legacy header: the ID whose hash opens the request (default: random, as `AnyValidID`). */
  legacyId?: VmessId;
}

/** A request ready to send: header bytes (send them with the first body bytes) and the session. */
export interface ClientRequest {
  headerBytes: Buffer;
  session: ClientSession;
}

/** Builds the request header. Throws `PH_VMESS_BAD_HEADER` for a target it cannot encode. */
export function createClientRequest(options: ClientRequestOptions): ClientRequest {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const mux = options.command === COMMAND.mux;
  if (!mux && !options.address) throw new PortholeError('PH_VMESS_BAD_HEADER', 'vmess: a TCP or UDP request needs a target address');
  const header: RequestHeader = {
    version: REQUEST_VERSION,
    bodyIv: options.bodyIv ?? randomBytes(16),
    bodyKey: options.bodyKey ?? randomBytes(16),
    responseAuth: options.responseAuth ?? randomInt(256),
    options: options.options ?? defaultRequestOptions(options.security),
    security: options.security,
    command: options.command,
    address: mux ? { kind: 'domain', value: MUX_COOL_DOMAIN } : options.address!,
    port: mux ? 0 : (options.port ?? 0),
  };
  const plain = encodeRequestHeader(header, {
    ...(options.paddingLength === undefined ? {} : { paddingLength: options.paddingLength }),
    ...(options.padding === undefined ? {} : { padding: options.padding }),
  });
  const legacy = options.legacyHeader ?? options.user.alterIds.length > 0;
  const headerBytes = legacy
    ? sealLegacyRequestHeader(options.user, plain, {
        nowSeconds: now,
        ...(options.legacyTimestamp === undefined ? {} : { timestamp: options.legacyTimestamp }),
        ...(options.legacyId === undefined ? {} : { id: options.legacyId }),
      })
    : sealRequestHeader(options.user.id.cmdKey, options.user.authId, plain, {
        authId: options.authId ?? createAuthId(options.user.authId, now),
        ...(options.connectionNonce === undefined ? {} : { connectionNonce: options.connectionNonce }),
      });
  return { headerBytes, session: new ClientSession(header, !legacy) };
}

/** Keys and framing of one client connection. */
export class ClientSession extends SessionKeys {
  /** Encoder of the request body (client → server). */
  createRequestBodyEncoder(): BodyEncoder {
    return createBodyEncoder(this.requestBodyOptions());
  }

  /** A parser for the server's response header; it hands over the response body decoder. */
  createResponseParser(): ClientResponseParser {
    return new ClientResponseParser(this);
  }
}

export type ClientResponseResult =
  | { status: 'need-more' }
  | {
      status: 'done';
      header: ResponseHeader;
      /** Decoder of the response body; feed it `rest` first. */
      decoder: BodyDecoder;
      bytesConsumed: number;
      rest: Buffer;
    }
  | { status: 'fail'; error: PortholeError; bytesConsumed: number };

const STATE = {
  aeadLength: 0,
  aeadHeader: 1,
  legacyFixed: 2,
  legacyCommand: 3,
  done: 4,
  failed: 5,
} as const;
type State = (typeof STATE)[keyof typeof STATE];

const LEGACY_FIXED_LENGTH = 4;

/** Resumable parser of the response header. After `done` or `fail` the result repeats. */
export class ClientResponseParser {
  private state: State;
  private readonly input = new HandshakeInput();
  private length = 0;
  private readonly keys: ResponseHeaderKeys | undefined;
  private readonly legacyDecipher: ReturnType<typeof createLegacyResponseDecipher> | undefined;
  private legacyFixed: Buffer = Buffer.alloc(0);
  private result: ClientResponseResult | undefined;

  constructor(private readonly session: ClientSession) {
    if (session.aead) {
      this.keys = deriveResponseHeaderKeys(session.responseKey, session.responseIv);
      this.state = STATE.aeadLength;
    } else {
      this.legacyDecipher = createLegacyResponseDecipher(session.responseKey, session.responseIv);
      this.state = STATE.legacyFixed;
    }
  }

  push(chunk: Buffer): ClientResponseResult {
    if (this.result) return this.result;
    this.input.append(chunk);
    for (;;) {
      const step = this.step();
      if (step === 'need-more') return { status: 'need-more' };
      if (step) {
        this.result = step;
        return step;
      }
    }
  }

  private fail(message: string): ClientResponseResult {
    this.state = STATE.failed;
    return { status: 'fail', error: new PortholeError('PH_VMESS_BAD_HEADER', `vmess: ${message}`), bytesConsumed: this.input.consumed };
  }

  private step(): ClientResponseResult | 'need-more' | undefined {
    switch (this.state) {
      case STATE.aeadLength: {
        if (this.input.length < SEALED_LENGTH_LENGTH) return 'need-more';
        const length = openResponseHeaderLength(this.keys!, this.input.take(SEALED_LENGTH_LENGTH));
        if (length === undefined) return this.fail('failed to decrypt response header length');
        this.length = length;
        this.state = STATE.aeadHeader;
        return undefined;
      }
      case STATE.aeadHeader: {
        if (this.input.length < this.length + TAG_LENGTH) return 'need-more';
        const plain = openResponseHeaderPayload(this.keys!, this.input.take(this.length + TAG_LENGTH));
        if (!plain) return this.fail('failed to decrypt response header');
        const decoded = decodeResponseHeader(plain);
        if (decoded.status === 'need-more') return this.fail('failed to read response header');
        return this.finish(decoded.header);
      }
      case STATE.legacyFixed: {
        // Decrypt exactly the header bytes: with security legacy the body continues this stream.
        if (this.input.length < LEGACY_FIXED_LENGTH) return 'need-more';
        this.legacyFixed = this.legacyDecipher!.update(this.input.take(LEGACY_FIXED_LENGTH));
        this.length = this.legacyFixed[2] === 0 ? 0 : this.legacyFixed[3]!;
        this.state = STATE.legacyCommand;
        return undefined;
      }
      case STATE.legacyCommand: {
        if (this.input.length < this.length) return 'need-more';
        const command = this.length === 0 ? Buffer.alloc(0) : this.legacyDecipher!.update(this.input.take(this.length));
        const decoded = decodeResponseHeader(Buffer.concat([this.legacyFixed, command]));
        if (decoded.status === 'need-more') return this.fail('failed to read response header');
        return this.finish(decoded.header);
      }
      default:
        return 'need-more';
    }
  }

  private finish(header: ResponseHeader): ClientResponseResult {
    const { session } = this;
    if (header.responseAuth !== session.header.responseAuth) {
      return this.fail(`unexpected response header. Expecting ${session.header.responseAuth} but actually ${header.responseAuth}`);
    }
    const codec: BodyCodecOptions = session.responseBodyOptions();
    if (!session.aead && session.header.security === SECURITY.legacy) codec.cfb = this.legacyDecipher!;
    this.state = STATE.done;
    const rest = this.input.takeRest();
    return { status: 'done', header, decoder: createBodyDecoder(codec), bytesConsumed: this.input.consumed, rest };
  }
}
