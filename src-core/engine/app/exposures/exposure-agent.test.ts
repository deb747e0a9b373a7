import { afterEach, describe, expect, it, vi } from 'vitest';
import { forComponent } from '../../features/log.js';
import { DefaultLogger } from '../log/logger.js';
import { ExposureAgent, defaultPublicPort, type ExposureSpec } from './exposure-agent.js';
import { decodeBridgeExposureMessage } from './exposure-wire.js';

const log = forComponent(new DefaultLogger({ level: 'none' }), 'test');
const spec = (id: string, fields: Partial<ExposureSpec> = {}): ExposureSpec => ({ id, name: id, localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: true, ...fields });

/** A link that records what the agent writes on it. */
function link() {
  const sent: ReturnType<typeof decodeBridgeExposureMessage>[] = [];
  return { sent, send: (bytes: Buffer) => { sent.push(decodeBridgeExposureMessage(bytes)); } };
}

afterEach(() => { vi.useRealTimers(); });

describe('ExposureAgent', () => {
  it('asks a Porthole portal on every link that offered, withdraws what is switched off, and reads the answers', () => {
    const agent = new ExposureAgent({ log, serverHost: () => 'vps.example.com' });
    agent.setExposures([spec('a'), spec('b', { localPort: 3000, publicPort: 9000 })]);
    expect(agent.status('a').state).toBe('offline');
    const [one, two] = [link(), link()];
    agent.linkOffered(one);
    agent.linkOffered(two);
    expect(one.sent[0]?.expose.map((request) => [request.id, request.publicPort])).toEqual([['a', 0], ['b', 9000]]);
    expect(two.sent).toEqual(one.sent);
    expect(agent.status('a').state).toBe('requesting');
    agent.reply({ id: 'a', publicPort: 20000 });
    agent.reply({ id: 'b', publicPort: 0, errorCode: 'PH_EXPOSE_OUT_OF_RANGE', error: 'public port 9000 is outside the range' });
    expect(agent.status('a')).toEqual({ state: 'live', publicAddress: 'vps.example.com:20000', urls: [], problem: null });
    expect(agent.status('b')).toMatchObject({ state: 'refused', problem: { code: 'PH_EXPOSE_OUT_OF_RANGE' } });
    agent.setExposures([spec('a', { enabled: false }), spec('b', { localPort: 3000, publicPort: 9000 })]);
    expect(one.sent.at(-1)).toEqual({ expose: [], unexpose: ['a'] });
    expect(agent.status('a').state).toBe('disabled');
    agent.linkGone(one);
    agent.linkGone(two);
    expect(agent.status('b').state).toBe('offline');
  });

  it('with a V2Ray portal, writes nothing and points at Server setup', () => {
    const agent = new ExposureAgent({ log, serverHost: () => '203.0.113.7' });
    agent.setExposures([spec('a'), spec('b', { localPort: 3000 })]);
    agent.linkWithoutOffer();
    expect(agent.portalKind).toBe('v2ray');
    expect(agent.status('a')).toEqual({ state: 'setup-needed', publicAddress: `203.0.113.7:${defaultPublicPort(80)}`, urls: [], problem: null });
    expect(agent.status('b').publicAddress).toBe('203.0.113.7:3000');
  });

  it('asks again now and then for a port another program held, and stops once none is refused so', () => {
    vi.useFakeTimers();
    const agent = new ExposureAgent({ log, serverHost: () => undefined, retryMs: 1000 });
    agent.setExposures([spec('a', { publicPort: 8080 })]);
    const one = link();
    agent.linkOffered(one);
    agent.reply({ id: 'a', publicPort: 0, errorCode: 'PH_EXPOSE_PORT_TAKEN', error: 'public port 8080 is in use on the portal by another program' });
    vi.advanceTimersByTime(1000);
    expect(one.sent).toHaveLength(2);
    expect(one.sent[1]?.expose.map((request) => request.id)).toEqual(['a']);
    agent.reply({ id: 'a', publicPort: 8080 });
    vi.advanceTimersByTime(3000);
    expect(one.sent).toHaveLength(2);
    expect(agent.status('a').publicAddress).toBe('127.0.0.1:8080');
    agent.close();
  });

  it('asks again for an exposure refused for the per-user limit as soon as another is withdrawn', () => {
    const agent = new ExposureAgent({ log, serverHost: () => undefined });
    agent.setExposures([spec('a'), spec('b')]);
    const one = link();
    agent.linkOffered(one);
    agent.reply({ id: 'a', publicPort: 20000 });
    agent.reply({ id: 'b', publicPort: 0, errorCode: 'PH_EXPOSE_LIMIT', error: 'this portal allows 1 exposure per user, and you already have 1' });
    expect(agent.status('b')).toMatchObject({ state: 'refused', problem: { code: 'PH_EXPOSE_LIMIT' } });
    agent.setExposures([spec('b')]);
    // The withdrawal first, then the request again, in a message of its own.
    expect(one.sent.slice(1)).toEqual([
      { expose: [], unexpose: ['a'] },
      { expose: [{ id: 'b', localHost: '127.0.0.1', localPort: 80, publicPort: 0, name: 'b' }], unexpose: [] },
    ]);
    agent.close();
  });
});
