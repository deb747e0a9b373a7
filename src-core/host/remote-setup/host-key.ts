/**
 * A server's host key as OpenSSH shows it: the algorithm named inside the key blob and the
 * fingerprint `SHA256:` + unpadded base64 of the blob's SHA-256 (`ssh-keygen -lf`). Pure.
 */
import { createHash } from 'node:crypto';

export interface HostKeyFingerprint {
  algorithm: string;
  fingerprint: string;
}

/** The blob is SSH wire format: a uint32 length, then the algorithm name, then the key's fields. */
export function hostKeyAlgorithm(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return 'unknown';
  return blob.subarray(4, 4 + length).toString('latin1');
}

export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function fingerprintOf(blob: Buffer): HostKeyFingerprint {
  return { algorithm: hostKeyAlgorithm(blob), fingerprint: sha256Fingerprint(blob) };
}

/** A `ssh-ed25519 AAAA… comment` line (an OpenSSH public key file) → its fingerprint. */
export function fingerprintOfPublicKeyLine(line: string): HostKeyFingerprint {
  const [, base64] = line.trim().split(/\s+/);
  if (!base64) throw new Error(`not an OpenSSH public key line: "${line.slice(0, 40)}"`);
  return fingerprintOf(Buffer.from(base64, 'base64'));
}
