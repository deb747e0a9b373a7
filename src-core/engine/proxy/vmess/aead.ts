/**
 * VMess AEAD header sealing: AuthID, the sealed request header and the sealed response header.
 * Spec §1.3, §1.4 and §2 (`proxy/vmess/aead/{authid,encrypt}.go`, `proxy/vmess/encoding/{client,server}.go`).
 *
 * AuthID (16 bytes) = AES-128-ECB(KDF16(cmdKey, "AES Auth ID Encryption"),
 *                                 int64 unix seconds ‖ 4 random ‖ CRC32(first 12))
 *
 * Request on the wire:
 *   [0,16)      AuthID
 *   [16,34)     EncLen    = GCM(KDF16(cmdKey, "VMess Header AEAD Key_Length", AuthID, N),
 *                               KDF(cmdKey, "VMess Header AEAD Nonce_Length", AuthID, N)[0:12], uint16 L, AAD = AuthID)
 *   [34,42)     N (connection nonce)
 *   [42,58+L)   EncHeader = GCM(KDF16(cmdKey, "VMess Header AEAD Key", AuthID, N),
 *                               KDF(cmdKey, "VMess Header AEAD Nonce", AuthID, N)[0:12], header, AAD = AuthID)
 *
 * Response on the wire (respKey = SHA-256(bodyKey)[0:16], respIV = SHA-256(bodyIV)[0:16]):
 *   [0,18)      GCM(KDF16(respKey, "AEAD Resp Header Len Key"), KDF(respIV, "AEAD Resp Header Len IV")[0:12], uint16 M)
 *   [18,34+M)   GCM(KDF16(respKey, "AEAD Resp Header Key"),     KDF(respIV, "AEAD Resp Header IV")[0:12], header)
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { AuthIdCipher, VmessUser } from './account.js';
import {
  AUTH_ID_LENGTH,
  AUTH_WINDOW_SECONDS,
  CONNECTION_NONCE_LENGTH,
  KDF_SALT,
  SEALED_LENGTH_LENGTH,
  TAG_LENGTH,
} from './consts.js';
import { kdf12, kdf16 } from './kdf.js';

/** AES-128-GCM seal: ciphertext ‖ tag. */
export function gcmSeal(key: Buffer, nonce: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-gcm', key, nonce);
  if (aad) cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([head, cipher.getAuthTag()]);
}

