import { describe, expect, it } from 'vitest';
import { exceedsIpcSize, MAX_IPC_CALL_BYTES } from './ipc-size.js';

describe('exceedsIpcSize', () => {
  it('lets ordinary calls through', () => {
    expect([
      exceedsIpcSize([]),
      exceedsIpcSize(['My server', '{"inbounds": []}'.repeat(50_000)]),
      exceedsIpcSize([{ localHost: 'localhost', localPort: 80, name: 'web' }]),
    ]).toEqual([false, false, false]);
  });

  it.each([
    ['one long string', () => ['x'.repeat(MAX_IPC_CALL_BYTES)]],
    ['many short strings', () => [Array.from({ length: 300_000 }, () => 'abcdefgh')]],
    ['a wide array of numbers', () => [new Array<number>(MAX_IPC_CALL_BYTES).fill(0)]],
    ['an object with many keys', () => [Object.fromEntries(Array.from({ length: 200_000 }, (_, index) => [`key${index}`, index]))]],
    ['a large typed array', () => [new Uint8Array(MAX_IPC_CALL_BYTES + 1)]],
    ['a large Map', () => [new Map(Array.from({ length: 300_000 }, (_, index) => [index, index]))]],
  ])('refuses %s', (_what, make) => {
    expect(exceedsIpcSize(make())).toBe(true);
  });

  it('ends on a cycle and on deep nesting (structured clone carries both)', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    let deep: unknown[] = [];
    for (let level = 0; level < 1_000_000; level += 1) deep = [deep];
    expect([exceedsIpcSize([cycle]), exceedsIpcSize([deep])]).toEqual([true, true]);
  });

  it('counts against the cap it is given', () => {
    expect([exceedsIpcSize(['x'.repeat(80)], 100), exceedsIpcSize(['x'.repeat(100)], 100)]).toEqual([false, true]);
  });
});
