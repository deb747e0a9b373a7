/**
 * An exposure's own gate at the edge: an address allowlist (CIDR, IPv4 and IPv6) and HTTP Basic
 * credentials, checked before anything reaches the bridge. A broken allowlist denies everyone
 * (fail closed) rather than opening the exposure.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { EdgeAccess } from './routes.js';

export type AccessVerdict = 'allowed' | 'address-denied' | 'credentials-needed';

/** `::ffff:192.0.2.1` (an IPv4 visitor on a dual-stack listener) as the IPv4 address it is. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

interface CompiledAccess {
  readonly allow?: net.BlockList;
  /** Why the allowlist could not be read: then nobody is let in. */
  readonly broken?: string;
  readonly credentialsDigest?: Buffer;
}

const compiled = new WeakMap<EdgeAccess, CompiledAccess>();

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Adds one `address/prefix` (or a bare address) to `list`; throws one line naming the entry. */
function addCidr(list: net.BlockList, cidr: string): void {
  const [address = '', prefixText, extra] = cidr.trim().split('/');
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  const bits = family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bits || prefixText === '') {
    throw new Error(`edge access: "${cidr}" is not an IPv4 or IPv6 address or CIDR`);
  }
  list.addSubnet(address, prefix, family);
}

function compile(access: EdgeAccess): CompiledAccess {
  let result = compiled.get(access);
  if (result) return result;
  let allow: net.BlockList | undefined;
  let broken: string | undefined;
  if (access.allow && access.allow.length > 0) {
    allow = new net.BlockList();
    try {
      for (const cidr of access.allow) addCidr(allow, cidr);
    } catch (error) {
      broken = (error as Error).message;
    }
  }
  const credentialsDigest = access.basicAuth ? digest(`${access.basicAuth.user}:${access.basicAuth.password}`) : undefined;
  result = { allow, broken, credentialsDigest };
  compiled.set(access, result);
  return result;
}

/** Why an allowlist cannot be used (to log once), or undefined when it is fine. */
export function accessProblem(access: EdgeAccess): string | undefined {
  return compile(access).broken;
}

/** Whether `address` is in the allowlist (an absent or empty list lets everyone in). */
export function addressAllowed(access: EdgeAccess, address: string): boolean {
  const { allow, broken } = compile(access);
  if (broken) return false;
  if (!allow) return true;
  const plain = plainAddress(address);
  const family = net.isIPv4(plain) ? 'ipv4' : net.isIPv6(plain) ? 'ipv6' : undefined;
  return family !== undefined && allow.check(plain, family);
}

/**
 * Whether an `Authorization` header carries the exposure's Basic credentials. Both sides are
 * hashed first so the comparison takes the same time whatever the lengths and contents.
 */
export function credentialsAccepted(access: EdgeAccess, authorization: string | undefined): boolean {
  const expected = compile(access).credentialsDigest;
  if (!expected) return true;
  const match = /^basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(authorization ?? '');
  const offered = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  return timingSafeEqual(digest(offered), expected) && match !== null;
}

/** The allowlist first (403), then the credentials (401). */
export function checkAccess(access: EdgeAccess, address: string, authorization: string | undefined): AccessVerdict {
  if (!addressAllowed(access, address)) return 'address-denied';
  if (!credentialsAccepted(access, authorization)) return 'credentials-needed';
  return 'allowed';
}

/** The realm names only the site the visitor asked for. */
export function basicChallenge(hostname: string): string {
  return `Basic realm="${hostname.replace(/["\\]/g, '')}", charset="UTF-8"`;
}
