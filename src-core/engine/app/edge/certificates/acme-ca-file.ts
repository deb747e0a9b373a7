/** `acme.caFile`: the root a private ACME server's HTTPS is signed with, read once at start. */
import { readFile } from 'node:fs/promises';
import { formatErrorLine, PortholeError } from '../../../common/errors.js';

/** `where` names the acme object (`portal "p": exposures.names.acme`), for the one-line error. */
export async function readAcmeCaFile(file: string, where: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new PortholeError('PH_CONFIG_VALUE', `${where}.caFile ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : formatErrorLine(error)}`, { cause: error });
  }
}
