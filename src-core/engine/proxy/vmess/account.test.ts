import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { hasErrorCode } from '../../common/errors.js';
import { computeBehaviorSeed, createAlterIds, createCmdKey, createVmessUser, formatUuid, parseUuid } from './account.js';

const UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';

describe('parseUuid', () => {
  test.each([
    UUID,
    UUID.toUpperCase(),
    UUID.replaceAll('-', ''),
    'b831381d6324-4d53ad4f-8cda48b30811',
    `${UUID}trailing`, // V2Ray ignores what follows the 32 digits
  ])('accepts %s', (text) => {
    expect(formatUuid(parseUuid(text))).toBe(UUID);
  });

  test.each(['', 'b831381d-6324-4d53-ad4f-8cda48b3081', 'g831381d-6324-4d53-ad4f-8cda48b30811', 'b831381d--6324-4d53-ad4f-8cda48b30811'])(
    'rejects %j with PH_CONFIG_VALUE',
    (text) => {
      let error: unknown;
      try {
        parseUuid(text);
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, 'PH_CONFIG_VALUE')).toBe(true);
    },
  );
});

describe('IDs', () => {
  test('cmdKey vector (wire doc §1.2)', () => {
    expect(createCmdKey(parseUuid(UUID)).toString('hex')).toBe('b50d916ac0cec067981af8e5f38a758f');
  });

  test('alter IDs chain MD5(prev ‖ salt)', () => {
    const primary = parseUuid(UUID);
    const [first, second] = createAlterIds(primary, 2);
    const expectedFirst = createHash('md5').update(primary).update('16167dc8-16b6-4e6d-b8bb-65dd68113a81').digest();
    const expectedSecond = createHash('md5').update(expectedFirst).update('16167dc8-16b6-4e6d-b8bb-65dd68113a81').digest();
    expect([first?.uuid.toString('hex'), second?.uuid.toString('hex'), first?.cmdKey.toString('hex')]).toEqual([
      expectedFirst.toString('hex'),
      expectedSecond.toString('hex'),
      createCmdKey(expectedFirst).toString('hex'),
    ]);
  });

  test('the AuthID cipher is reusable block after block (ECB keeps no state)', () => {
    const user = createVmessUser(UUID, { tag: 1 });
    const block = Buffer.alloc(16, 7);
    const once = user.authId.encrypt(block);
    expect([user.authId.encrypt(block).equals(once), user.authId.decrypt(once).equals(block)]).toEqual([true, true]);
  });

  test('behaviour seed depends on the users, in order', () => {
    const a = createVmessUser(UUID, { tag: 1 });
    const b = createVmessUser('00000000-0000-0000-0000-000000000001', { tag: 2 });
    const seeds = [computeBehaviorSeed([a]), computeBehaviorSeed([a]), computeBehaviorSeed([a, b]), computeBehaviorSeed([b, a])];
    expect([seeds[0] === seeds[1], seeds[0] === seeds[2], seeds[2] === seeds[3]]).toEqual([true, false, false]);
  });

  test('rejects a bad alterId', () => {
    expect(() => createVmessUser(UUID, { alterId: -1, tag: 0 })).toThrow(/alterId/);
  });
});
