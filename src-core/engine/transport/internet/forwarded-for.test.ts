/**
 * `X-Forwarded-For` as 4.34's WebSocket inbound reads it (`http_proto.ParseXForwardedFor`, then
 * `net.ParseAddress` and `Family().IsIP()`): the first entry of the first header, when it is an IP.
 */
import { describe, expect, it } from 'vitest';
import { forwardedFor } from './websocket.js';

describe('forwardedFor', () => {
  it('takes the first entry when it is an IP, as 4.34 does', () => {
    const cases: Array<string | string[] | undefined> = [
      undefined, '', '203.0.113.7', '203.0.113.7, 10.0.0.1', ' 203.0.113.7 ,10.0.0.1', '2001:db8::1', '[2001:db8::1]',
      'client.example, 203.0.113.7', 'unknown', ['198.51.100.2', '203.0.113.7'], '::ffff:192.0.2.1',
    ];
    expect(cases.map((header) => forwardedFor(header))).toEqual([
      undefined, undefined, '203.0.113.7', '203.0.113.7', '203.0.113.7', '2001:db8::1', '2001:db8::1',
      undefined, undefined, '198.51.100.2', '::ffff:192.0.2.1',
    ]);
  });
});
