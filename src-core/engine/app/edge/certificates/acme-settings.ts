/**
 * A config's `acme` object (`exposures.names.acme`, `tlsSettings.acme`) as the certificate
 * manager takes it: its CA root file (for a private ACME server's HTTPS) read once at start.
 */
import { readFile } from 'node:fs/promises';
import { formatErrorLine, PortholeError } from '../../../common/errors.js';
import type { AcmeConfig } from '../../../config/index.js';
import type { AcmeSettings } from './certificate-manager.js';

/** `where` names the acme object (`portal "p": exposures.names.acme`), for the one-line error. */
export async function acmeSettingsOf(acme: AcmeConfig, where: string): Promise<AcmeSettings> {
  return {
    directoryUrl: acme.directory,
    ...(acme.caFile ? { caBundle: await readCaFile(acme.caFile, where) } : {}),
    ...(acme.email ? { email: acme.email } : {}),
  };
}

async function readCaFile(file: string, where: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new PortholeError('PH_CONFIG_VALUE', `${where}.caFile ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : formatErrorLine(error)}`, { cause: error });
  }
}
