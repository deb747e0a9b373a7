/**
 * The PEM text of `tlsSettings.certificates` entries: inline, or read from the file the config
 * names. A file that cannot be read is the config's error, at the place it is named.
 */
import { readFileSync } from 'node:fs';
import { PortholeError } from '../../common/errors.js';
import { fieldOriginOf, originOf } from '../../config/origins.js';
import type { TlsCertificate } from '../../config/types.js';

function readPemFile(certificate: TlsCertificate, field: 'certificateFile' | 'keyFile', path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : 'cannot read it';
    const place = fieldOriginOf(certificate, field) ?? originOf(certificate) ?? {};
    throw new PortholeError('PH_CONFIG_FILE', `cannot read ${field === 'keyFile' ? 'key' : 'certificate'} file ${JSON.stringify(path)}: ${why}`, { ...place, cause: error });
  }
}

export function certificatePem(certificate: TlsCertificate): string {
  return certificate.certificateFile !== undefined ? readPemFile(certificate, 'certificateFile', certificate.certificateFile) : certificate.certificate ?? '';
}

/** The key's PEM, or undefined when the entry has none. */
export function keyPem(certificate: TlsCertificate): string | undefined {
  return certificate.keyFile !== undefined ? readPemFile(certificate, 'keyFile', certificate.keyFile) : certificate.key;
}
