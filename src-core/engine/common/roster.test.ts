import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Roster, RosterMap } from './roster.js';

describe('Roster', () => {
  it('adds and removes members; removing twice is a no-op', () => {
    const roster = new Roster<string>();
    const a = roster.add('a');
    const b = roster.add('b');
    const c = roster.add('c');
    expect(roster.size).toBe(3);
    expect(new Set(roster.toArray())).toEqual(new Set(['a', 'b', 'c']));
    b.remove();
    b.remove();
    expect(roster.size).toBe(2);
    expect(new Set(roster.toArray())).toEqual(new Set(['a', 'c']));
    c.remove();
    a.remove();
    expect(roster.size).toBe(0);
    expect(roster.toArray()).toEqual([]);
  });

  it('removes the head, the tail and the middle alike, and takes new members after', () => {
    const roster = new Roster<number>();
    const members = [0, 1, 2, 3, 4].map((n) => roster.add(n));
    members[4]!.remove(); // the head (the newest)
    members[0]!.remove(); // the tail
    members[2]!.remove();
    expect(roster.toArray().sort()).toEqual([1, 3]);
    roster.add(5);
    expect(roster.toArray().sort()).toEqual([1, 3, 5]);
    expect(roster.size).toBe(3);
  });

  it('lets members be removed while a caller walks toArray(), as close() does', () => {
    const roster = new Roster<{ close(): void }>();
    for (let i = 0; i < 5; i++) {
      const member = { close: () => membership.remove() };
      const membership = roster.add(member);
    }
    for (const member of roster.toArray()) member.close();
    expect(roster.size).toBe(0);
  });

  it('clear() drops everyone, and old memberships stay harmless', () => {
    const roster = new Roster<number>();
    const first = roster.add(1);
    roster.add(2);
    roster.clear();
    first.remove();
    expect(roster.size).toBe(0);
    roster.add(3);
    expect(roster.toArray()).toEqual([3]);
  });
});

describe('RosterMap', () => {
  it('behaves as a Map for get, has, set, delete, values and size', () => {
    const map = new RosterMap<number, string>();
    map.set(1, 'one');
    map.set(2, 'two');
    map.set(1, 'uno');
    expect(map.get(1)).toBe('uno');
    expect(map.has(2)).toBe(true);
    expect(map.size).toBe(2);
    expect(map.delete(2)).toBe(true);
    expect(map.delete(2)).toBe(false);
    expect(map.get(2)).toBeUndefined();
    expect([...map.values()]).toEqual(['uno']);
    map.clear();
    expect(map.size).toBe(0);
  });
});

/**
 * The reason these classes exist (see roster.ts): a long-lived Set under churn makes V8 promote
 * members that were already removed. A child keeps 32 members (~2 KiB each) of 300,000 in a registry that has
 * been promoted first, and reports the bytes its scavenges promoted (`--trace-gc-nvp`). Counts
 * bytes, not time.
 */
describe('registries under churn (V8 young-generation GC)', () => {
  const built = fileURLToPath(new URL('../../../dist/src-core/engine/common/roster.js', import.meta.url));

  function promotedBytes(kind: 'set' | 'roster'): number {
    const script = `
      const { Roster } = await import(${JSON.stringify(built)});
      const kind = ${JSON.stringify(kind)};
      const registry = kind === 'set' ? new Set() : new Roster();
      const live = [];
      gc(); gc();
      for (let i = 0; i < 300000; i++) {
        const member = { payload: new Array(256).fill(i) };
        if (kind === 'set') registry.add(member);
        live.push(kind === 'set' ? member : registry.add(member));
        if (live.length > 32) {
          const old = live.shift();
          if (kind === 'set') registry.delete(old);
          else old.remove();
        }
      }
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.status, child.stderr).toBe(0);
    let total = 0;
    for (const match of child.stdout.matchAll(/gc=s .*?promoted=(\d+)/g)) total += Number(match[1]);
    return total;
  }

  it.skipIf(!existsSync(built))('a Roster lets removed members die young, where a Set promotes them', () => {
    const set = promotedBytes('set');
    const roster = promotedBytes('roster');
    expect(set).toBeGreaterThan(4 * 1024 * 1024);
    expect(roster * 10).toBeLessThan(set);
  });
});
