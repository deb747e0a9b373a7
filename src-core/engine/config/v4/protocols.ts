/**
 * Protocol names: what V2Ray 4.34 registers (`infra/conf/v2ray.go`) and what Porthole builds.
 * Names are lowercased before matching, as V2Ray does.
 */
import type { Struct } from './decode.js';
import { fail } from './decode.js';
import type { JsonNode } from './jsonc.js';

export const V2RAY_INBOUND_PROTOCOLS = ['dokodemo-door', 'http', 'shadowsocks', 'socks', 'vless', 'vmess', 'trojan', 'mtproto'] as const;
export const V2RAY_OUTBOUND_PROTOCOLS = ['blackhole', 'freedom', 'http', 'shadowsocks', 'socks', 'vless', 'vmess', 'trojan', 'mtproto', 'dns'] as const;

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest name within a distance of 2 (or a third of the name), if any. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) { best = candidate; bestDistance = distance; }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/**
 * Lowercases `protocol` and checks it against `supported`; throws PH_CONFIG_UNSUPPORTED for a
 * V2Ray protocol Porthole lacks and PH_CONFIG_UNKNOWN_PROTOCOL (with a suggestion) otherwise.
 */
export function resolveProtocol<T extends string>(
  owner: Struct,
  node: JsonNode | undefined,
  raw: string,
  supported: readonly T[],
  known: readonly string[],
  direction: 'inbound' | 'outbound',
): T {
  const name = raw.toLowerCase();
  const found = supported.find((candidate) => candidate === name);
  if (found) return found;
  const list = supported.map((p) => `"${p}"`).join(', ');
  if (node === undefined) owner.missing('PH_CONFIG_UNKNOWN_PROTOCOL', 'protocol', `missing "protocol": Porthole supports ${direction} protocols ${list}`);
  if (known.includes(name)) fail('PH_CONFIG_UNSUPPORTED', node, `protocol "${name}" is not supported by Porthole yet (${direction} protocols: ${list})`);
  const suggestion = didYouMean(name, known);
  fail('PH_CONFIG_UNKNOWN_PROTOCOL', node, `unknown protocol ${JSON.stringify(raw)}${suggestion ? ` (did you mean "${suggestion}"?)` : ` (${direction} protocols: ${list})`}`);
}
