import { describe, expect, it } from 'vitest';
import { describeServerTlsError } from './tls.js';

function openSslError(code: string, reason: string): Error {
  return Object.assign(new Error(`${reason.toUpperCase()}`), { code, reason });
}

describe('describeServerTlsError', () => {
  it.each([
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'],
    ['ERR_SSL_DATA_LENGTH_TOO_LONG', 'data length too long'],
    ['ERR_SSL_PACKET_LENGTH_TOO_LONG', 'packet length too long'],
    ['ERR_SSL_HTTP_REQUEST', 'http request'],
  ])('names a plain client whatever OpenSSL made of its first bytes (%s)', (code, reason) => {
    expect(describeServerTlsError(openSslError(code, reason))).toBe(`the client did not speak TLS (${reason}): is its "security" "none"?`);
  });

  it('keeps other failures as OpenSSL says them', () => {
    expect(describeServerTlsError(openSslError('ERR_SSL_SOMETHING_ELSE', 'something else'))).toBe('TLS handshake failed: something else');
  });
});
