import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createVmessUser } from './account.js';
import {
  createAuthId,
  decodeAuthId,
  deriveRequestHeaderKeys,
  deriveResponseHeaderKeys,
  deriveResponseKeyIv,
  matchAuthId,
  openRequestHeaderLength,
  openRequestHeaderPayload,
  openResponseHeaderLength,
  openResponseHeaderPayload,
  sealRequestHeader,
  sealResponseHeader,
} from './aead.js';

const user = createVmessUser('b831381d-6324-4d53-ad4f-8cda48b30811', { tag: 'a' });
const other = createVmessUser('00000000-1111-2222-3333-444444444444', { tag: 'b' });

/** Opens a sealed request header the way the server does, returning the plaintext or undefined. */
function openRequest(sealed: Buffer): Buffer | undefined {
  const authId = sealed.subarray(0, 16);
  const keys = deriveRequestHeaderKeys(user.id.cmdKey, authId, sealed.subarray(34, 42));
  const length = openRequestHeaderLength(keys, authId, sealed.subarray(16, 34));
  if (length === undefined || sealed.length !== 42 + length + 16) return undefined;
  return openRequestHeaderPayload(keys, authId, sealed.subarray(42));
}

describe('AuthID', () => {
  test('known answer (wire doc §1.2): t=1700000000, rand=01020304', () => {
    const authId = createAuthId(user.authId, 1_700_000_000, Buffer.from([1, 2, 3, 4]));
    expect(authId.toString('hex')).toBe('4774fe5cc901ea4f81f2159909767a36');
    expect(user.authId.decrypt(authId).toString('hex')).toBe('000000006553f10001020304b85575f7');
    expect(decodeAuthId(user.authId, authId)).toEqual({ time: 1_700_000_000, random: 0x01020304, valid: true });
  });

  test('window: |t − now| ≤ 120 s inclusive, per user', () => {
    const t = 1_700_000_000;
    const authId = createAuthId(user.authId, t);
    const matches = [-121, -120, 0, 120, 121].map((delta) => matchAuthId([other, user], authId, t + delta)?.tag);
    expect(matches).toEqual([undefined, 'a', 'a', 'a', undefined]);
    expect(matchAuthId([other], authId, t)).toBeUndefined();
  });

  test('negative times and bad CRCs are invalid', () => {
    expect(decodeAuthId(user.authId, createAuthId(user.authId, -5)).valid).toBe(false);
    const plain = user.authId.decrypt(createAuthId(user.authId, 1000));
    plain[13]! ^= 1;
    expect(decodeAuthId(user.authId, user.authId.encrypt(plain)).valid).toBe(false);
  });
});

describe('sealed request header', () => {
  test('round trip with fixed AuthID and nonce; layout AuthID ‖ EncLen ‖ N ‖ EncHeader', () => {
    const plaintext = randomBytes(57);
    const authId = createAuthId(user.authId, 1_700_000_000);
    const nonce = Buffer.from('1011121314151617', 'hex');
    const sealed = sealRequestHeader(user.id.cmdKey, user.authId, plaintext, { authId, connectionNonce: nonce });
    expect({
      length: sealed.length,
      authId: sealed.subarray(0, 16).equals(authId),
      nonce: sealed.subarray(34, 42).equals(nonce),
      plaintext: openRequest(sealed)?.equals(plaintext),
    }).toEqual({ length: 16 + 18 + 8 + 57 + 16, authId: true, nonce: true, plaintext: true });
  });

  test('tamper: flipping any byte fails to open (AuthID, EncLen, nonce and EncHeader are all authenticated)', () => {
    const sealed = sealRequestHeader(user.id.cmdKey, user.authId, randomBytes(45), { nowSeconds: 1_700_000_000 });
    const opened: number[] = [];
    for (let i = 0; i < sealed.length; i++) {
      const copy = Buffer.from(sealed);
      copy[i]! ^= 0x01;
      if (openRequest(copy) !== undefined) opened.push(i);
    }
    expect(opened).toEqual([]);
  });
});

describe('sealed response header', () => {
  test('response keys are SHA-256 (AEAD) or MD5 (legacy) of the request key and IV', () => {
    const key = Buffer.alloc(16, 1);
    const iv = Buffer.alloc(16, 2);
    expect(deriveResponseKeyIv(key, iv, true).key.length).toBe(16);
    expect(deriveResponseKeyIv(key, iv, true).key.equals(deriveResponseKeyIv(key, iv, false).key)).toBe(false);
  });

  test('round trip and tamper', () => {
    const { key, iv } = deriveResponseKeyIv(randomBytes(16), randomBytes(16), true);
    const keys = deriveResponseHeaderKeys(key, iv);
    const plain = Buffer.from([0x42, 0, 0, 0]);
    const sealed = sealResponseHeader(keys, plain);
    const open = (bytes: Buffer): Buffer | undefined => {
      const length = openResponseHeaderLength(keys, bytes.subarray(0, 18));
      return length === undefined ? undefined : openResponseHeaderPayload(keys, bytes.subarray(18, 18 + length + 16));
    };
    expect(open(sealed)?.equals(plain)).toBe(true);
    const opened = [...sealed.keys()].filter((i) => {
      const copy = Buffer.from(sealed);
      copy[i]! ^= 0x80;
      return open(copy) !== undefined;
    });
    expect(opened).toEqual([]);
  });
});
