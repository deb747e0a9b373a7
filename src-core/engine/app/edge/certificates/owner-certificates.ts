/**
 * Certificates the portal's owner provides as files (for instance a wildcard `*.example.com` from
 * their own CA or DNS-01 tooling). They are checked once when loaded: each problem is one line that
 * names the file, so a typo in the config is found before a visitor sees a handshake fail.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import { describeCertificate, type StoredCertificate } from './certificate-store.js';
import { nameCovers } from './hostname-match.js';

/** Where one owner certificate lives. */
export interface OwnerCertificateFiles {
  /** PEM: the leaf first, then intermediates. */
  readonly certFile: string;
  /** PEM private key of the leaf (PKCS#8, SEC1 or PKCS#1). */
  readonly keyFile: string;
}

export interface OwnerCertificate {
  readonly files: OwnerCertificateFiles;
  readonly certificate: StoredCertificate;
  readonly context: SecureContext;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`owner certificate: cannot read the ${what} ${path} (${code})`, { cause: error });
  }
}

/** Reads and checks one pair; throws one line naming the file at fault. */
export function loadOwnerCertificate(files: OwnerCertificateFiles, now = Date.now()): OwnerCertificate {
  const certPem = readPem(files.certFile, 'certificate');
  const keyPem = readPem(files.keyFile, 'key');
  let certificate: StoredCertificate;
  try {
    certificate = describeCertificate('', certPem, keyPem);
  } catch (error) {
    const message = (error as Error).message;
    const file = message.startsWith('not a PEM private key') ? files.keyFile : files.certFile;
    const detail = message.startsWith('the private key') ? `${files.keyFile} is not the key of ${files.certFile}` : `${file}: ${message}`;
    throw new Error(`owner certificate: ${detail}`, { cause: error });
  }
  if (certificate.notAfter.getTime() <= now) {
    throw new Error(`owner certificate: ${files.certFile} expired on ${certificate.notAfter.toISOString()}`);
  }
  if (certificate.names.length === 0) throw new Error(`owner certificate: ${files.certFile} names no DNS name`);
  return { files, certificate, context: createSecureContext({ cert: certPem, key: keyPem }) };
}

/** The owner's certificates, asked by name. The first one listed that covers a name wins. */
export class OwnerCertificates {
  readonly certificates: readonly OwnerCertificate[];

  constructor(files: readonly OwnerCertificateFiles[], now = Date.now()) {
    this.certificates = files.map((entry) => loadOwnerCertificate(entry, now));
  }

  /** The owner certificate for `hostname`, exact name or wildcard. */
  find(hostname: string): OwnerCertificate | undefined {
    return this.certificates.find((owned) => owned.certificate.names.some((name) => nameCovers(name, hostname)));
  }
}
