/**
 * Which certificates a TLS client trusts (tls.ts `prepareClientTls`), over real sockets on
 * 127.0.0.1 against a node:tls server with a fresh self-signed certificate standing for a company
 * CA: V2Ray 4.34 trusts the OS store unless `disableSystemRoot`, so a CA found there is trusted;
 * with `disableSystemRoot`, only `certificates` are; where the OS store cannot be read, the
 * refusal names NODE_USE_SYSTEM_CA=1 (and Node's own advice, which would say so wrongly elsewhere, is
 * left out: the line ends with the OpenSSL code). The OS store is injected (this machine's is not ours to change).
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TlsSettings } from '../../config/types.js';
import { createCertificateFolder, type CertificateFolder, type TestCertificate } from './testdata/certs.js';
import { prepareClientTls } from './tls.js';

let certs: CertificateFolder;
let company: TestCertificate;
let server: tls.Server;
let port = 0;

beforeAll(async () => {
  certs = createCertificateFolder();
  company = certs.make('company', 'intranet.test');
  server = tls.createServer({ cert: company.certPem, key: company.keyPem }, (socket) => socket.end('hello'));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  certs.remove();
});

const settings = (overrides: Partial<TlsSettings> = {}): TlsSettings => ({
  serverName: 'intranet.test', allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [], ...overrides,
});

/** Dials the server through `prepareClientTls`: what it read, or the refusal's message. */
async function attempt(tlsSettings: TlsSettings, osStore: string[] | undefined): Promise<string> {
  const raw = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
  try {
    const secure = await prepareClientTls(tlsSettings, false, () => osStore).connect(raw, '127.0.0.1', port, 5000);
    const chunks: Buffer[] = [];
    for await (const chunk of secure) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  } catch (error) {
    return (error as Error).message;
  }
}

describe('TLS client trust', () => {
  it('trusts a CA that the OS store holds, as V2Ray does', async () => {
    expect(await attempt(settings(), [company.certPem])).toBe('hello');
  });

  it('does not with disableSystemRoot, and says why', async () => {
    expect(await attempt(settings({ disableSystemRoot: true }), [company.certPem])).toBe(
      `tls to 127.0.0.1:${port}: the server's certificate is not trusted (self-signed certificate): add it or its CA to tlsSettings.certificates, or set allowInsecure; disableSystemRoot is on, so only tlsSettings.certificates are trusted > DEPTH_ZERO_SELF_SIGNED_CERT`,
    );
  });

  it('trusts a listed certificate with disableSystemRoot', async () => {
    expect(await attempt(settings({ disableSystemRoot: true, certificates: [{ usage: 'verify', certificate: company.certPem }] }), [])).toBe('hello');
  });

  it('names NODE_USE_SYSTEM_CA where the OS store cannot be read', async () => {
    expect(await attempt(settings(), undefined)).toBe(
      `tls to 127.0.0.1:${port}: the server's certificate is not trusted (self-signed certificate): add it or its CA to tlsSettings.certificates, or set allowInsecure; a CA that only the OS trusts (a company's) counts when Porthole runs with NODE_USE_SYSTEM_CA=1 (node --use-system-ca) > DEPTH_ZERO_SELF_SIGNED_CERT`,
    );
  });

  it('adds nothing when the OS store was read and does not hold it', async () => {
    expect(await attempt(settings(), [])).toBe(
      `tls to 127.0.0.1:${port}: the server's certificate is not trusted (self-signed certificate): add it or its CA to tlsSettings.certificates, or set allowInsecure > DEPTH_ZERO_SELF_SIGNED_CERT`,
    );
  });
});
