import { createHash } from 'node:crypto';

/** Deterministic bytes from a seed (xorshift32), so both ends can check every byte without storing it. */
export function deterministicBytes(seed: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let state = seed >>> 0 || 0x9e3779b9;
  let at = 0;
  for (; at + 4 <= length; at += 4) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out.writeUInt32LE(state, at);
  }
  for (; at < length; at += 1) out[at] = (seed + at) & 0xff;
  return out;
}

/** XOR with 0x5a: what the echo upstream does, so a short-circuit cannot pass a test. */
export function xor5a(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  const words = data.length >>> 2;
  for (let i = 0; i < words; i += 1) out.writeInt32LE(data.readInt32LE(i * 4) ^ 0x5a5a5a5a, i * 4);
  for (let i = words * 4; i < data.length; i += 1) out[i] = (data[i] ?? 0) ^ 0x5a;
  return out;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Splits `bytes` at the given (unsorted, possibly repeated) offsets. */
export function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const cut of cuts) {
    out.push(bytes.subarray(last, cut));
    last = cut;
  }
  out.push(bytes.subarray(last));
  return out;
}
