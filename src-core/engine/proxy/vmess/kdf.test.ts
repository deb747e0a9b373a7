import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createCmdKey, parseUuid } from './account.js';
import { KDF_SALT } from './consts.js';
import { kdf, kdf12, kdf16 } from './kdf.js';

/** The KDF written straight from its definition with node:crypto (the reference the fast one must match). */
function referenceKdf(input: Buffer, ...path: Buffer[]): Buffer {
  type HashFunction = (message: Buffer) => Buffer;
  let hash: HashFunction = (message) => createHmac('sha256', KDF_SALT.vmessAeadKdf).update(message).digest();
  for (const key of path) {
    const below = hash;
    const padded = Buffer.alloc(64);
    key.copy(padded);
    const ipad = Buffer.from(padded.map((byte) => byte ^ 0x36));
    const opad = Buffer.from(padded.map((byte) => byte ^ 0x5c));
    hash = (message) => below(Buffer.concat([opad, below(Buffer.concat([ipad, message]))]));
  }
  return hash(input);
}

// shared/docs/v2ray-wire-protocol.md §1.2 known answers.
const cmdKey = createCmdKey(parseUuid('b831381d-6324-4d53-ad4f-8cda48b30811'));
const authId = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const nonce = Buffer.from('1011121314151617', 'hex');

describe('kdf', () => {
  test('known-answer vectors (wire doc §1.2)', () => {
    expect({
      cmdKey: cmdKey.toString('hex'),
      bare: kdf(cmdKey).toString('hex'),
      authIdKey: kdf16(cmdKey, KDF_SALT.authIdEncryptionKey).toString('hex'),
      lengthKey: kdf16(cmdKey, KDF_SALT.headerLengthKey, authId, nonce).toString('hex'),
      lengthNonce: kdf12(cmdKey, KDF_SALT.headerLengthNonce, authId, nonce).toString('hex'),
      payloadKey: kdf16(cmdKey, KDF_SALT.headerPayloadKey, authId, nonce).toString('hex'),
      payloadNonce: kdf12(cmdKey, KDF_SALT.headerPayloadNonce, authId, nonce).toString('hex'),
    }).toEqual({
      cmdKey: 'b50d916ac0cec067981af8e5f38a758f',
      bare: '1e3858c2acb5e5338a1569aac055c295a0c0e2738b2d941c4bf461cdc363efb4',
      authIdKey: '1415ba74ca8b3d041a8f583fb4116315',
      lengthKey: '423b8fef42e7d05e2d162e2add6a921e',
      lengthNonce: '8c625c3ab41a771d604632b4',
      payloadKey: 'b30ce73b4e42d3d0a90ddb610924476b',
      payloadNonce: '9b5a8794ffd4f58a1ac74c9e',
    });
  });

  test('matches the definition for random inputs and paths (cached and uncached levels)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.array(fc.oneof(fc.constantFrom(...Object.values(KDF_SALT)), fc.uint8Array({ maxLength: 64 })), { maxLength: 4 }),
        (input, path) => {
          const elements = path.map((element) => (typeof element === 'string' ? element : Buffer.from(element)));
          const expected = referenceKdf(Buffer.from(input), ...elements.map((element) => Buffer.from(element)));
          expect(kdf(Buffer.from(input), ...elements).toString('hex')).toBe(expected.toString('hex'));
        },
      ),
      { numRuns: 60 },
    );
  });

  test('string and byte path elements are the same key', () => {
    const salt = KDF_SALT.responseLengthKey;
    expect(kdf(cmdKey, salt, authId).equals(kdf(cmdKey, Buffer.from(salt), authId))).toBe(true);
  });
});
