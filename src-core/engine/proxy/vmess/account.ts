/**
 * VMess accounts: UUID text → 16 bytes → cmdKey, legacy alter IDs, and the per-user state a server
 * keeps for authentication. Spec §1.1 (`common/protocol/id.go`, `common/uuid/uuid.go`,
 * `proxy/vmess/{account,validator}.go`, `proxy/vmess/aead/authid.go`).
 *
 *   cmdKey      = MD5(uuid16 ‖ "c48619fe-8f02-49e0-b9e9-edf763e17e21")
 *   alterId[0]  = MD5(uuid16 ‖ "16167dc8-16b6-4e6d-b8bb-65dd68113a81"), alterId[i+1] likewise from alterId[i]
 *   AuthID key  = KDF16(cmdKey, "AES Auth ID Encryption")
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, type Cipheriv, type Decipheriv } from 'node:crypto';
import { PortholeError } from '../../common/errors.js';
import { ALTER_ID_RETRY_SALT, ALTER_ID_SALT, BEHAVIOR_SEED_KEY, CMD_KEY_SALT, KDF_SALT } from './consts.js';
import { kdf16 } from './kdf.js';

const UUID_GROUPS = [8, 4, 4, 4, 12] as const;
const HEX = /^[0-9a-fA-F]*$/;

/**
 * Parses a UUID as V2Ray 4.34 does (`uuid.ParseString`): at least 32 characters, five hex groups
 * of 8-4-4-4-12, each optionally preceded by one `-`. Throws `PH_CONFIG_VALUE`.
 */
export function parseUuid(text: string): Buffer {
  const fail = (): PortholeError => new PortholeError('PH_CONFIG_VALUE', `vmess: invalid UUID: ${text}`);
  if (text.length < 32) throw fail();
  const out = Buffer.alloc(16);
  let rest = text;
  let offset = 0;
  for (const group of UUID_GROUPS) {
    if (rest.startsWith('-')) rest = rest.slice(1);
    const digits = rest.slice(0, group);
    if (digits.length !== group || !HEX.test(digits)) throw fail();
    out.write(digits, offset, 'hex');
    offset += group / 2;
    rest = rest.slice(group);
  }
  return out;
}

