import { describe, expect, it } from 'vitest';
import { LOG_BATCH_MAX, LOG_HISTORY, LogFeed } from './log-feed.js';

describe('LogFeed', () => {
  it('hands lines over in batches, never one event per line', () => {
    const feed = new LogFeed(60_000);
    const batches: number[] = [];
    feed.onDidLog((lines) => batches.push(lines.length));
    for (let index = 0; index < 50; index += 1) feed.add({ kind: 'error', time: index, level: 'info', component: 'test', message: `line ${index}` });
    expect(batches).toEqual([]);
    feed.flush();
    expect(batches).toEqual([50]);
  });

  it('keeps a flood bounded: a batch holds the newest lines only, the history keeps more', () => {
    const feed = new LogFeed(60_000);
    let batch: number[] = [];
    feed.onDidLog((lines) => { batch = lines.map((line) => line.seq); });
    for (let index = 0; index < LOG_BATCH_MAX + 100; index += 1) feed.note('debug', `line ${index}`);
    feed.flush();
    expect({ size: batch.length, first: batch[0], history: feed.recent(undefined, 10_000).length }).toEqual({ size: LOG_BATCH_MAX, first: 101, history: LOG_BATCH_MAX + 100 });
  });

  it('filters by level and formats access lines', () => {
    const feed = new LogFeed();
    feed.add({ kind: 'access', time: 1, from: '1.2.3.4:5', status: 'accepted', to: 'tcp:example.com:80', route: 'in -> out', connectionId: 7 });
    feed.add({ kind: 'error', time: 2, level: 'warning', component: 'app/reverse/bridge', message: 'link lost' });
    feed.add({ kind: 'error', time: 3, level: 'debug', component: 'x', message: 'noise' });
    expect({
      warnings: feed.recent('warning').map((line) => line.message),
      info: feed.recent('info').map((line) => [line.kind, line.level, line.message, line.connectionId]),
      limited: feed.recent(undefined, 1).map((line) => line.message),
    }).toEqual({
      warnings: ['link lost'],
      info: [['access', 'info', 'from 1.2.3.4:5 accepted tcp:example.com:80 [in -> out]', 7], ['error', 'warning', 'link lost', null]],
      limited: ['noise'],
    });
  });

  it('keeps the newest LOG_HISTORY lines, each one whole however long', () => {
    const feed = new LogFeed(60_000);
    const long = `${'a'.repeat(8000)} the end`;
    for (let index = 0; index < LOG_HISTORY + 10; index += 1) feed.note('info', index === LOG_HISTORY ? long : `line ${index}`);
    const kept = feed.recent(undefined, 10_000);
    expect({ size: kept.length, first: kept[0]?.message, long: kept.find((line) => line.message.endsWith('the end'))?.message.length })
      .toEqual({ size: LOG_HISTORY, first: 'line 10', long: long.length });
  });
});
