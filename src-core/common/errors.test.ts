import { describe, expect, it } from 'vitest';
import { BugError, ERROR_CODES, PortholeError, formatErrorLine, hasErrorCode } from './errors.js';

describe('PortholeError', () => {
  it.each(ERROR_CODES)('carries %s through a structured clone', (code) => {
    const error = new PortholeError(code, 'what failed', { file: 'c.json', line: 3, column: 7, path: 'inbounds[0].port' });
    const clone = structuredClone({ code: error.code, message: error.message });
    expect(hasErrorCode(error, code)).toBe(true);
    expect(hasErrorCode(clone, code)).toBe(true);
    expect(formatErrorLine(error)).toBe('c.json:3:7: inbounds[0].port: what failed');
  });

  it('chains the cause into the message', () => {
    const error = new PortholeError('PH_DIAL_REFUSED', 'freedom: dial 127.0.0.1:80', { cause: new Error('ECONNREFUSED') });
    expect(error.message).toBe('freedom: dial 127.0.0.1:80 > ECONNREFUSED');
    expect(error.severity).toBe('error');
  });

  it('formats without a place', () => {
    expect(formatErrorLine(new PortholeError('PH_TIMEOUT', 'idle'))).toBe('idle');
    expect(formatErrorLine(new BugError('x'))).toBe('bug: x');
  });
});
