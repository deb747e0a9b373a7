import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../features/log.js';
import { forComponent } from '../../features/log.js';
import { LogFeed } from '../../../host/service/log-feed.js';
import { DefaultLogger } from './logger.js';
import { RepeatSummariser, formatRepeatSummary, type RepeatClock, type RepeatSummary } from './repeats.js';

/** A clock that moves only when the test says so, running the timers that fall due on the way. */
function manualClock(): RepeatClock & { advance(ms: number): void; readonly timers: number } {
  let now = 1_000_000;
  const timers = new Set<{ at: number; callback: () => void }>();
  return {
    now: () => now,
    schedule(callback, ms) {
      const timer = { at: now + ms, callback };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.delete(due);
        now = due.at;
        due.callback();
      }
      now = end;
    },
    get timers() {
      return timers.size;
    },
  };
}

function summariser(options: { burst?: number; maxKeys?: number } = {}) {
  const clock = manualClock();
  const summaries: RepeatSummary<string>[] = [];
  const repeats = new RepeatSummariser<string>({ clock, intervalMs: 10_000, burst: options.burst ?? 1, ...(options.maxKeys ? { maxKeys: options.maxKeys } : {}), onSummary: (summary) => summaries.push(summary) });
  return { clock, summaries, repeats };
}

describe('RepeatSummariser', () => {
  it('lets the first line through, counts the rest, and sums them up once at the end of the interval', () => {
    const { clock, summaries, repeats } = summariser();
    const admitted = Array.from({ length: 313 }, (_, i) => {
      clock.advance(10);
      return repeats.admit('rejected 10.0.0.1', `line ${i}`);
    });
    expect(admitted.filter(Boolean)).toHaveLength(1);
    expect(admitted[0]).toBe(true);
    expect(summaries).toEqual([]);
    clock.advance(10_000);
    expect(summaries).toEqual([{ key: 'rejected 10.0.0.1', count: 312, elapsedMs: 10_000, latest: 'line 312', overflow: false }]);
  });

  it('writes `burst` lines in full before counting', () => {
    const { clock, summaries, repeats } = summariser({ burst: 3 });
    const admitted = Array.from({ length: 10 }, (_, i) => repeats.admit('k', `line ${i}`));
    expect(admitted).toEqual([true, true, true, false, false, false, false, false, false, false]);
    clock.advance(10_000);
    expect(summaries.map((summary) => [summary.count, summary.latest])).toEqual([[7, 'line 9']]);
  });

  it('keeps summarising once per interval while the lines go on, and writes in full again after a quiet interval', () => {
    const { clock, summaries, repeats } = summariser({ burst: 3 });
    const written: string[] = [];
    // 2 lines a second for 35 s, then silence, then one more.
    for (let i = 0; i < 70; i += 1) {
      if (repeats.admit('bridge open', `attempt ${i + 1}`)) written.push(`attempt ${i + 1}`);
      clock.advance(500);
    }
    clock.advance(30_000);
    if (repeats.admit('bridge open', 'attempt 71')) written.push('attempt 71');
    expect(written).toEqual(['attempt 1', 'attempt 2', 'attempt 3', 'attempt 71']);
    expect(summaries.map((summary) => summary.count)).toEqual([17, 20, 20, 10]);
    expect(summaries.reduce((sum, summary) => sum + summary.count, 0)).toBe(67);
    expect(summaries.every((summary) => summary.elapsedMs === 10_000)).toBe(true);
    // The last summary was followed by a quiet interval: the key is gone, and so is the timer.
    clock.advance(10_000);
    expect(repeats.size).toBe(0);
    expect(clock.timers).toBe(0);
  });

  it('keeps distinct keys apart: each problem is seen and counted on its own', () => {
    const { clock, summaries, repeats } = summariser();
    const written: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      for (const key of ['rejected PH_VMESS_AUTH_FAILED 10.0.0.1', 'rejected PH_VMESS_REPLAY 10.0.0.1', 'rejected PH_VMESS_AUTH_FAILED 10.0.0.2']) {
        if (repeats.admit(key, `${key} #${i}`)) written.push(`${key} #${i}`);
      }
    }
    expect(written).toEqual(['rejected PH_VMESS_AUTH_FAILED 10.0.0.1 #0', 'rejected PH_VMESS_REPLAY 10.0.0.1 #0', 'rejected PH_VMESS_AUTH_FAILED 10.0.0.2 #0']);
    clock.advance(10_000);
    expect(summaries.map((summary) => [summary.key, summary.count])).toEqual([
      ['rejected PH_VMESS_AUTH_FAILED 10.0.0.1', 4],
      ['rejected PH_VMESS_REPLAY 10.0.0.1', 4],
      ['rejected PH_VMESS_AUTH_FAILED 10.0.0.2', 4],
    ]);
  });

  it('holds at most maxKeys keys: lines of further keys share one overflow count', () => {
    const { clock, summaries, repeats } = summariser({ maxKeys: 4 });
    let written = 0;
    for (let source = 0; source < 1000; source += 1) if (repeats.admit(`rejected 10.0.${source >> 8}.${source & 255}`, `from ${source}`)) written += 1;
    // Four keys of their own, and the first line of the overflow.
    expect(written).toBe(5);
    expect(repeats.size).toBe(5);
    clock.advance(10_000);
    expect(summaries).toEqual([{ key: expect.any(String), count: 995, elapsedMs: 10_000, latest: 'from 999', overflow: true }]);
  });

  it('ends an interval its timer has not ended yet when the next line comes, as the timer would have', () => {
    let now = 0;
    const summaries: RepeatSummary<string>[] = [];
    // A timer that never fires: the event loop was busy past the end of the interval.
    const repeats = new RepeatSummariser<string>({ clock: { now: () => now, schedule: () => () => {} }, intervalMs: 10_000, burst: 1, onSummary: (summary) => summaries.push(summary) });
    const admitted = [repeats.admit('k', 'a'), repeats.admit('k', 'b'), repeats.admit('k', 'c')];
    now = 11_000;
    admitted.push(repeats.admit('k', 'd'));
    now = 30_000;
    admitted.push(repeats.admit('k', 'e'));
    now = 45_000;
    admitted.push(repeats.admit('k', 'f'));
    // The timer would have summed up b and c at 10 s and d at 20 s, and forgotten the key at 30 s (a quiet interval).
    expect(admitted).toEqual([true, false, false, false, true, true]);
    expect(summaries).toEqual([
      { key: 'k', count: 2, elapsedMs: 11_000, latest: 'c', overflow: false },
      { key: 'k', count: 1, elapsedMs: 20_000, latest: 'd', overflow: false },
    ]);
  });

  it('hands out pending summaries on close, leaves no timer, and writes everything after', () => {
    const { clock, summaries, repeats } = summariser();
    for (let i = 0; i < 4; i += 1) repeats.admit('k', `line ${i}`);
    clock.advance(2_500);
    repeats.close();
    expect(summaries).toEqual([{ key: 'k', count: 3, elapsedMs: 2_500, latest: 'line 3', overflow: false }]);
    expect(clock.timers).toBe(0);
    expect([repeats.admit('k', 'a'), repeats.admit('k', 'b')]).toEqual([true, true]);
    expect(clock.timers).toBe(0);
  });
});

