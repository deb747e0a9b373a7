/**
 * Throwaway self-signed certificates for the TLS tests, made with the `openssl` CLI (node:crypto
 * cannot make X.509; Debian's `openssl` package is on every build machine with `v2ray`).
 * ECDSA P-256: what Go 1.19 (v2ray), OpenSSL (Node) and BoringSSL (Electron) all take.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

export interface CertificateFolder {
  /** A self-signed certificate for `dnsName` and IP 127.0.0.1. */
  make(name: string, dnsName: string): TestCertificate;
  remove(): void;
}

export function openSslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function createCertificateFolder(): CertificateFolder {
  const folder = mkdtempSync(join(tmpdir(), 'porthole-certs-'));
  return {
    make(name, dnsName) {
      const certFile = join(folder, `${name}.crt`);
      const keyFile = join(folder, `${name}.key`);
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
        '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${dnsName}`, '-addext', `subjectAltName=DNS:${dnsName},IP:127.0.0.1`,
      ], { stdio: 'ignore' });
      return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
    },
    remove() {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
