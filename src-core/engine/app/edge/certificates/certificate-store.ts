/**
 * The certificates the portal issued for itself, on disk under the folder the owner configures:
 *
 *   <directory>/                                 0700
 *     accounts/<ca-host>-<hash>/account-key.pem  0600  one ACME account key per directory URL
 *     certificates/<hostname>/key.pem            0600
 *     certificates/<hostname>/fullchain.pem      0644  leaf first, then the chain
 *
 * Every file is written whole to a temp file and renamed over the old one, so a crash leaves the
 * old file or the new one, never half of either. Key and chain are two renames: a crash between
 * them leaves a pair that does not match, which loading notices and skips (the name is issued
 * anew).
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { certificateNames, isIssuableHostname } from './hostname-match.js';

const DIRECTORY_MODE = 0o700;
const KEY_MODE = 0o600;
const CHAIN_MODE = 0o644;
const KEY_FILE = 'key.pem';
const CHAIN_FILE = 'fullchain.pem';
const ACCOUNT_KEY_FILE = 'account-key.pem';

/** A certificate with its key, checked to belong together, and what the renewal needs of it. */
export interface StoredCertificate {
  /** The name it was issued for (its folder's name), lower case. */
  readonly hostname: string;
  /** Leaf first, then the intermediates. */
  readonly certPem: string;
  readonly keyPem: string;
  /** Its DNS names (subjectAltName). */
  readonly names: readonly string[];
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Parses a PEM chain and key and checks that the key is the leaf's. Throws a one-line error
 * (without the place: callers prefix the file or name) when either does not parse or they differ.
 */
export function describeCertificate(hostname: string, certPem: string, keyPem: string): StoredCertificate {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch (error) {
    throw new Error(`not a PEM certificate (${(error as Error).message})`, { cause: error });
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new Error(`not a PEM private key (${(error as Error).message})`, { cause: error });
  }
  if (!leaf.checkPrivateKey(key)) throw new Error('the private key does not belong to the certificate');
  return {
    hostname,
    certPem,
    keyPem,
    names: certificateNames(leaf.subjectAltName, leaf.subject),
    serialNumber: leaf.serialNumber,
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
  };
}

/** A fresh ECDSA P-256 key (PKCS#8 PEM): small, fast, and what OpenSSL and BoringSSL both take. */
export function createEcdsaKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** Writes `data` to `path` through a temp file in the same folder, fsynced, then renamed over it. */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // open's mode went through the umask
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

async function ensurePrivateDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIRECTORY_MODE });
  await chmod(path, DIRECTORY_MODE); // an existing folder keeps its mode otherwise
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** What `loadAll` found: the usable certificates, and one line per folder it had to skip. */
export interface LoadedCertificates {
  readonly certificates: StoredCertificate[];
  readonly problems: string[];
}

export class CertificateStore {
  private constructor(readonly directory: string) {}

  /** Makes (or tightens to 0700) the folder and its sub-folders. */
  static async open(directory: string): Promise<CertificateStore> {
    await ensurePrivateDirectory(directory);
    await ensurePrivateDirectory(join(directory, 'certificates'));
    await ensurePrivateDirectory(join(directory, 'accounts'));
    return new CertificateStore(directory);
  }

  private certificateFolder(hostname: string): string {
    // The name becomes a path: only plain DNS names, so nothing can climb out of the folder.
    if (!isIssuableHostname(hostname)) throw new Error(`certificate store: "${hostname}" is not a host name`);
    return join(this.directory, 'certificates', hostname);
  }

  /** Every stored certificate whose key matches; a folder that is half-written or damaged is reported, not thrown. */
  async loadAll(): Promise<LoadedCertificates> {
    const certificates: StoredCertificate[] = [];
    const problems: string[] = [];
    const root = join(this.directory, 'certificates');
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const folder = join(root, entry.name);
      if (!isIssuableHostname(entry.name)) {
        problems.push(`${folder}: not a host name, skipped`);
        continue;
      }
      const [certPem, keyPem] = await Promise.all([readIfPresent(join(folder, CHAIN_FILE)), readIfPresent(join(folder, KEY_FILE))]);
      if (certPem === undefined || keyPem === undefined) {
        problems.push(`${folder}: ${certPem === undefined ? CHAIN_FILE : KEY_FILE} is missing, skipped`);
        continue;
      }
      try {
        certificates.push(describeCertificate(entry.name, certPem, keyPem));
      } catch (error) {
        problems.push(`${folder}: ${(error as Error).message}, skipped`);
      }
    }
    return { certificates, problems };
  }

  /** Stores a newly issued certificate for `hostname` (key first: see the file comment). */
  async save(hostname: string, certPem: string, keyPem: string): Promise<StoredCertificate> {
    const described = describeCertificate(hostname, certPem, keyPem);
    const folder = this.certificateFolder(hostname);
    await ensurePrivateDirectory(folder);
    await writeFileAtomic(join(folder, KEY_FILE), keyPem, KEY_MODE);
    await writeFileAtomic(join(folder, CHAIN_FILE), certPem, CHAIN_MODE);
    return described;
  }

  /** The ACME account key for `directoryUrl`, made and stored on first use. */
  async accountKey(directoryUrl: string): Promise<string> {
    const url = new URL(directoryUrl);
    const hash = createHash('sha256').update(directoryUrl).digest('hex').slice(0, 12);
    const folder = join(this.directory, 'accounts', `${url.host.replace(/[^a-z0-9.-]/gi, '_')}-${hash}`);
    await ensurePrivateDirectory(folder);
    const path = join(folder, ACCOUNT_KEY_FILE);
    const existing = await readIfPresent(path);
    if (existing !== undefined) {
      try {
        createPrivateKey(existing);
      } catch (error) {
        throw new Error(`${path}: not a PEM private key (${(error as Error).message})`, { cause: error });
      }
      return existing;
    }
    const keyPem = createEcdsaKeyPem();
    await writeFileAtomic(path, keyPem, KEY_MODE);
    return keyPem;
  }
}
