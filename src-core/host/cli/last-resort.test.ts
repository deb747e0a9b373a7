import assert from 'node:assert';
import { describe, expect, it, vi } from 'vitest';
import { BugError, PortholeError } from '../../engine/common/errors.js';
import { REPEAT_QUIET_MS, componentOf, createLastResortHandler, isProgrammingError } from './last-resort.js';

function systemError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${code}: too many open files, ${syscall}`), { code, syscall, errno: -24 });
}

function assertionError(): unknown {
  try {
    assert.equal(1, 2);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('isProgrammingError', () => {
  it('tells the code\'s errors from the world\'s', () => {
    const cases: Array<[string, unknown, boolean]> = [
      ['TypeError', new TypeError('x is not a function'), true],
      ['RangeError', new RangeError('offset out of range'), true],
      ['ReferenceError', new ReferenceError('x is not defined'), true],
      ['BugError', new BugError('an invariant broke'), true],
      ['a failed assertion', assertionError(), true],
      ['EMFILE from a system call', systemError('EMFILE', 'uv_resident_set_memory'), false],
      ['ENFILE on accept', systemError('ENFILE', 'accept'), false],
      ['a PortholeError', new PortholeError('PH_DIAL_FAILED', 'dial 127.0.0.1:80'), false],
      ['memory that could not be allocated', new RangeError('Array buffer allocation failed'), false],
      ['a thrown string', 'oops', false],
    ];
    expect(cases.map(([name, error]) => [name, isProgrammingError(error)])).toEqual(cases.map(([name, , expected]) => [name, expected]));
  });
});

describe('componentOf', () => {
  it('names the first engine frame, else the system call', () => {
    function sampleSomething(): never {
      throw Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE', syscall: 'uv_resident_set_memory' });
    }
    let thrown: unknown;
    try {
      sampleSomething();
    } catch (error) {
      thrown = error;
    }
    expect(componentOf(thrown)).toBe('host/cli/last-resort.test (sampleSomething)');
    const outside = systemError('EMFILE', 'accept');
    outside.stack = 'Error: EMFILE\n    at onconnection (node:net:2100:10)';
    expect(componentOf(outside)).toBe('system call accept');
    expect(componentOf('oops')).toBe('an unknown place');
  });
});

describe('the last-resort handler', () => {
  it('logs an operational error on one line and keeps running, summarising repeats', () => {
    const lines: string[] = [];
    const onBug = vi.fn();
    let now = 0;
    const handle = createLastResortHandler({ report: (line) => lines.push(line), onBug, now: () => now });
    const error = systemError('EMFILE', 'uv_resident_set_memory');
    error.stack = 'Error: EMFILE\n    at sampleMemory (file:///work/main/dist/src-core/host/process/memory-tuning.js:244:134)';
    handle('uncaught error', error);
    now += 1000;
    handle('uncaught error', error);
    handle('uncaught error', error);
    now += REPEAT_QUIET_MS;
    handle('uncaught error', error);
    expect(lines).toEqual([
      'porthole: uncaught error in host/process/memory-tuning (sampleMemory): EMFILE: too many open files, uv_resident_set_memory; still running',
      'porthole: uncaught error in host/process/memory-tuning (sampleMemory): EMFILE: too many open files, uv_resident_set_memory; still running (2 more like it in the 11 s before)',
    ]);
    expect(onBug).not.toHaveBeenCalled();
  });

  it('reports the count at the end of the interval, also when the error does not come again', () => {
    vi.useFakeTimers();
    try {
      const lines: string[] = [];
      const handle = createLastResortHandler({ report: (line) => lines.push(line), onBug: vi.fn(), now: () => Date.now() });
      const error = systemError('ECONNRESET', 'read');
      error.stack = 'Error: ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:216:20)';
      for (let i = 0; i < 4; i += 1) handle('unhandled rejection', error);
      vi.advanceTimersByTime(REPEAT_QUIET_MS);
      expect(lines).toEqual([
        'porthole: unhandled rejection in system call read: ECONNRESET: too many open files, read; still running',
        'porthole: unhandled rejection in system call read: ECONNRESET: too many open files, read; still running (3 more like it in the 10 s before)',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks to stop once for a programming error, with its stack', () => {
    const lines: string[] = [];
    const onBug = vi.fn();
    const handle = createLastResortHandler({ report: (line) => lines.push(line), onBug });
    handle('unhandled rejection', new TypeError('Cannot read properties of undefined'));
    handle('uncaught error', new BugError('again'));
    expect(onBug).toHaveBeenCalledTimes(1);
    expect(lines[0]?.split('\n')[0]).toMatch(/^porthole: unhandled rejection in host\/cli\/last-resort\.test.*: Cannot read properties of undefined; a bug, stopping$/);
    expect(lines[0]?.split('\n').length).toBeGreaterThan(1);
  });
});
