import { describe, expect, it } from 'vitest';
import { ConnectionsByUser } from './connections-by-user.js';

class FakeConnection {
  destroyed = false;
  constructor(readonly name: string) {}
  destroy(): void {
    this.destroyed = true;
  }
}

describe('ConnectionsByUser', () => {
  it('closes exactly the connections of users no longer kept, once', () => {
    const connections = new ConnectionsByUser<FakeConnection>();
    const [a1, a2, b1, c1] = ['a1', 'a2', 'b1', 'c1'].map((name) => new FakeConnection(name)) as [FakeConnection, FakeConnection, FakeConnection, FakeConnection];
    connections.add('alice', a1);
    connections.add('alice', a2);
    connections.add('bob', b1);
    const carol = connections.add('carol', c1);
    // Carol's connection closed on its own before the reload.
    carol.remove();

    expect(connections.closeAllExcept(new Set(['bob']))).toBe(2);
    expect([a1, a2, b1, c1].map((connection) => [connection.name, connection.destroyed])).toEqual([['a1', true], ['a2', true], ['b1', false], ['c1', false]]);
    // Alice is forgotten: a second reload without her closes nothing more.
    expect(connections.closeAllExcept(new Set(['bob']))).toBe(0);
    expect(connections.closeAllExcept(new Set())).toBe(1);
    expect(b1.destroyed).toBe(true);
  });

  it('a membership removed after its user was closed is harmless', () => {
    const connections = new ConnectionsByUser<FakeConnection>();
    const connection = new FakeConnection('x');
    const membership = connections.add('dave', connection);
    expect(connections.closeAllExcept(new Set())).toBe(1);
    expect(() => membership.remove()).not.toThrow();
    const again = new FakeConnection('y');
    connections.add('dave', again);
    expect(connections.closeAllExcept(new Set())).toBe(1);
  });
});
