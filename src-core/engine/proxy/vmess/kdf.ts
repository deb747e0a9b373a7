/**
 * The VMess AEAD KDF: nested HMAC-SHA256, spec §1.2 (`proxy/vmess/aead/kdf.go`).
 *
 *   H0(m) = HMAC-SHA256(key = "VMess AEAD KDF", m)
 *   Hi(m) = H(i-1)((Ki ⊕ opad) ‖ H(i-1)((Ki ⊕ ipad) ‖ m))      Ki = path[i] zero-padded to 64 bytes
 *   KDF(input, p1..pn) = Hn(input)          (32 bytes; KDF16 is the first 16)
 *
 * Each level calls the level below twice, so one KDF with a path of n elements runs 2^(n+1) SHA-256
 * digests. To keep the per-connection cost low, every level is a "prefixed hasher" whose constant
 * prefix (the pads, and at the bottom the SHA-256 mid-state after them) is absorbed once, and
 * levels built from string salts are cached for the life of the process.
 */
import { BugError } from '../../common/errors.js';
import {
  SHA256_BLOCK_SIZE as BLOCK_SIZE,
  SHA256_MAX_WORDS_ONE_BLOCK as MAX_WORDS_ONE_BLOCK,
  Sha256MidState,
  toWords,
  wordsToBuffer,
  type Words,
} from '../../common/crypto/sha256.js';
import { KDF_SALT } from './consts.js';

/** A hash function `m ↦ H(prefix ‖ m)` whose constant prefix is already absorbed. */
interface PrefixedHasher {
  digest(message: Uint8Array | Words): Words;
  /** The same function with `extra` (whole 64-byte blocks) appended to the prefix. */
  withPrefix(extra: Buffer): PrefixedHasher;
}

/** Bottom level: HMAC-SHA256 as two SHA-256 mid-states holding `K⊕ipad ‖ prefix` and `K⊕opad`. */
class HmacSha256Hasher implements PrefixedHasher {
  constructor(
    private readonly inner: Sha256MidState,
    private readonly outer: Sha256MidState,
  ) {}

  digest(message: Uint8Array | Words): Words {
    return this.outer.digest(this.inner.digest(message));
  }

  withPrefix(extra: Buffer): PrefixedHasher {
    return new HmacSha256Hasher(this.inner.absorb(extra), this.outer);
  }
}

/** Level i: HMAC over the level below, with the pads absorbed as prefixes of that level. */
class NestedHmacHasher implements PrefixedHasher {
  constructor(
    private readonly inner: PrefixedHasher,
    private readonly outer: PrefixedHasher,
  ) {}

  digest(message: Uint8Array | Words): Words {
    return this.outer.digest(this.inner.digest(message));
  }

  withPrefix(extra: Buffer): PrefixedHasher {
    return new NestedHmacHasher(this.inner.withPrefix(extra), this.outer);
  }
}

function pads(key: Buffer): { ipad: Buffer; opad: Buffer } {
  if (key.length > BLOCK_SIZE) {
    // HMAC would first hash such a key; no VMess path element is that long.
    throw new BugError(`KDF path element of ${key.length} bytes`);
  }
  const ipad = Buffer.alloc(BLOCK_SIZE, 0x36);
  const opad = Buffer.alloc(BLOCK_SIZE, 0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i]! ^= key[i]!;
    opad[i]! ^= key[i]!;
  }
  return { ipad, opad };
}

function createRootHasher(): PrefixedHasher {
  const { ipad, opad } = pads(Buffer.from(KDF_SALT.vmessAeadKdf, 'latin1'));
  const initial = new Sha256MidState();
  return new HmacSha256Hasher(initial.absorb(ipad), initial.absorb(opad));
}

function nest(below: PrefixedHasher, key: Buffer): PrefixedHasher {
  const { ipad, opad } = pads(key);
  return new NestedHmacHasher(below.withPrefix(ipad), below.withPrefix(opad));
}

let root: PrefixedHasher | undefined;
/** Hashers for string-only path prefixes (the salts), keyed by the path joined with NUL. */
const cache = new Map<string, PrefixedHasher>();

function hasherFor(path: readonly (string | Buffer)[]): PrefixedHasher {
  root ??= createRootHasher();
  let hasher = root;
  let cacheKey = '';
  let cacheable = true;
  for (const element of path) {
    if (cacheable && typeof element === 'string') {
      cacheKey += `\0${element}`;
      const cached = cache.get(cacheKey);
      if (cached) {
        hasher = cached;
        continue;
      }
      hasher = nest(hasher, Buffer.from(element, 'latin1'));
      cache.set(cacheKey, hasher);
      continue;
    }
    cacheable = false;
    hasher = nest(hasher, typeof element === 'string' ? Buffer.from(element, 'latin1') : element);
  }
  return hasher;
}

/**
 * `KDF(input, path…)`: 32 bytes. Path elements are raw bytes (a string is taken as Latin-1, which
 * is ASCII for every salt); the first argument is the innermost message.
 */
export function kdf(input: Buffer, ...path: readonly (string | Buffer)[]): Buffer {
  // Inputs of whole words (the 16-byte keys and IVs) go in as words: one compression each.
  const message = input.length % 4 === 0 && input.length <= 4 * MAX_WORDS_ONE_BLOCK ? toWords(input) : input;
  return wordsToBuffer(hasherFor(path).digest(message));
}

/** The first 16 bytes of {@link kdf}. */
export function kdf16(input: Buffer, ...path: readonly (string | Buffer)[]): Buffer {
  return kdf(input, ...path).subarray(0, 16);
}

/** The first 12 bytes of {@link kdf}: the AES-GCM nonces of the headers. */
export function kdf12(input: Buffer, ...path: readonly (string | Buffer)[]): Buffer {
  return kdf(input, ...path).subarray(0, 12);
}
