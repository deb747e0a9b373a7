/** The portal's exposure host on real listeners: allocation from the range, refusals, and the grace period. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../../features/dispatcher.js';
import { forComponent } from '../../features/log.js';
import { DefaultLogger } from '../log/logger.js';
import { freePorts } from '../../../test/support/ports.js';
import { ExposureHost } from './exposure-host.js';
import type { ExposeRequest, ExposureReply } from './exposure-wire.js';

const hosts: ExposureHost[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

/** These tests open no connection through the ports, so nothing is ever dispatched. */
const noDispatch: Dispatcher = {
  dispatch: () => { throw new Error('no connection expected in this test'); },
  dispatchLink: () => { throw new Error('no connection expected in this test'); },
};
const log = forComponent(new DefaultLogger({ level: 'none' }), 'test');

function host(ports: number[], graceMs = 10_000): ExposureHost {
  const created = new ExposureHost({
    config: { ports: ports.map((port) => ({ from: port, to: port })), listen: '127.0.0.1' },
    portalTag: 'portal', dispatcher: noDispatch, log, inboundLog: log, graceMs,
  });
  hosts.push(created);
  return created;
}

function holder() {
  const replies: ExposureReply[] = [];
  return { replies, reply: (reply: ExposureReply) => { replies.push(reply); } };
}

const request = (id: string, publicPort = 0): ExposeRequest => ({ id, localHost: '127.0.0.1', localPort: 80, publicPort, name: id });

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

describe('ExposureHost', () => {
  it('hands out free ports in order, refuses taken and out-of-range ones, and confirms a repeated request', async () => {
    const range = await freePorts(2);
    const exposures = host(range);
    const link = holder();
    await exposures.expose(link, request('a'));
    await exposures.expose(link, request('b', range[0]));
    await exposures.expose(link, request('c'));
    await exposures.expose(link, request('d', 1));
    await exposures.expose(link, request('a'));
    expect(link.replies).toEqual([
      { id: 'a', publicPort: range[0] },
      { id: 'b', publicPort: 0, errorCode: 'PH_EXPOSE_PORT_TAKEN', error: `public port ${range[0]} is already taken by exposure "a"` },
      { id: 'c', publicPort: range[1] },
      { id: 'd', publicPort: 0, errorCode: 'PH_EXPOSE_OUT_OF_RANGE', error: `public port 1 is outside the range this portal allows (${range.join(', ')})` },
      { id: 'a', publicPort: range[0] },
    ]);
    expect(await listening(range[0] ?? 0)).toBe(true);
    await exposures.unexpose(link, 'a');
    expect(await listening(range[0] ?? 0)).toBe(false);
    expect(exposures.openPorts.map((open) => open.id)).toEqual(['c']);
  });

  it('keeps a port through a reconnect within the grace period and closes it when the bridge stays gone', async () => {
    const range = await freePorts(1);
    const exposures = host(range, 300);
    const first = holder();
    await exposures.expose(first, request('a'));
    exposures.holderGone(first);
    const second = holder();
    await exposures.expose(second, request('a'));
    expect(second.replies).toEqual([{ id: 'a', publicPort: range[0] }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await listening(range[0] ?? 0)).toBe(true);
    exposures.holderGone(second);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await listening(range[0] ?? 0)).toBe(false);
  });

  it('without `exposures` in the config, refuses and says how to allow it', async () => {
    const exposures = new ExposureHost({ config: undefined, portalTag: 'portal', dispatcher: noDispatch, log, inboundLog: log });
    hosts.push(exposures);
    const link = holder();
    await exposures.expose(link, request('a'));
    expect(link.replies[0]).toMatchObject({ publicPort: 0, errorCode: 'PH_EXPOSE_NOT_ALLOWED', error: expect.stringContaining('"exposures": {"ports": "20000-20099"}') });
  });
});
