import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ComponentLogger } from '../../../features/log.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from '../../../transport/internet/testdata/certs.js';
import { CertificateManager } from './certificate-manager.js';
import { loadOwnerCertificate, OwnerCertificates } from './owner-certificates.js';

const silent: ComponentLogger = { debug() {}, info() {}, warning() {}, error() {}, summarised() {}, enabled: () => false, access() {} };

describe.skipIf(!openSslAvailable())('owner certificates (needs openssl for test certificates)', () => {
  let certs: CertificateFolder;
  let wildcard: TestCertificate;
  let exact: TestCertificate;
  let garbage: string;
  let storeRoot: string;

  beforeAll(() => {
    certs = createCertificateFolder();
    wildcard = certs.make('wildcard', '*.owned.test');
    exact = certs.make('exact', 'api.owned.test');
    garbage = join(dirname(wildcard.certFile), 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    storeRoot = mkdtempSync(join(tmpdir(), 'porthole-owner-'));
  });
  afterAll(() => {
    certs.remove();
    rmSync(storeRoot, { recursive: true, force: true });
  });

  test('a wildcard covers one label under it; the first listed certificate that covers a name wins', () => {
    const owner = new OwnerCertificates([exact, wildcard]);
    expect(owner.find('api.owned.test')?.files.certFile).toBe(exact.certFile);
    expect(owner.find('WWW.owned.test')?.files.certFile).toBe(wildcard.certFile);
    expect(owner.find('owned.test')).toBeUndefined();
    expect(owner.find('a.b.owned.test')).toBeUndefined();
  });

  test('each bad file is one line that names it', () => {
    const missing = join(dirname(wildcard.certFile), 'missing.pem');
    const attempts = [
      { certFile: missing, keyFile: wildcard.keyFile },
      { certFile: wildcard.certFile, keyFile: missing },
      { certFile: garbage, keyFile: wildcard.keyFile },
      { certFile: wildcard.certFile, keyFile: garbage },
      { certFile: wildcard.certFile, keyFile: exact.keyFile },
    ].map((files) => {
      try {
        loadOwnerCertificate(files);
        return 'loaded';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(attempts).toEqual([
      `owner certificate: cannot read the certificate ${missing} (ENOENT)`,
      `owner certificate: cannot read the key ${missing} (ENOENT)`,
      expect.stringMatching(new RegExp(`^owner certificate: ${garbage}: not a PEM certificate`)),
      expect.stringMatching(new RegExp(`^owner certificate: ${garbage}: not a PEM private key`)),
      `owner certificate: ${exact.keyFile} is not the key of ${wildcard.certFile}`,
    ]);
    for (const line of attempts) expect(line).not.toContain('\n');
  });

  test('an expired certificate is refused with its expiry date', () => {
    const notAfter = loadOwnerCertificate(wildcard).certificate.notAfter;
    expect(() => loadOwnerCertificate(wildcard, notAfter.getTime() + 1)).toThrow(`owner certificate: ${wildcard.certFile} expired on ${notAfter.toISOString()}`);
  });

  test('the manager serves the owner\'s certificates first, without ACME, and uses one as the default', async () => {
    const manager = await CertificateManager.open({ directory: join(storeRoot, 'store'), ownerCertificates: [wildcard], defaultHostname: 'www.owned.test', log: silent });
    try {
      const status = await manager.ensure('app.owned.test');
      expect(status).toMatchObject({ hostname: 'app.owned.test', state: 'issued', source: 'owner' });
      expect(manager.contextFor('app.owned.test')).toBe(manager.contextFor('other.owned.test'));
      expect(manager.defaultContext()).toBe(manager.contextFor('app.owned.test'));
      expect(manager.contextFor('owned.test')).toBeUndefined();
      expect(await manager.ensure('elsewhere.test')).toEqual({
        hostname: 'elsewhere.test', state: 'failed', source: 'acme', reason: 'no ACME directory is configured and no owner certificate covers it',
      });
      expect(await manager.ensure('../bad')).toMatchObject({ state: 'failed', reason: '"../bad" is not a host name a certificate can be issued for' });
    } finally {
      await manager.close();
    }
  });

  test('the manager refuses to open with a bad owner file', async () => {
    await expect(CertificateManager.open({ directory: join(storeRoot, 'store2'), ownerCertificates: [{ certFile: garbage, keyFile: wildcard.keyFile }], log: silent }))
      .rejects.toThrow(`owner certificate: ${garbage}: not a PEM certificate`);
  });
});
