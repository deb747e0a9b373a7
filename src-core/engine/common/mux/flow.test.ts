import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_UPDATES_PER_MESSAGE, decodeFlowMessage, encodeFlowMessage, type FlowMessage } from './flow.js';

describe('flow-control messages', () => {
  it('round-trips announcements and window updates', () => {
    const messages = fc.oneof(
      fc.record({ kind: fc.constant('announce' as const), window: fc.nat({ max: 0xffffffff }) }),
      fc.record({
        kind: fc.constant('window' as const),
        updates: fc.array(fc.record({ sessionId: fc.nat({ max: 0xffff }), increment: fc.nat({ max: 0xffffffff }) }), { maxLength: MAX_UPDATES_PER_MESSAGE }),
      }),
    );
    fc.assert(fc.property(messages, (message: FlowMessage) => {
      expect(decodeFlowMessage(encodeFlowMessage(message))).toEqual(message);
    }));
  });

  it('has fixed bytes', () => {
    expect(encodeFlowMessage({ kind: 'announce', window: 0x200000 }).toString('hex')).toBe('50484643' + '02' + '01' + '00200000');
    expect(encodeFlowMessage({ kind: 'window', updates: [{ sessionId: 2, increment: 65536 }] }).toString('hex')).toBe('50484643' + '02' + '02' + '0001' + '0002' + '00010000');
  });

  it('ignores anything that is not exactly a flow message', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const decoded = decodeFlowMessage(Buffer.from(bytes));
      if (decoded) expect(encodeFlowMessage(decoded)).toEqual(Buffer.from(bytes));
    }));
    const truncated = encodeFlowMessage({ kind: 'window', updates: [{ sessionId: 1, increment: 5 }] }).subarray(0, 10);
    expect(decodeFlowMessage(truncated)).toBeUndefined();
  });
});
