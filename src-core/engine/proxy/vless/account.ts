/** VLESS users: a UUID's 16 bytes, and a digest that names a user in logs and sessions without the UUID. */
import { createHash } from 'node:crypto';

/** The 16 bytes of a canonical UUID text (the config layer has checked it). */
export function uuidBytes(id: string): Buffer {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`vless: not a canonical UUID: ${JSON.stringify(id)}`);
  return Buffer.from(hex, 'hex');
}

/** `Session.userKey`: equal for equal UUIDs, safe to log (the UUID is the credential). */
export function userKeyOf(uuid: Buffer): string {
  return createHash('sha256').update('porthole vless user\0').update(uuid).digest('hex').slice(0, 16);
}
