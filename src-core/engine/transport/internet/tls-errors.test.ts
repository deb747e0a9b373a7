import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { clientRoots, describeClientTlsError, describeServerTlsError, notATlsOpening, systemRoots, type TrustSource } from './tls.js';

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

describe('notATlsOpening: a client is judged by its first bytes', () => {
  it.each([
    ['a ClientHello', '160301020001', undefined],
    ['a lone first byte of one', '16', undefined],
    // What OpenSSL would read as an SSLv2 hello's header and wait for the rest of.
    ['a random opening that fakes an SSLv2 header', '80ff01deadbeef', 'its first bytes 80ff01 are not a TLS handshake record'],
    ['a handshake type with another version', '1601', 'its first bytes 1601 are not a TLS handshake record'],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n').toString('hex'), 'it sent an HTTP request'],
  ])('%s', (_what, hex, expected) => {
    expect(notATlsOpening(Buffer.from(hex, 'hex'))).toBe(expected);
  });
});

describe('describeClientTlsError: an untrusted certificate, by what was trusted', () => {
  const selfSigned = openSslError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate');
  const base = "the server's certificate is not trusted (self-signed certificate): add it or its CA to tlsSettings.certificates, or set allowInsecure";

  it.each<[TrustSource, string]>([
    // The OS store was consulted (as V2Ray's Go does): nothing more to suggest.
    ['system', base],
    ['listed', `${base}; disableSystemRoot is on, so only tlsSettings.certificates are trusted`],
    ['node', `${base}; a CA that only the OS trusts (a company's) counts when Porthole runs with NODE_USE_SYSTEM_CA=1 (node --use-system-ca)`],
  ])('%s', (trust, expected) => {
    expect(describeClientTlsError(selfSigned, 'example.com', trust)).toBe(expected);
  });

  it.each(['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'])('gives the hint for %s too', (code) => {
    expect(describeClientTlsError(openSslError(code, 'why'), 'h', 'node')).toContain('NODE_USE_SYSTEM_CA=1');
  });

  it('gives no trust hint for other failures', () => {
    expect(describeClientTlsError(openSslError('ERR_TLS_CERT_ALTNAME_INVALID', 'altname'), 'other.test', 'node')).toBe(`the server's certificate is not valid for "other.test" (altname): set tlsSettings.serverName to a name it carries`);
    expect(describeClientTlsError(openSslError('CERT_HAS_EXPIRED', 'certificate has expired'), 'h', 'node')).toBe("the server's certificate is out of its validity period (certificate has expired)");
  });
});

describe('clientRoots (4.34 getCertPool: the system roots plus the listed, or only the listed)', () => {
  const nodeDefaults = tls.getCACertificates('default');
  const companyCa = '-----BEGIN CERTIFICATE-----\ncompany\n-----END CERTIFICATE-----\n';
  const listed = '-----BEGIN CERTIFICATE-----\nlisted\n-----END CERTIFICATE-----\n';

  it('keeps Node\'s store unchanged when the OS adds nothing and nothing is listed', () => {
    expect(clientRoots({ disableSystemRoot: false }, [], [nodeDefaults[0]!, nodeDefaults[0]!])).toEqual({ trust: 'system', ca: undefined });
    expect(clientRoots({ disableSystemRoot: false }, [], undefined)).toEqual({ trust: 'node', ca: undefined });
  });

  it('adds the OS\'s own roots (a company CA) once, then the listed ones', () => {
    expect(clientRoots({ disableSystemRoot: false }, [listed], [nodeDefaults[0]!, companyCa, companyCa])).toEqual({ trust: 'system', ca: [...nodeDefaults, companyCa, listed] });
    expect(clientRoots({ disableSystemRoot: false }, [listed], undefined)).toEqual({ trust: 'node', ca: [...nodeDefaults, listed] });
  });

  it('trusts only the listed ones with disableSystemRoot', () => {
    expect(clientRoots({ disableSystemRoot: true }, [listed], [companyCa])).toEqual({ trust: 'listed', ca: [listed] });
    expect(clientRoots({ disableSystemRoot: true }, [], [companyCa])).toEqual({ trust: 'listed', ca: [] });
  });

  it('reads the OS store where Node 24 can (tls.getCACertificates("system"))', () => {
    expect(Array.isArray(systemRoots())).toBe(true);
  });
});
