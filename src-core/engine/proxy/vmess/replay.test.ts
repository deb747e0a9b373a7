import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { AuthIdReplayFilter, SessionHistory } from './replay.js';

describe('AuthIdReplayFilter', () => {
  test('a second check of the same AuthID is a replay', () => {
    const filter = new AuthIdReplayFilter();
    const authId = randomBytes(16);
    expect([filter.check(authId, 1000), filter.check(authId, 1000), filter.check(randomBytes(16), 1000)]).toEqual([true, false, true]);
  });

  test('an AuthID is remembered for at least 120 s and forgotten after two swaps', () => {
    const filter = new AuthIdReplayFilter();
    const authId = randomBytes(16);
    filter.check(authId, 0);
    expect([filter.check(authId, 119), filter.check(authId, 120), filter.check(authId, 240), filter.check(authId, 360)]).toEqual([
      false,
      false,
      true,
      false,
    ]);
  });

  test('a full pool refuses, as a full cuckoo filter does', () => {
    const filter = new AuthIdReplayFilter(120, 2);
    expect([filter.check(randomBytes(16), 0), filter.check(randomBytes(16), 0), filter.check(randomBytes(16), 0)]).toEqual([true, true, false]);
  });
});

describe('SessionHistory', () => {
  const user = randomBytes(16);
  const key = randomBytes(16);
  const iv = randomBytes(16);

  test('a triple is refused for 3 minutes, then accepted again', () => {
    const history = new SessionHistory();
    expect([
      history.addIfNotExists(user, key, iv, 1000),
      history.addIfNotExists(user, key, iv, 1100),
      history.addIfNotExists(user, key, randomBytes(16), 1100),
      history.addIfNotExists(user, key, iv, 1179),
      history.addIfNotExists(user, key, iv, 1180),
    ]).toEqual([true, false, true, false, true]);
  });

  test('expired entries are pruned every 30 s', () => {
    const history = new SessionHistory(10);
    history.addIfNotExists(user, key, iv, 0);
    history.addIfNotExists(randomBytes(16), key, iv, 5);
    history.addIfNotExists(randomBytes(16), key, iv, 40);
    expect(history.size).toBe(1);
  });
});
