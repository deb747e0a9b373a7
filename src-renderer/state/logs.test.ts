import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../src-core/host/api/index.js';
import {
  countLogAlerts, formatLogFileLine, logAlertAnnouncement, logAnnouncementDelay, logFileText, logMatchIndexes, stepLogMatch, visibleLogLines,
} from './logs.js';
import { resetAppStore, useAppStore } from './store.js';

function line(seq: number, fields: Partial<LogLine> = {}): LogLine {
  return { seq, time: Date.UTC(2024, 4, 1, 12, 0, seq), kind: 'error', level: 'info', component: 'app/reverse/bridge', message: `line ${seq}`, connectionId: null, ...fields };
}

function access(seq: number, message = `from 127.0.0.1:${5000 + seq} accepted tcp:127.0.0.1:80 [bridge -> out]`): LogLine {
  return line(seq, { kind: 'access', component: 'access', message, connectionId: seq });
}

afterEach(() => resetAppStore());

describe('find over every held line', () => {
  const lines = [line(1), access(2), line(3, { message: 'dial tcp:db.internal:5432 failed', level: 'warning' }), line(4), line(5, { component: 'proxy/vmess/inbound', message: 'DIAL again' })];

  it('finds matches in component, connection id and message (case-insensitive), whatever is drawn', () => {
    expect({
      dial: logMatchIndexes(lines, '  Dial '),
      component: logMatchIndexes(lines, 'vmess'),
      connection: logMatchIndexes(lines, '[2]'),
      empty: logMatchIndexes(lines, '   '),
      // An access line's component is not drawn, so it is not found either.
      accessWord: logMatchIndexes(lines, 'access'),
    }).toEqual({ dial: [2, 4], component: [4], connection: [1], empty: [], accessWord: [] });
  });

  it('steps next and previous with wrap-around, starting at the newest match', () => {
    const matches = [0, 2, 4];
    expect({
      start: stepLogMatch(lines, matches, null, 0),
      nextFromNewest: stepLogMatch(lines, matches, 5, 1),
      previousFromOldest: stepLogMatch(lines, matches, 1, -1),
      next: stepLogMatch(lines, matches, 1, 1),
      previous: stepLogMatch(lines, matches, 5, -1),
      // The current line left the view (a filter): the nearest match after it.
      fromGoneLine: stepLogMatch(lines, matches, 2, 0),
      nextFromGoneLine: stepLogMatch(lines, matches, 2, 1),
      previousFromGoneLine: stepLogMatch(lines, matches, 2, -1),
      none: stepLogMatch(lines, [], 3, 1),
    }).toEqual({ start: 2, nextFromNewest: 0, previousFromOldest: 2, next: 1, previous: 1, fromGoneLine: 1, nextFromGoneLine: 1, previousFromGoneLine: 0, none: -1 });
  });

  it('keeps every line in find mode and only the matches in "matches only" mode', () => {
    expect([visibleLogLines(lines, 'debug', 'dial', false).length, visibleLogLines(lines, 'debug', 'dial', true).map((item) => item.seq), visibleLogLines(lines, 'warning', '', false).map((item) => item.seq)])
      .toEqual([5, [3, 5], [3]]);
  });
});

describe('the .log download', () => {
  it('writes whole lines, as the engine log files do', () => {
    const long = `${'x'.repeat(3000)} end`;
    const text = logFileText([line(1, { level: 'warning', message: long, connectionId: 9 }), access(2)]);
    expect(text.split('\n')).toEqual([
      `2024-05-01T12:00:01.000Z [warning] app/reverse/bridge: [9] ${long}`,
      '2024-05-01T12:00:02.000Z [access] [2] from 127.0.0.1:5002 accepted tcp:127.0.0.1:80 [bridge -> out]',
      '',
    ]);
    expect(formatLogFileLine(line(3))).toBe('2024-05-01T12:00:03.000Z [info] app/reverse/bridge: line 3');
  });
});

describe('what screen readers hear', () => {
  it('counts warnings and errors, never access lines, and says so in one sentence', () => {
    const counts = countLogAlerts([access(1), access(2), line(3, { level: 'warning' }), line(4, { level: 'error' }), line(5, { level: 'error' }), line(6, { level: 'debug' })]);
    expect({
      counts,
      said: logAlertAnnouncement(counts),
      one: logAlertAnnouncement({ warnings: 1, errors: 0 }),
      accessOnly: logAlertAnnouncement(countLogAlerts([access(1), access(2)])),
    }).toEqual({ counts: { warnings: 1, errors: 2 }, said: '2 new errors and 1 new warning in the log', one: '1 new warning in the log', accessOnly: null });
  });

  it('waits out the gap after an announcement', () => {
    expect([logAnnouncementDelay(Number.NEGATIVE_INFINITY, 1000, 5000), logAnnouncementDelay(1000, 2000, 5000), logAnnouncementDelay(1000, 7000, 5000)]).toEqual([0, 4000, 0]);
  });

  it('the slice counts live warnings (not history, not access lines) until they are taken', () => {
    const state = useAppStore.getState();
    state.appendLogLines([access(1), access(2), access(3)]);
    const afterAccess = useAppStore.getState().logAlerts;
    state.appendLogLines([line(4, { level: 'warning' }), line(5, { level: 'error' })]);
    // A line delivered again (after a reconnect) is not news twice.
    state.appendLogLines([line(5, { level: 'error' })]);
    const afterProblems = useAppStore.getState().logAlerts;
    const taken = useAppStore.getState().takeLogAlerts();
    expect({ afterAccess, afterProblems, taken, after: useAppStore.getState().logAlerts })
      .toEqual({ afterAccess: { warnings: 0, errors: 0 }, afterProblems: { warnings: 1, errors: 1 }, taken: { warnings: 1, errors: 1 }, after: { warnings: 0, errors: 0 } });
  });
});

describe('wrap preference', () => {
  it('toggles even where the browser keeps no storage', () => {
    useAppStore.getState().setLogWrap(true);
    expect(useAppStore.getState().logWrap).toBe(true);
  });
});