/** AES-128-GCM open of ciphertext ‖ tag; `undefined` when authentication fails. */
export function gcmOpen(key: Buffer, nonce: Buffer, sealed: Buffer, aad?: Buffer): Buffer | undefined {
  if (sealed.length < TAG_LENGTH) return undefined;
  const decipher = createDecipheriv('aes-128-gcm', key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  if (aad) decipher.setAAD(aad);
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return plaintext;
}

/** Builds an AuthID for `unixSeconds`; `random4` defaults to 4 CSPRNG bytes. */
export function createAuthId(cipher: AuthIdCipher, unixSeconds: number, random4: Buffer = randomBytes(4)): Buffer {
  const plain = Buffer.alloc(AUTH_ID_LENGTH);
  plain.writeBigInt64BE(BigInt(unixSeconds), 0);
  random4.copy(plain, 8, 0, 4);
  plain.writeUInt32BE(crc32(plain.subarray(0, 12)), 12);
  return cipher.encrypt(plain);
}

/** A decrypted AuthID. `valid` means the CRC matches and `time ≥ 0`; the time window is checked separately. */
export interface DecodedAuthId {
  time: number;
  random: number;
  valid: boolean;
}

export function decodeAuthId(cipher: AuthIdCipher, authId: Buffer): DecodedAuthId {
  const plain = cipher.decrypt(authId.subarray(0, AUTH_ID_LENGTH));
  const time = Number(plain.readBigInt64BE(0));
  const crcOk = plain.readUInt32BE(12) === crc32(plain.subarray(0, 12));
  return { time, random: plain.readUInt32BE(8), valid: crcOk && time >= 0 };
}

/**
 * The first user whose key decrypts `authId` to a valid CRC with `|t − now| ≤ 120` s, as
 * `AuthIDDecoderHolder.Match` does (without the replay check, which the caller runs next).
 */
export function matchAuthId<T>(users: readonly VmessUser<T>[], authId: Buffer, nowSeconds: number): VmessUser<T> | undefined {
  for (const user of users) {
    const decoded = decodeAuthId(user.authId, authId);
    if (decoded.valid && Math.abs(decoded.time - nowSeconds) <= AUTH_WINDOW_SECONDS) return user;
  }
  return undefined;
}

/** Per-connection keys of the sealed request header (four KDF calls). */
export interface RequestHeaderKeys {
  lengthKey: Buffer;
  lengthNonce: Buffer;
  payloadKey: Buffer;
  payloadNonce: Buffer;
}

export function deriveRequestHeaderKeys(cmdKey: Buffer, authId: Buffer, connectionNonce: Buffer): RequestHeaderKeys {
  return {
    lengthKey: kdf16(cmdKey, KDF_SALT.headerLengthKey, authId, connectionNonce),
    lengthNonce: kdf12(cmdKey, KDF_SALT.headerLengthNonce, authId, connectionNonce),
    payloadKey: kdf16(cmdKey, KDF_SALT.headerPayloadKey, authId, connectionNonce),
    payloadNonce: kdf12(cmdKey, KDF_SALT.headerPayloadNonce, authId, connectionNonce),
  };
}

export interface SealRequestOptions {
  /** The AuthID to use (default: a fresh one for `nowSeconds`). */
  authId?: Buffer;
  nowSeconds?: number;
  /** 8-byte connection nonce (default: random). */
  connectionNonce?: Buffer;
}

/** Seals a request header plaintext: AuthID ‖ EncLen ‖ N ‖ EncHeader. */
export function sealRequestHeader(
  cmdKey: Buffer,
  authIdCipher: AuthIdCipher,
  plaintext: Buffer,
  options: SealRequestOptions = {},
): Buffer {
  const authId = options.authId ?? createAuthId(authIdCipher, options.nowSeconds ?? Math.floor(Date.now() / 1000));
  const nonce = options.connectionNonce ?? randomBytes(CONNECTION_NONCE_LENGTH);
  const keys = deriveRequestHeaderKeys(cmdKey, authId, nonce);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(plaintext.length);
  return Buffer.concat([
    authId,
    gcmSeal(keys.lengthKey, keys.lengthNonce, length, authId),
    nonce,
    gcmSeal(keys.payloadKey, keys.payloadNonce, plaintext, authId),
  ]);
}

/** Opens the 18-byte EncLen; `undefined` on authentication failure. */
export function openRequestHeaderLength(keys: RequestHeaderKeys, authId: Buffer, sealedLength: Buffer): number | undefined {
  const plain = gcmOpen(keys.lengthKey, keys.lengthNonce, sealedLength.subarray(0, SEALED_LENGTH_LENGTH), authId);
  return plain?.readUInt16BE(0);
}

/** Opens EncHeader (L+16 bytes); `undefined` on authentication failure. */
export function openRequestHeaderPayload(keys: RequestHeaderKeys, authId: Buffer, sealedPayload: Buffer): Buffer | undefined {
  return gcmOpen(keys.payloadKey, keys.payloadNonce, sealedPayload, authId);
}

/** Response body key and IV from the request's: SHA-256 (AEAD) or MD5 (legacy header), first 16 bytes. */
export function deriveResponseKeyIv(requestKey: Buffer, requestIv: Buffer, aead: boolean): { key: Buffer; iv: Buffer } {
  const algorithm = aead ? 'sha256' : 'md5';
  return {
    key: createHash(algorithm).update(requestKey).digest().subarray(0, 16),
    iv: createHash(algorithm).update(requestIv).digest().subarray(0, 16),
  };
}

/** Keys of the sealed response header. */
export interface ResponseHeaderKeys {
  lengthKey: Buffer;
  lengthNonce: Buffer;
  payloadKey: Buffer;
  payloadNonce: Buffer;
}

export function deriveResponseHeaderKeys(responseKey: Buffer, responseIv: Buffer): ResponseHeaderKeys {
  return {
    lengthKey: kdf16(responseKey, KDF_SALT.responseLengthKey),
    lengthNonce: kdf12(responseIv, KDF_SALT.responseLengthNonce),
    payloadKey: kdf16(responseKey, KDF_SALT.responsePayloadKey),
    payloadNonce: kdf12(responseIv, KDF_SALT.responsePayloadNonce),
  };
}

/** Seals a response header plaintext (no AAD). */
export function sealResponseHeader(keys: ResponseHeaderKeys, plaintext: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(plaintext.length);
  return Buffer.concat([gcmSeal(keys.lengthKey, keys.lengthNonce, length), gcmSeal(keys.payloadKey, keys.payloadNonce, plaintext)]);
}

export function openResponseHeaderLength(keys: ResponseHeaderKeys, sealedLength: Buffer): number | undefined {
  return gcmOpen(keys.lengthKey, keys.lengthNonce, sealedLength.subarray(0, SEALED_LENGTH_LENGTH))?.readUInt16BE(0);
}

export function openResponseHeaderPayload(keys: ResponseHeaderKeys, sealedPayload: Buffer): Buffer | undefined {
  return gcmOpen(keys.payloadKey, keys.payloadNonce, sealedPayload);
}
