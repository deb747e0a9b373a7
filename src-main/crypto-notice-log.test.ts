import { describe, expect, it } from 'vitest';
import { createCryptoNoticeLog } from './crypto-notice-log.js';
import { snapshot } from './testing/snapshots.js';

const NOTICE = 'crypto: native AEAD not in use (not packaged with the app), so VMess chunk ciphers use node:crypto instead';

describe('the crypto notice in the tray app\'s log', () => {
  it('is logged once per engine start, and not without a notice or while stopped', () => {
    const toLog = createCryptoNoticeLog();
    const running = (since: number, cryptoNotice?: string) => snapshot({
      status: { state: 'running', profile: 'home', since, error: null, listening: [], ...(cryptoNotice ? { cryptoNotice } : {}) },
    });
    const stopped = snapshot({ status: { state: 'stopped', profile: 'home', since: 3, error: null, listening: [] } });
    expect([
      toLog(running(1, NOTICE)),
      toLog(running(1, NOTICE)),
      toLog(stopped),
      toLog(running(4, NOTICE)),
      toLog(running(5)),
    ]).toEqual([NOTICE, undefined, undefined, NOTICE, undefined]);
  });
});
