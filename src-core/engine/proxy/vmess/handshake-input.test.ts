import { describe, expect, it } from 'vitest';
import { HandshakeInput } from './handshake-input.js';

describe('HandshakeInput', () => {
  it('takes fields across pushes as views, counts them, and hands the rest on', () => {
    const input = new HandshakeInput();
    input.append(Buffer.from('abc'));
    input.append(Buffer.from('defgh'));
    expect(input.length).toBe(8);
    expect(input.take(4).toString()).toBe('abcd');
    expect(input.peek(1).toString()).toBe('fgh');
    expect(input.consumed).toBe(4);
    expect(input.takeRest().toString()).toBe('efgh');
    expect([input.length, input.consumed]).toEqual([0, 4]);
  });
});
