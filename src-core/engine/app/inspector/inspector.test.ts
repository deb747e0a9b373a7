import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CaptureChange } from './capture-store.js';
import { Inspector } from './inspector.js';

const EVENTS = ['data', 'end', 'close'];

function connection() {
  const visitor = new PassThrough();
  const service = new PassThrough();
  const listeners = () => [visitor, service].map((side) => EVENTS.map((event) => side.listenerCount(event)));
  return { visitor, service, listeners };
}

async function send(side: PassThrough, text: string): Promise<void> {
  side.write(Buffer.from(text, 'latin1'));
  await new Promise((resolve) => setImmediate(resolve));
}

describe('Inspector', () => {
  it('captures by default, and with capture off adds no listener at all to a connection', () => {
    const inspector = new Inspector();
    const on = connection();
    const before = on.listeners();
    inspector.observerFor('e')(1, on.visitor, on.service);
    expect(on.listeners()).not.toEqual(before);

    inspector.setEnabled('e', false);
    const off = connection();
    const untouched = off.listeners();
    inspector.observerFor('e')(2, off.visitor, off.service);
    expect(off.listeners()).toEqual(untouched);
  });

  it('switching capture off takes the listeners off open connections and keeps the list', async () => {
    const inspector = new Inspector();
    const open = connection();
    const before = open.listeners();
    inspector.observerFor('e')(1, open.visitor, open.service);
    await send(open.visitor, 'GET / HTTP/1.1\r\n\r\n');
    inspector.setEnabled('e', false);
    expect(open.listeners()).toEqual(before);
    expect(inspector.list('e').map((entry) => [entry.request?.target, entry.state, entry.note])).toEqual([['/', 'aborted', 'capture was switched off']]);
  });

  it('paused, new connections are not watched; resumed, they are', () => {
    const inspector = new Inspector();
    inspector.pause('e', true);
    const paused = connection();
    const before = paused.listeners();
    inspector.observerFor('e')(1, paused.visitor, paused.service);
    expect([paused.listeners(), inspector.isPaused('e')]).toEqual([before, true]);
    inspector.pause('e', false);
    inspector.observerFor('e')(2, paused.visitor, paused.service);
    expect(paused.listeners()).not.toEqual(before);
  });

  it('keeps the last ringSize entries, announcing each change; a smaller ring drops the oldest at once', async () => {
    const inspector = new Inspector();
    inspector.configure('e', { ringSize: 3 });
    const changes: CaptureChange[] = [];
    inspector.onDidChange((change) => changes.push(change));
    const { visitor, service } = connection();
    inspector.observerFor('e')(1, visitor, service);
    for (let index = 1; index <= 5; index += 1) {
      await send(visitor, `GET /${index} HTTP/1.1\r\n\r\n`);
      await send(service, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    }
    expect(inspector.list('e').map((entry) => entry.request?.target)).toEqual(['/3', '/4', '/5']);
    const ids = inspector.list('e').map((entry) => entry.id);
    expect(changes.filter((change) => change.kind === 'removed').flatMap((change) => change.ids)).toEqual([(ids[0] ?? 0) - 2, (ids[0] ?? 0) - 1]);
    expect(changes.filter((change) => change.kind === 'added')).toHaveLength(5);
    inspector.configure('e', { ringSize: 1 });
    expect(inspector.list('e').map((entry) => entry.request?.target)).toEqual(['/5']);
    inspector.clear('e');
    expect([inspector.list('e'), changes.at(-1)]).toEqual([[], { exposureId: 'e', kind: 'cleared', ids: [] }]);
  });

  it.each([
    [{ ringSize: 0 }, 'inspector: ringSize must be a whole number from 1 to 100000 (got 0)'],
    [{ ringSize: 1.5 }, 'inspector: ringSize must be a whole number from 1 to 100000 (got 1.5)'],
    [{ bodyCapBytes: -1 }, 'inspector: bodyCapBytes must be a whole number from 0 to 67108864 (got -1)'],
  ])('refuses the setting %j in one line', (changes, message) => {
    expect(() => new Inspector().configure('e', changes)).toThrow(expect.objectContaining({ code: 'PH_INSPECTOR', message }));
  });

  it('an exposure that is gone stops capturing and loses its list', async () => {
    const inspector = new Inspector();
    inspector.setExposures([{ id: 'e', localHost: '127.0.0.1', localPort: 1 }]);
    const { visitor, service, listeners } = connection();
    const before = listeners();
    inspector.observerFor('e')(1, visitor, service);
    await send(visitor, 'GET / HTTP/1.1\r\n\r\n');
    inspector.setExposures([]);
    expect([inspector.list('e'), listeners()]).toEqual([[], before]);
  });

  it('says in one line what it cannot replay or export', async () => {
    const inspector = new Inspector();
    inspector.setExposures([{ id: 'e', localHost: '127.0.0.1', localPort: 1 }]);
    inspector.configure('e', { bodyCapBytes: 2 });
    const { visitor, service } = connection();
    inspector.observerFor('e')(1, visitor, service);
    await send(visitor, 'POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello');
    const other = connection();
    inspector.observerFor('e')(2, other.visitor, other.service);
    await send(other.visitor, '\x16\x03\x01');
    const [post, raw] = inspector.list('e');
    await expect(inspector.replay(post?.id ?? 0)).rejects.toMatchObject({ code: 'PH_INSPECTOR', message: `inspector: entry ${post?.id}'s body was cut at 2 of 5 bytes; replay it with an edited body, or raise the body cap` });
    await expect(inspector.replay(raw?.id ?? 0)).rejects.toMatchObject({ code: 'PH_INSPECTOR', message: `inspector: entry ${raw?.id} has no request to replay (the connection was not HTTP)` });
    await expect(inspector.replay(999)).rejects.toMatchObject({ code: 'PH_INSPECTOR', message: 'inspector: no captured request 999 (it may have left the list)' });
    expect(() => inspector.exportCurl(raw?.id ?? 0)).toThrow(expect.objectContaining({ code: 'PH_INSPECTOR' }));
  });
});
