import { describe, expect, it } from 'vitest';
import { DefaultLogger, formatLogEntry } from './logger.js';

describe('DefaultLogger', () => {
  it('keeps the last entries in order and filters by level', () => {
    const lines: string[] = [];
    const logger = new DefaultLogger({ level: 'info', historySize: 3, errorSink: { write: (line) => lines.push(line) } });
    for (let i = 0; i < 5; i += 1) logger.log('info', 'test', `message ${i}`);
    logger.log('debug', 'test', 'not kept');
    expect(logger.recent().map((entry) => (entry.kind === 'error' ? entry.message : ''))).toEqual(['message 2', 'message 3', 'message 4']);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[Info\] test: message 0$/);
  });

  it('writes access lines as V2Ray users know them', () => {
    const line = formatLogEntry({ kind: 'access', time: Date.now(), from: '127.0.0.1:5000', status: 'accepted', to: 'tcp:127.0.0.1:80', route: 'external -> portal' });
    expect(line).toMatch(/ from 127\.0\.0\.1:5000 accepted tcp:127\.0\.0\.1:80 \[external -> portal\]$/);
  });
});
