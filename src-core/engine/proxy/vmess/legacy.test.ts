import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createVmessUser } from './account.js';
import { decodeRequestHeader, encodeRequestHeader } from './codec.js';
import { COMMAND, SECURITY } from './consts.js';
import {
  createLegacyHeaderDecipher,
  createLegacyResponseCipher,
  createLegacyResponseDecipher,
  legacyHeaderIv,
  legacyUserHash,
  LegacyUserValidator,
  sealLegacyRequestHeader,
} from './legacy.js';
import { AuthIdReplayFilter, SessionHistory } from './replay.js';
import { createServerHandshakeContext, ServerHandshake } from './server-handshake.js';

const NOW = 1_750_000_000;
const user = createVmessUser('b831381d-6324-4d53-ad4f-8cda48b30811', { alterId: 3, tag: 'legacy' });

function plainHeader(): Buffer {
  return encodeRequestHeader(
    {
      version: 1,
      bodyIv: randomBytes(16),
      bodyKey: randomBytes(16),
      responseAuth: 9,
      options: 0x0d,
      security: SECURITY.aes128Gcm,
      command: COMMAND.tcp,
      address: { kind: 'ipv4', value: '192.0.2.1' },
      port: 8443,
    },
    { paddingLength: 7 },
  );
}

describe('legacy header primitives', () => {
  test('user hash = HMAC-MD5(uuid, uint64 BE t); IV = MD5(t ×4)', () => {
    const t = Buffer.from('0000000068a9c8a0', 'hex');
    expect(legacyUserHash(user.id.uuid, 0x68a9c8a0).equals(createHmac('md5', user.id.uuid).update(t).digest())).toBe(true);
    expect(legacyHeaderIv(0x68a9c8a0).equals(createHash('md5').update(Buffer.concat([t, t, t, t])).digest())).toBe(true);
  });

  test('seal: hash of the chosen ID ‖ CFB(primary cmdKey) of the plaintext', () => {
    const plain = plainHeader();
    const alter = user.alterIds[1]!;
    const sealed = sealLegacyRequestHeader(user, plain, { timestamp: NOW, id: alter });
    const decrypted = createLegacyHeaderDecipher(user.id.cmdKey, NOW).update(sealed.subarray(16));
    expect({ hash: sealed.subarray(0, 16).equals(legacyUserHash(alter.uuid, NOW)), plain: decrypted.equals(plain) }).toEqual({ hash: true, plain: true });
    expect(decodeRequestHeader(decrypted).status).toBe('done');
  });

  test('the default timestamp is now ± 30 s', () => {
    const validator = new LegacyUserValidator([user]);
    for (let i = 0; i < 30; i++) {
      const sealed = sealLegacyRequestHeader(user, plainHeader(), { nowSeconds: NOW });
      const match = validator.lookup(sealed.subarray(0, 16), NOW)!;
      expect(Math.abs(match.timestamp - NOW)).toBeLessThanOrEqual(30);
    }
  });

  test('the response stream: header then legacy body continue one CFB stream', () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const cipher = createLegacyResponseCipher(key, iv);
    const wire = Buffer.concat([cipher.update(Buffer.from([1, 0, 0, 0])), cipher.update(Buffer.from('body'))]);
    const decipher = createLegacyResponseDecipher(key, iv);
    expect(Buffer.concat([decipher.update(wire.subarray(0, 4)), decipher.update(wire.subarray(4))]).toString('latin1')).toBe('\x01\x00\x00\x00body');
  });
});

describe('LegacyUserValidator', () => {
  test('accepts every ID within now ± 120 s, inclusive', () => {
    const validator = new LegacyUserValidator([user]);
    const ids = [user.id, ...user.alterIds];
    const results = [-121, -120, 0, 120, 121].flatMap((delta) =>
      ids.map((id) => validator.lookup(legacyUserHash(id.uuid, NOW + delta), NOW)?.timestamp ?? null),
    );
    expect(results).toEqual([-121, -120, 0, 120, 121].flatMap((delta) => ids.map(() => (Math.abs(delta) <= 120 ? NOW + delta : null))));
  });

  test('follows the clock both ways', () => {
    const validator = new LegacyUserValidator([user]);
    const hash = legacyUserHash(user.id.uuid, NOW + 500);
    expect([validator.lookup(hash, NOW), validator.lookup(hash, NOW + 400), validator.lookup(hash, NOW - 1000)].map((match) => match?.timestamp ?? null)).toEqual([
      null,
      NOW + 500,
      null,
    ]);
  });

  test('a tainted hash is refused from then on', () => {
    const validator = new LegacyUserValidator([user]);
    const hash = legacyUserHash(user.id.uuid, NOW);
    const before = validator.lookup(hash, NOW);
    validator.taint(hash);
    expect([before?.timestamp, validator.lookup(hash, NOW), validator.lookup(hash, NOW + 60)]).toEqual([NOW, undefined, undefined]);
  });
});

describe('legacy request through the server handshake', () => {
  test('split at every byte boundary', () => {
    const users = [user];
    const legacy = new LegacyUserValidator(users);
    const sealed = sealLegacyRequestHeader(user, plainHeader(), { timestamp: NOW });
    const body = randomBytes(10);
    const bytes = Buffer.concat([sealed, body]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const handshake = new ServerHandshake(createServerHandshakeContext({ users, legacy, replayFilter: new AuthIdReplayFilter(), sessionHistory: new SessionHistory() }));
      const first = handshake.push(bytes.subarray(0, cut), NOW);
      const result = first.status === 'need-more' ? handshake.push(bytes.subarray(cut), NOW) : { ...first, rest: Buffer.concat([first.status === 'done' ? first.rest : Buffer.alloc(0), bytes.subarray(cut)]) };
      if (result.status !== 'done') throw new Error(`cut ${cut}: ${result.status}`);
      expect({ consumed: result.bytesConsumed, rest: result.rest.equals(body), aead: result.session.aead }).toEqual({ consumed: sealed.length, rest: true, aead: false });
    }
  });
});
