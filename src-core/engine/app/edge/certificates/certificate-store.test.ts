import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from '../../../transport/internet/testdata/certs.js';
import { CertificateStore, writeFileAtomic } from './certificate-store.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe.skipIf(!openSslAvailable())('certificate store (needs openssl for test certificates)', () => {
  let certs: CertificateFolder;
  let app: TestCertificate;
  let other: TestCertificate;
  const folders: string[] = [];

  beforeAll(() => {
    certs = createCertificateFolder();
    app = certs.make('app', 'app.example.test');
    other = certs.make('other', 'other.example.test');
  });
  afterAll(() => {
    certs.remove();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  function newRoot(): string {
    const root = mkdtempSync(join(tmpdir(), 'porthole-store-'));
    folders.push(root);
    return join(root, 'certs');
  }

  test('makes its folders 0700, and tightens one that exists', async () => {
    const directory = newRoot();
    mkdirSync(directory, { mode: 0o755 });
    chmodSync(directory, 0o755);
    await CertificateStore.open(directory);
    expect([directory, join(directory, 'certificates'), join(directory, 'accounts')].map(modeOf)).toEqual([0o700, 0o700, 0o700]);
  });

  test('saves a pair (key 0600, no temp files left) and loads it back with its expiry', async () => {
    const directory = newRoot();
    const store = await CertificateStore.open(directory);
    const saved = await store.save('app.example.test', app.certPem, app.keyPem);
    const folder = join(directory, 'certificates', 'app.example.test');
    expect(readdirSync(folder).sort()).toEqual(['fullchain.pem', 'key.pem']);
    expect([modeOf(folder), modeOf(join(folder, 'key.pem'))]).toEqual([0o700, 0o600]);
    expect(readFileSync(join(folder, 'key.pem'), 'utf8')).toBe(app.keyPem);

    const loaded = await (await CertificateStore.open(directory)).loadAll();
    expect(loaded).toEqual({ certificates: [saved], problems: [] });
    expect(saved.names).toEqual(['app.example.test']);
    expect(saved.notAfter.getTime() - saved.notBefore.getTime()).toBe(2 * 24 * 60 * 60 * 1000); // openssl -days 2
  });

  test('skips, with one line naming the folder, a pair that does not match or is half there', async () => {
    const directory = newRoot();
    const store = await CertificateStore.open(directory);
    await store.save('app.example.test', app.certPem, app.keyPem);
    await store.save('other.example.test', other.certPem, other.keyPem);
    // A crash between the two renames: the new key beside the old chain.
    writeFileSync(join(directory, 'certificates', 'other.example.test', 'key.pem'), app.keyPem);
    mkdirSync(join(directory, 'certificates', 'half.example.test'));
    writeFileSync(join(directory, 'certificates', 'half.example.test', 'fullchain.pem'), app.certPem);

    const loaded = await store.loadAll();
    expect(loaded.certificates.map((certificate) => certificate.hostname)).toEqual(['app.example.test']);
    expect(loaded.problems.sort()).toEqual([
      `${join(directory, 'certificates', 'half.example.test')}: key.pem is missing, skipped`,
      `${join(directory, 'certificates', 'other.example.test')}: the private key does not belong to the certificate, skipped`,
    ]);
  });

  test('refuses a name that is no host name, so nothing is written outside its folder', async () => {
    const store = await CertificateStore.open(newRoot());
    await expect(store.save('../escape', app.certPem, app.keyPem)).rejects.toThrow('certificate store: "../escape" is not a host name');
    await expect(store.save('*.example.test', app.certPem, app.keyPem)).rejects.toThrow('is not a host name');
  });

  test('keeps one account key per ACME directory, made once, 0600', async () => {
    const directory = newRoot();
    const store = await CertificateStore.open(directory);
    const first = await store.accountKey('https://127.0.0.1:14000/dir');
    expect(await (await CertificateStore.open(directory)).accountKey('https://127.0.0.1:14000/dir')).toBe(first);
    expect(await store.accountKey('https://acme.example/directory')).not.toBe(first);
    const accounts = readdirSync(join(directory, 'accounts')).sort();
    expect(accounts).toHaveLength(2);
    expect(accounts[0]).toMatch(/^127\.0\.0\.1_14000-[0-9a-f]{12}$/);
    expect(modeOf(join(directory, 'accounts', accounts[0]!, 'account-key.pem'))).toBe(0o600);
  });

  test('an atomic write replaces the whole file and sets the mode whatever the umask', async () => {
    const directory = newRoot();
    mkdirSync(directory);
    const path = join(directory, 'file');
    writeFileSync(path, 'old contents that are longer', { mode: 0o644 });
    await writeFileAtomic(path, 'new', 0o600);
    expect([readFileSync(path, 'utf8'), modeOf(path), readdirSync(directory)]).toEqual(['new', 0o600, ['file']]);
  });
});