/** Formats 16 bytes as the canonical lower-case 8-4-4-4-12 text. */
export function formatUuid(uuid: Buffer): string {
  const hex = uuid.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `MD5(uuid16 ‖ CMD_KEY_SALT)`. */
export function createCmdKey(uuid: Buffer): Buffer {
  return createHash('md5').update(uuid).update(CMD_KEY_SALT, 'latin1').digest();
}

/** One VMess ID: the raw UUID and its command key. */
export interface VmessId {
  readonly uuid: Buffer;
  readonly cmdKey: Buffer;
}

export function createVmessId(uuid: Buffer): VmessId {
  return { uuid: Buffer.from(uuid), cmdKey: createCmdKey(uuid) };
}

function nextAlterUuid(previous: Buffer): Buffer {
  const md5 = createHash('md5').update(previous).update(ALTER_ID_SALT, 'latin1');
  for (;;) {
    const candidate = md5.copy().digest();
    if (!candidate.equals(previous)) return candidate;
    md5.update(ALTER_ID_RETRY_SALT, 'latin1');
  }
}

/** The legacy alternative IDs of `primary` (`protocol.NewAlterIDs`). */
export function createAlterIds(primary: Buffer, count: number): VmessId[] {
  const ids: VmessId[] = [];
  let previous = primary;
  for (let i = 0; i < count; i++) {
    const next = nextAlterUuid(previous);
    ids.push(createVmessId(next));
    previous = next;
  }
  return ids;
}

/** The ECB block ciphers of a user's AuthID key. ECB is stateless, so one long-lived object serves every block. */
export interface AuthIdCipher {
  encrypt(block: Buffer): Buffer;
  decrypt(block: Buffer): Buffer;
}

/** AES-128-ECB under `KDF16(cmdKey, "AES Auth ID Encryption")`, with objects created once. */
export function createAuthIdCipher(cmdKey: Buffer): AuthIdCipher {
  const key = kdf16(cmdKey, KDF_SALT.authIdEncryptionKey);
  let encryptor: Cipheriv | undefined;
  let decryptor: Decipheriv | undefined;
  return {
    encrypt(block: Buffer): Buffer {
      if (!encryptor) {
        encryptor = createCipheriv('aes-128-ecb', key, null);
        encryptor.setAutoPadding(false);
      }
      return encryptor.update(block);
    },
    decrypt(block: Buffer): Buffer {
      if (!decryptor) {
        decryptor = createDecipheriv('aes-128-ecb', key, null);
        decryptor.setAutoPadding(false);
      }
      return decryptor.update(block);
    },
  };
}

/**
 * A user as a VMess server knows it: primary ID, legacy alter IDs, and the precomputed AuthID
 * cipher. `tag` is the caller's own data (email, level…), returned on a successful match.
 */
export interface VmessUser<T = unknown> {
  readonly id: VmessId;
  readonly alterIds: readonly VmessId[];
  readonly authId: AuthIdCipher;
  readonly tag: T;
}

export interface VmessUserOptions<T> {
  /** Legacy alter IDs (0 = AEAD only on the client side; the server still accepts the legacy primary ID). */
  alterId?: number;
  tag: T;
}

/** Builds a server-side user from UUID text or bytes. Throws `PH_CONFIG_VALUE` on a bad UUID. */
export function createVmessUser<T>(uuid: string | Buffer, options: VmessUserOptions<T>): VmessUser<T> {
  const raw = typeof uuid === 'string' ? parseUuid(uuid) : uuid;
  if (raw.length !== 16) throw new PortholeError('PH_CONFIG_VALUE', `vmess: a UUID has 16 bytes, not ${raw.length}`);
  const alterId = options.alterId ?? 0;
  if (!Number.isInteger(alterId) || alterId < 0 || alterId > 0xffff) {
    throw new PortholeError('PH_CONFIG_VALUE', `vmess: alterId must be an integer in [0, 65535], not ${alterId}`);
  }
  const id = createVmessId(raw);
  return { id, alterIds: createAlterIds(raw, alterId), authId: createAuthIdCipher(id.cmdKey), tag: options.tag };
}

// CRC-64/ECMA as Go's hash/crc64 computes it (reflected polynomial, inverted in and out).
const CRC64_ECMA_REFLECTED = 0xc96c5795d7870f42n;
let crc64Table: BigUint64Array | undefined;

function crc64EcmaUpdate(crc: bigint, data: Buffer): bigint {
  if (!crc64Table) {
    crc64Table = new BigUint64Array(256);
    for (let i = 0; i < 256; i++) {
      let value = BigInt(i);
      for (let bit = 0; bit < 8; bit++) value = value & 1n ? (value >> 1n) ^ CRC64_ECMA_REFLECTED : value >> 1n;
      crc64Table[i] = value;
    }
  }
  const mask = 0xffffffffffffffffn;
  let value = ~crc & mask;
  for (const byte of data) value = crc64Table[Number((value ^ BigInt(byte)) & 0xffn)]! ^ (value >> 8n);
  return ~value & mask;
}

/**
 * The inbound's behaviour seed (`TimedUserValidator.Add`): CRC-64/ECMA folded over
 * `HMAC-SHA256("VMESSBSKDF", uuid16)` of each user, in order. It sizes the drain on failure.
 */
export function computeBehaviorSeed(users: readonly { readonly id: VmessId }[]): bigint {
  let seed = 0n;
  for (const user of users) {
    seed = crc64EcmaUpdate(seed, createHmac('sha256', BEHAVIOR_SEED_KEY).update(user.id.uuid).digest());
  }
  return seed;
}