describe('formatRepeatSummary', () => {
  it('says how many, over how long, and what the latest said', () => {
    expect(formatRepeatSummary({ key: 'k', count: 312, elapsedMs: 9_700, latest: null, overflow: false }, 'rejected a connection from 10.0.0.1:4000: vmess: invalid user'))
      .toBe('… 312 more in the last 10 s, latest: rejected a connection from 10.0.0.1:4000: vmess: invalid user');
    expect(formatRepeatSummary({ key: 'k', count: 5, elapsedMs: 200, latest: null, overflow: true }, 'x'))
      .toBe('… 5 more lines of other kinds (too many kinds to count apart) in the last 1 s, latest: x');
  });
});

describe('DefaultLogger.logSummarised', () => {
  function logger(level: 'debug' | 'warning' = 'debug') {
    const clock = manualClock();
    const lines: string[] = [];
    const heard: LogEntry[] = [];
    const log = new DefaultLogger({ level, errorSink: { write: (line) => lines.push(line) }, repeats: { clock, intervalMs: 10_000, burst: 3 } });
    log.onDidLog((entry) => heard.push(entry));
    return { clock, lines, heard, log };
  }

  it('writes the summary to the sink and to subscribers, at the level and component of the lines it sums up', () => {
    const { clock, lines, heard, log } = logger();
    const vmess = forComponent(log, 'proxy/vmess/inbound');
    for (let i = 0; i < 2000; i += 1) vmess.summarised('warning', 'rejected PH_VMESS_AUTH_FAILED 127.0.0.1', `rejected a connection from 127.0.0.1:${40000 + i}: vmess: invalid user`);
    expect(lines).toHaveLength(3);
    clock.advance(10_000);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/ \[Warning\] proxy\/vmess\/inbound: … 1997 more in the last 10 s, latest: rejected a connection from 127\.0\.0\.1:41999: vmess: invalid user$/);
    expect(heard.map((entry) => entry.kind === 'error' && [entry.level, entry.component, entry.message.split(' from ')[0]!.split(' in ')[0]])).toEqual([
      ['warning', 'proxy/vmess/inbound', 'rejected a connection'],
      ['warning', 'proxy/vmess/inbound', 'rejected a connection'],
      ['warning', 'proxy/vmess/inbound', 'rejected a connection'],
      ['warning', 'proxy/vmess/inbound', '… 1997 more'],
    ]);
  });

  it('reaches the UI: the log feed hands the summary out as one more line', () => {
    const { clock, log } = logger();
    const feed = new LogFeed(0);
    log.onDidLog((entry) => feed.add(entry));
    const bridge = forComponent(log, 'app/reverse/bridge');
    for (let attempt = 1; attempt <= 20; attempt += 1) bridge.summarised('warning', 'bridge open 0 PH_DIAL_REFUSED', `could not open a link to the portal (attempt ${attempt}): refused`);
    clock.advance(10_000);
    expect(feed.recent().map((line) => line.message)).toEqual([
      'could not open a link to the portal (attempt 1): refused',
      'could not open a link to the portal (attempt 2): refused',
      'could not open a link to the portal (attempt 3): refused',
      '… 17 more in the last 10 s, latest: could not open a link to the portal (attempt 20): refused',
    ]);
    feed.close();
  });

  it('keeps the same key of different components apart, and counts nothing below the log level', () => {
    const { clock, lines, log } = logger('warning');
    for (let i = 0; i < 5; i += 1) {
      forComponent(log, 'proxy/freedom/outbound').summarised('warning', 'open tcp:127.0.0.1:80 ECONNREFUSED', `freedom ${i}`);
      forComponent(log, 'app/reverse/exposures').summarised('warning', 'open tcp:127.0.0.1:80 ECONNREFUSED', `exposure ${i}`);
      forComponent(log, 'proxy/vmess/inbound').summarised('info', 'ended ECONNRESET 127.0.0.1', `ended ${i}`);
    }
    clock.advance(10_000);
    expect(lines.map((line) => line.replace(/^.*?\] /, ''))).toEqual([
      'proxy/freedom/outbound: freedom 0',
      'app/reverse/exposures: exposure 0',
      'proxy/freedom/outbound: freedom 1',
      'app/reverse/exposures: exposure 1',
      'proxy/freedom/outbound: freedom 2',
      'app/reverse/exposures: exposure 2',
      'proxy/freedom/outbound: … 2 more in the last 10 s, latest: freedom 4',
      'app/reverse/exposures: … 2 more in the last 10 s, latest: exposure 4',
    ]);
  });

  it('writes what is pending when closed', () => {
    const { lines, log } = logger();
    for (let i = 0; i < 5; i += 1) log.logSummarised('warning', 'app/reverse/bridge', 'k', `line ${i}`);
    log.close();
    expect(lines.map((line) => line.replace(/^.*?: /, ''))).toEqual(['line 0', 'line 1', 'line 2', '… 2 more in the last 1 s, latest: line 4']);
  });
});
