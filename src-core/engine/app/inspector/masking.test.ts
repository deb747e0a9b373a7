import { describe, expect, it } from 'vitest';
import { MASK, maskHeaderValue, shownEntry, shownHeaders } from './masking.js';

describe('masking', () => {
  it.each([
    ['Authorization', 'Bearer abc.def', `Bearer ${MASK}`],
    ['authorization', 'opaque-token', MASK],
    ['Proxy-Authorization', 'Basic dTpw', `Basic ${MASK}`],
    ['Cookie', 'a=1; session=xyz', `a=${MASK}; session=${MASK}`],
    ['Set-Cookie', 'sid=xyz; Path=/; HttpOnly', `sid=${MASK}; Path=/; HttpOnly`],
    ['Content-Type', 'text/plain', 'text/plain'],
  ])('%s: %s is shown as %s', (name, value, shown) => {
    expect(maskHeaderValue(name, value)).toBe(shown);
  });

  it('shows headers as they are only when revealed, keeping order and case', () => {
    const headers: Array<[string, string]> = [['Host', 'a'], ['Cookie', 'k=v'], ['AUTHORIZATION', 'Basic x']];
    expect(shownHeaders(headers, false)).toEqual([['Host', 'a'], ['Cookie', `k=${MASK}`], ['AUTHORIZATION', `Basic ${MASK}`]]);
    expect(shownHeaders(headers, true)).toEqual(headers);
  });
});

describe('shownEntry', () => {
  it('masks a copy for the list and leaves the stored entry as captured', async () => {
    const { CaptureStore } = await import('./capture-store.js');
    const { ConnectionTap } = await import('./connection-tap.js');
    const store = new CaptureStore(() => 1);
    const tap = new ConnectionTap({ exposureId: 'e', connectionId: 1, store, bodyCapBytes: 10 });
    tap.fromVisitor(Buffer.from('GET / HTTP/1.1\r\nCookie: a=1\r\n\r\n'));
    tap.fromService(Buffer.from('HTTP/1.1 200 OK\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n'));
    const [entry] = store.list('e');
    if (!entry) throw new Error('nothing captured');
    const shown = shownEntry(entry, false);
    expect([shown.request?.headers, shown.response?.headers]).toEqual([[['Cookie', `a=${MASK}`]], [['Set-Cookie', `b=${MASK}`], ['Content-Length', '0']]]);
    expect([entry.request?.headers, entry.response?.headers[0]]).toEqual([[['Cookie', 'a=1']], ['Set-Cookie', 'b=2']]);
    expect(shownEntry(entry, true)).toBe(entry);
  });
});
