/**
 * VMess magic strings, bytes and limits, named once (style.md point 4).
 *
 * Sources (v2fly/v2ray-core v4.34.0): `proxy/vmess/aead/consts.go`, `common/protocol/{id,headers}.go`,
 * `proxy/vmess/validator.go`, `common/crypto/auth.go`, `common/buf/buffer.go`.
 * Spec: shared/docs/v2ray-wire-protocol.md §1.2 (salts), §1.5 (header fields), §3.2 (option bits).
 */

/** KDF salts and path elements (ASCII), spec §1.2. */
export const KDF_SALT = {
  /** Key of the innermost HMAC-SHA256 (`H0`). */
  vmessAeadKdf: 'VMess AEAD KDF',
  authIdEncryptionKey: 'AES Auth ID Encryption',
  headerLengthKey: 'VMess Header AEAD Key_Length',
  headerLengthNonce: 'VMess Header AEAD Nonce_Length',
  headerPayloadKey: 'VMess Header AEAD Key',
  headerPayloadNonce: 'VMess Header AEAD Nonce',
  responseLengthKey: 'AEAD Resp Header Len Key',
  responseLengthNonce: 'AEAD Resp Header Len IV',
  responsePayloadKey: 'AEAD Resp Header Key',
  responsePayloadNonce: 'AEAD Resp Header IV',
} as const;

/** `cmdKey = MD5(uuid16 ‖ CMD_KEY_SALT)`, spec §1.1 (`common/protocol/id.go` NewID). */
export const CMD_KEY_SALT = 'c48619fe-8f02-49e0-b9e9-edf763e17e21';
/** Legacy alter IDs: `next = MD5(prev ‖ ALTER_ID_SALT)` (`common/protocol/id.go` nextID). */
export const ALTER_ID_SALT = '16167dc8-16b6-4e6d-b8bb-65dd68113a81';
/** Appended (repeatedly) when an alter ID would equal its predecessor. */
export const ALTER_ID_RETRY_SALT = '533eff8a-4113-4b10-b5ce-0f5d76b98cd2';
/** HMAC key for the per-inbound behaviour seed that sizes the drain on failure (`validator.go`). */
export const BEHAVIOR_SEED_KEY = 'VMESSBSKDF';

/** Security nibble values (`common/protocol/headers.proto` SecurityType). */
export const SECURITY = {
  unknown: 0,
  legacy: 1,
  auto: 2,
  aes128Gcm: 3,
  chacha20Poly1305: 4,
  none: 5,
} as const;
export type SecurityId = (typeof SECURITY)[keyof typeof SECURITY];
/** The securities a body codec can run (auto and unknown never reach the wire). */
export type BodySecurity = typeof SECURITY.legacy | typeof SECURITY.aes128Gcm | typeof SECURITY.chacha20Poly1305 | typeof SECURITY.none;

/** Names as V2Ray's config and logs spell them. */
export const SECURITY_NAME: Readonly<Record<SecurityId, string>> = {
  0: 'unknown',
  1: 'legacy',
  2: 'auto',
  3: 'aes-128-gcm',
  4: 'chacha20-poly1305',
  5: 'none',
};

/** Request option bits, spec §3.2. 0x10 (AuthenticatedLength) does not exist in 4.34. */
export const OPTION = {
  chunkStream: 0x01,
  connectionReuse: 0x02,
  chunkMasking: 0x04,
  globalPadding: 0x08,
} as const;

/** Request commands, spec §1.5. */
export const COMMAND = {
  tcp: 0x01,
  udp: 0x02,
  mux: 0x03,
} as const;
export type CommandId = (typeof COMMAND)[keyof typeof COMMAND];

/** Address type bytes in the request header, spec §1.5. */
export const ADDRESS_TYPE = {
  ipv4: 0x01,
  domain: 0x02,
  ipv6: 0x03,
} as const;

/** Response header command ids, spec §2 (`encoding/commands.go`). */
export const RESPONSE_COMMAND = {
  none: 0x00,
  switchAccount: 0x01,
} as const;

/** Header version byte; the 4.34 server never checks it. */
export const REQUEST_VERSION = 0x01;
/** Command 0x03 maps to this target on the server (spec §4.1). */
export const MUX_COOL_DOMAIN = 'v1.mux.cool';

/** AuthID and legacy user-hash validity: `|t − now| ≤ 120` s, spec §1.6. */
export const AUTH_WINDOW_SECONDS = 120;
/** The AuthID replay filter swaps its two pools every 120 s (`aead.NewAuthIDDecoderHolder`). */
export const REPLAY_FILTER_INTERVAL_SECONDS = 120;
/** Each replay pool is a cuckoo filter of this capacity in V2Ray; a full pool rejects. */
export const REPLAY_FILTER_CAPACITY = 100_000;
/** A (user, body key, body IV) triple is remembered for 3 minutes (`encoding/server.go` SessionHistory). */
export const SESSION_HISTORY_SECONDS = 180;
/** SessionHistory prunes expired entries every 30 s. */
export const SESSION_HISTORY_PRUNE_SECONDS = 30;
/** The legacy client jitters its timestamp by up to ±30 s (`encoding/client.go`). */
export const LEGACY_TIMESTAMP_JITTER_SECONDS = 30;

/** Fixed part of the request header plaintext: version..command, spec §1.5. */
export const REQUEST_FIXED_LENGTH = 38;
export const AUTH_ID_LENGTH = 16;
/** Connection nonce of the sealed AEAD request header. */
export const CONNECTION_NONCE_LENGTH = 8;
/** AES-GCM / Poly1305 tag. */
export const TAG_LENGTH = 16;
/** Sealed uint16 length: 2 bytes + tag. */
export const SEALED_LENGTH_LENGTH = 2 + TAG_LENGTH;
export const FNV_LENGTH = 4;
export const KEY_LENGTH = 16;
export const IV_LENGTH = 16;
export const AEAD_NONCE_LENGTH = 12;

/** `buf.Size`: a VMess chunk on the wire (length field included) never exceeds this, spec §3.3. */
export const CHUNK_WIRE_MAX = 2048;
/** `MaxPaddingLen` of the SHAKE size parser: padding is `next() % 64`. */
export const MAX_PADDING = 64;
/** The chunk length field is a uint16, so the reader's cap is inherent. */
export const CHUNK_LENGTH_MAX = 0xffff;
/** Security none over a stream: the ChunkStreamWriter slices at 8192 bytes, spec §3.4. */
export const NONE_STREAM_SLICE = 8192;
/** Size of the chunk length field. */
export const CHUNK_SIZE_BYTES = 2;
/** The legacy FNV authenticator prepends a 4-byte FNV-1a. */
export const LEGACY_AUTH_OVERHEAD = 4;

/** Drain sizing on an authentication failure (`encoding/server.go` DecodeRequestHeader), spec §1.6. */
export const DRAIN_BASE_RANGE = 3266;
export const DRAIN_RANDOM_MAX_RANGE = 64;
/** Bytes of the request that the drain count already includes: AuthID + the 38 fixed bytes. */
export const DRAIN_FIXED = 16 + 38;
