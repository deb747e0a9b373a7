import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BugError, PortholeError } from '../../common/errors.js';
import { loadCaptures } from '../../common/mux/testdata/captures.js';
import { CONTROL_RANDOM_LIMIT, ControlState, decodeControl, encodeControl } from './control.js';

const h = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** The PortholeError code `fn` throws, 'ok' when it returns, or the foreign error. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return error instanceof PortholeError ? error.code : `foreign: ${String(error)}`;
  }
}

describe('fixed vectors', () => {
  it('wire doc §5.3 forms', () => {
    expect(encodeControl(ControlState.Active, Buffer.alloc(0))).toEqual(Buffer.alloc(0));
    expect(encodeControl(ControlState.Drain, Buffer.alloc(0))).toEqual(h('08 01'));
    expect(encodeControl(ControlState.Active, Buffer.from('abc'))).toEqual(h('9a 06 03 616263'));
    expect(encodeControl(ControlState.Drain, Buffer.from('abc'))).toEqual(h('08 01 9a 06 03 616263'));
    expect(decodeControl(Buffer.alloc(0))).toEqual({ state: ControlState.Active, random: Buffer.alloc(0) });
    expect(decodeControl(h('08 01'))).toEqual({ state: ControlState.Drain, random: Buffer.alloc(0) });
  });

  it('the Control messages v2ray 4.34 sent (testdata/v2ray-4.34-captures.json)', () => {
    const frames = new Map(loadCaptures().portal.frames.map((f) => [f.name, f.expected.dataHex ?? ''] as const));
    const cases: Array<[string, number]> = [
      ['control New + first Control', ControlState.Active],
      ['heartbeat Control (ACTIVE) as Keep + Data', ControlState.Active],
      ['Control DRAIN', ControlState.Drain],
    ];
    for (const [name, state] of cases) {
      const bytes = h(frames.get(name) ?? '');
      const message = decodeControl(bytes);
      expect(message.state).toBe(state);
      expect(message.random.length).toBeLessThan(CONTROL_RANDOM_LIMIT);
      expect(encodeControl(message.state, message.random)).toEqual(bytes);
    }
  });
});

describe('round trip', () => {
  it('any int32 state and any padding', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.uint8Array({ maxLength: 400 }), (state, random) => {
        expect(decodeControl(encodeControl(state, Buffer.from(random)))).toEqual({ state, random: Buffer.from(random) });
      }),
    );
  });

  it('negative states are 10-byte sign-extended varints, as protobuf writes int32 enums', () => {
    expect(encodeControl(-1, Buffer.alloc(0))).toEqual(h('08 ffffffffffffffffff01'));
  });

  it('draws 0–63 random bytes when no padding is given, as FillInRandom does', () => {
    const lengths = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const message = decodeControl(encodeControl(ControlState.Drain));
      expect(message.state).toBe(ControlState.Drain);
      lengths.add(message.random.length);
    }
    expect([...lengths].sort((a, b) => a - b)).toEqual(Array.from({ length: CONTROL_RANDOM_LIMIT }, (_, i) => i));
  });

  it('rejects a state that is not an int32 with a BugError', () => {
    expect(() => encodeControl(2 ** 31)).toThrow(BugError);
    expect(() => encodeControl(0.5)).toThrow(BugError);
  });
});

describe('decoding like protobuf-go', () => {
  it('accepts any field order, and the last occurrence wins', () => {
    expect(decodeControl(h('9a 06 01 aa 08 01'))).toEqual({ state: 1, random: h('aa') });
    expect(decodeControl(h('08 01 08 00 9a 06 01 aa 9a 06 01 bb'))).toEqual({ state: 0, random: h('bb') });
  });

  it('skips unknown fields of every wire type, including nested groups', () => {
    const unknown = h(`
      10 96 01
      19 0102030405060708
      25 01020304
      2a 03 010203
      33 08 01 3b 10 05 3c 34
      a8 06 07
    `);
    expect(decodeControl(Buffer.concat([unknown, h('08 01 9a 06 01 aa'), unknown]))).toEqual({ state: 1, random: h('aa') });
  });

  it('skips known fields that carry an unexpected wire type', () => {
    expect(decodeControl(h('0a 01 01 98 06 05 08 01'))).toEqual({ state: 1, random: Buffer.alloc(0) });
  });

  it('keeps unknown enum values and truncates the varint to int32', () => {
    expect(decodeControl(h('08 05')).state).toBe(5);
    expect(decodeControl(h('08 80 80 80 80 10')).state).toBe(0);
    expect(decodeControl(h('08 ff ff ff ff 0f')).state).toBe(-1);
  });

  it('accepts a 10-byte varint whose last byte is 1', () => {
    expect(decodeControl(h('08 80 80 80 80 80 80 80 80 80 01')).state).toBe(0);
  });

  it.each([
    ['a truncated varint', '08'],
    ['a truncated multi-byte varint', '08 80'],
    ['a varint longer than 10 bytes', '08 80 80 80 80 80 80 80 80 80 80 01'],
    ['a 10th varint byte above 1', '08 80 80 80 80 80 80 80 80 80 02'],
    ['a length past the end', '9a 06 05 00'],
    ['a huge length', '9a 06 ff ff ff ff ff ff ff ff 01'],
    ['field number 0', '00 00'],
    ['a field number above 2^29-1', '80 80 80 80 10 00'],
    ['wire type 6', '0e'],
    ['wire type 7', '0f'],
    ['an end group at top level', '0c'],
    ['an unmatched end group', '0b 14'],
    ['an unterminated group', '0b 08 01'],
    ['a truncated fixed32', '25 0102'],
    ['a truncated fixed64', '19 01020304'],
    ['a truncated tag', '9a'],
  ])('rejects %s with a PortholeError', (_what, bytes) => {
    expect(outcome(() => decodeControl(h(bytes)))).toBe('PH_MUX_BAD_FRAME');
  });

  it('never throws anything but a PortholeError, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(['ok', 'PH_MUX_BAD_FRAME']).toContain(outcome(() => decodeControl(Buffer.from(bytes))));
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws anything but a PortholeError for mutated valid messages', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.uint8Array({ maxLength: 63 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (state, random, at, flip) => {
        const bytes = encodeControl(state, Buffer.from(random));
        if (bytes.length > 0) bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ flip;
        expect(['ok', 'PH_MUX_BAD_FRAME']).toContain(outcome(() => decodeControl(bytes)));
      }),
      { numRuns: 2000 },
    );
  });
});
