import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { listenForReload } from './reload-signal.js';

describe('listenForReload', () => {
  it('holds a SIGHUP sent while starting and answers it once, when the engine runs', () => {
    const process = new EventEmitter();
    const signal = listenForReload(process);
    process.emit('SIGHUP');
    process.emit('SIGHUP');
    const answered: string[] = [];
    signal.answerWith(() => answered.push('reload'));
    expect(answered).toEqual(['reload']);
    process.emit('SIGHUP');
    expect(answered).toEqual(['reload', 'reload']);
  });

  it('ignores SIGHUP while stopping, and stops listening when released', () => {
    const process = new EventEmitter();
    const signal = listenForReload(process);
    const answered: string[] = [];
    signal.answerWith(() => answered.push('reload'));
    signal.ignore();
    process.emit('SIGHUP');
    expect(answered).toEqual([]);
    expect(process.listenerCount('SIGHUP')).toBe(1);
    signal.release();
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });
});
