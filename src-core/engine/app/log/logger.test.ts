import { describe, expect, it } from 'vitest';
import { DefaultLogger, formatLogEntry } from './logger.js';

describe('DefaultLogger', () => {
  it('writes and offers the entries at or above its level, in order', () => {
    const lines: string[] = [];
    const heard: string[] = [];
    const logger = new DefaultLogger({ level: 'info', errorSink: { write: (line) => lines.push(line) } });
    logger.onDidLog((entry) => heard.push(entry.kind === 'error' ? entry.message : ''));
    for (let i = 0; i < 5; i += 1) logger.log('info', 'test', `message ${i}`);
    logger.log('debug', 'test', 'not kept');
    expect(heard).toEqual(['message 0', 'message 1', 'message 2', 'message 3', 'message 4']);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[Info\] test: message 0$/);
  });

  it('builds access entries only for an access log or a subscriber', () => {
    const fields = { from: '127.0.0.1:5000', status: 'accepted', to: 'tcp:127.0.0.1:80', route: 'external -> portal' } as const;
    const lines: string[] = [];
    const heard: unknown[] = [];
    new DefaultLogger({ level: 'warning' }).access(fields);
    const withSink = new DefaultLogger({ level: 'warning', accessSink: { write: (line) => lines.push(line) } });
    withSink.access(fields);
    const withListener = new DefaultLogger({ level: 'warning' });
    withListener.onDidLog((entry) => heard.push(entry));
    withListener.access(fields);
    expect(lines).toHaveLength(1);
    expect(heard).toEqual([expect.objectContaining({ kind: 'access', ...fields })]);
  });

  it('writes access lines as V2Ray users know them', () => {
    const line = formatLogEntry({ kind: 'access', time: Date.now(), from: '127.0.0.1:5000', status: 'accepted', to: 'tcp:127.0.0.1:80', route: 'external -> portal' });
    expect(line).toMatch(/ from 127\.0\.0\.1:5000 accepted tcp:127\.0\.0\.1:80 \[external -> portal\]$/);
  });
});
