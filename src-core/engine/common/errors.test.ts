import { describe, expect, it } from 'vitest';
import { BugError, ERROR_CODES, PortholeError, formatErrorLine, hasErrorCode, peerEventError } from './errors.js';

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

  it('makes peer-event errors without a stack trace, and leaves the limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const error = peerEventError('PH_CONNECTION_RESET', 'mux: session 7 closed by the peer with an error', { severity: 'info' });
    expect(error).toBeInstanceOf(PortholeError);
    expect(hasErrorCode(error, 'PH_CONNECTION_RESET')).toBe(true);
    expect(error.severity).toBe('info');
    expect(error.stack).toBe('PortholeError: mux: session 7 closed by the peer with an error');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new PortholeError('PH_TIMEOUT', 'idle').stack).toContain('\n    at ');
  });
});
