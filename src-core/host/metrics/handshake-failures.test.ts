import { describe, expect, it } from 'vitest';
import { DefaultLogger } from '../../engine/app/log/logger.js';
import { HandshakeFailures, rejectionReason } from './handshake-failures.js';

describe('handshake failures', () => {
  it.each([
    ['rejected PH_VMESS_AUTH_FAILED 203.0.113.5', 'PH_VMESS_AUTH_FAILED'],
    ['handshake timeout 203.0.113.5', 'timeout'],
    ['transport 203.0.113.5', 'transport'],
    ['fallback none 203.0.113.5', 'no_fallback'],
    ['rejected Some-Error.x 1.2.3.4', 'Some_Error_x'],
    ['ended ECONNRESET 203.0.113.5', undefined],
    ['dispatch PH_X', undefined],
  ])('reads "%s" as %s, never keeping the address', (key, reason) => {
    expect(rejectionReason(key)).toBe(reason);
  });

  it('counts VMess and VLESS rejections from the logger whatever its level, and lets a replaced logger go', () => {
    const failures = new HandshakeFailures();
    const quiet = new DefaultLogger({ level: 'none' });
    failures.watch(quiet);
    for (let i = 0; i < 3; i += 1) quiet.logSummarised('warning', 'proxy/vmess/inbound', 'rejected PH_VMESS_AUTH_FAILED 10.0.0.1', 'x');
    quiet.logSummarised('info', 'proxy/vless/inbound', 'handshake timeout 10.0.0.2', 'x');
    quiet.logSummarised('warning', 'app/reverse/bridge', 'rejected PH_OTHER 10.0.0.3', 'x');
    expect(failures.list()).toEqual([
      { protocol: 'vmess', reason: 'PH_VMESS_AUTH_FAILED', count: 3 },
      { protocol: 'vless', reason: 'timeout', count: 1 },
    ]);
    failures.watch(new DefaultLogger({ level: 'warning' }));
    quiet.logSummarised('warning', 'proxy/vmess/inbound', 'rejected PH_VMESS_AUTH_FAILED 10.0.0.1', 'x');
    expect(failures.list()[0]?.count).toBe(3);
    failures.close();
  });
});
