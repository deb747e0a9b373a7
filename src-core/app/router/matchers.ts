/**
 * Routing conditions (V2Ray's `app/router/condition.go`, wire doc §6): domain matchers
 * (full / domain / keyword / regexp / dotless, case-sensitive), CIDR sets, port ranges.
 * Built once from the config; matching does no allocation.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type DomainRule =
  | { kind: 'full'; value: string }
  | { kind: 'domain'; value: string }
  | { kind: 'keyword'; value: string }
  | { kind: 'regexp'; value: string }
  | { kind: 'dotless'; value: string };

/** Matches a domain against a rule's `domain` list (values ORed). */
export class DomainMatcher {
  private readonly full = new Set<string>();
  private readonly suffixes = new Set<string>();
  private readonly keywords: string[] = [];
  private readonly patterns: RegExp[] = [];
  private readonly dotless: string[] = [];

  constructor(rules: readonly DomainRule[]) {
    for (const rule of rules) {
      switch (rule.kind) {
        case 'full':
          this.full.add(rule.value);
          break;
        case 'domain':
          this.suffixes.add(rule.value);
          break;
        case 'keyword':
          this.keywords.push(rule.value);
          break;
        case 'regexp':
          this.patterns.push(new RegExp(rule.value));
          break;
        case 'dotless':
          this.dotless.push(rule.value);
          break;
      }
    }
  }

  matches(domain: string): boolean {
    if (this.full.has(domain)) return true;
    if (this.suffixes.size > 0) {
      // `domain:x` matches x itself and every name ending in ".x": try each parent in turn.
      for (let candidate = domain; ; ) {
        if (this.suffixes.has(candidate)) return true;
        const dot = candidate.indexOf('.');
        if (dot === -1) break;
        candidate = candidate.slice(dot + 1);
      }
    }
    for (const keyword of this.keywords) if (domain.includes(keyword)) return true;
    for (const pattern of this.patterns) if (pattern.test(domain)) return true;
    if (!domain.includes('.')) for (const part of this.dotless) if (domain.includes(part)) return true;
    return false;
  }
}

interface Cidr4 {
  network: number;
  mask: number;
}

interface Cidr6 {
  network: bigint;
  mask: bigint;
}

function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.');
  return ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const value = ipv4ToNumber(tail);
    text = `${text.slice(0, lastColon + 1)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = rest === undefined ? [] : rest ? rest.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(parseInt(group || '0', 16));
  return value;
}

/** A set of CIDRs (IPv4 and IPv6) that an IP literal is tested against. */
export class CidrMatcher {
  private readonly v4: Cidr4[] = [];
  private readonly v6: Cidr6[] = [];

  /** `cidrs` are `a.b.c.d/n`, `x::y/n` or bare addresses (a /32 or /128). */
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [ip = '', prefixText] = cidr.split('/');
      if (isIPv4(ip)) {
        const prefix = prefixText === undefined ? 32 : Number(prefixText);
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        this.v4.push({ network: (ipv4ToNumber(ip) & mask) >>> 0, mask });
      } else if (isIPv6(ip)) {
        const prefix = BigInt(prefixText === undefined ? 128 : Number(prefixText));
        const mask = prefix === 0n ? 0n : ((1n << 128n) - 1n) ^ ((1n << (128n - prefix)) - 1n);
        this.v6.push({ network: ipv6ToBigInt(ip) & mask, mask });
      }
    }
  }

  matches(ip: string): boolean {
    if (isIPv4(ip)) {
      const value = ipv4ToNumber(ip);
      return this.v4.some((cidr) => ((value & cidr.mask) >>> 0) === cidr.network);
    }
    if (isIPv6(ip)) {
      const value = ipv6ToBigInt(ip);
      return this.v6.some((cidr) => (value & cidr.mask) === cidr.network);
    }
    return false;
  }
}

export interface PortRange {
  from: number;
  to: number;
}

export function portInRanges(port: number, ranges: readonly PortRange[]): boolean {
  return ranges.some((range) => port >= range.from && port <= range.to);
}
