import { describe, expect, it } from 'vitest';
import { ServiceError, toErrorEnvelope } from './errors.js';
import { checkArguments, ENGINE_METHODS, isEngineMethodName } from './methods.js';

describe('method table', () => {
  it('knows the contract\'s methods and nothing else (not even Object.prototype names)', () => {
    expect([isEngineMethodName('listProfiles'), isEngineMethodName('toString'), isEngineMethodName('__proto__'), isEngineMethodName('onDidLog'), isEngineMethodName(3)])
      .toEqual([true, false, false, false, false]);
    expect(Object.keys(ENGINE_METHODS)).toHaveLength(25);
  });

  it.each([
    ['getProfile', ['home bridge'], true],
    ['getProfile', ['../etc/passwd'], false],
    ['getProfile', [''], false],
    ['getProfile', [], false],
    ['getProfile', ['a', 'b'], false],
    ['saveProfile', ['a', '{}'], true],
    ['saveProfile', ['a', 42], false],
    ['closeConnection', [7], true],
    ['closeConnection', ['7'], false],
    ['closeConnection', [-1], false],
    ['closeConnection', [1.5], false],
    ['getTrafficHistory', ['1h'], true],
    ['getTrafficHistory', ['2h'], false],
    ['checkServerSetup', ['home'], true],
    ['checkServerSetup', ['home', { transport: 'ws-tls', path: '/ph' }], true],
    ['checkServerSetup', ['home', { transport: 'quic' }], false],
    ['checkServerSetup', ['home', { port: 0 }], false],
    ['checkServerSetup', ['../x'], false],
    ['recentLogs', [], true],
    ['recentLogs', [{ level: 'warning', limit: 10 }], true],
    ['recentLogs', [{ level: 'loud' }], false],
    ['recentLogs', [{ extra: true }], false],
    ['setSettings', [{ theme: 'dark' }], true],
    ['setSettings', [{ theme: 'blue' }], false],
    ['listProfiles', [], true],
    ['listProfiles', [1], false],
    ['listProfiles', 'not an array', false],
  ] as const)('%s(%j) is accepted: %s', (method, args, ok) => {
    expect(checkArguments(method, args).ok).toBe(ok);
  });

  it('names the offending argument', () => {
    expect(checkArguments('closeConnection', ['7'])).toEqual({ ok: false, message: expect.stringMatching(/^closeConnection: argument 0: /) as unknown as string });
  });
});

describe('toErrorEnvelope', () => {
  it('keeps code, message and place of engine and service errors', () => {
    const configError = Object.assign(new Error('expected a port'), { code: 'PH_CONFIG_VALUE', place: { file: 'a.json', line: 3, column: 9, path: 'inbounds[0].port', connectionId: 4 } });
    expect(toErrorEnvelope(configError)).toEqual({ code: 'PH_CONFIG_VALUE', message: 'expected a port', where: { file: 'a.json', line: 3, column: 9, path: 'inbounds[0].port' } });
    expect(toErrorEnvelope(new ServiceError('PH_PROFILE_NOT_FOUND', 'no such profile'))).toEqual({ code: 'PH_PROFILE_NOT_FOUND', message: 'no such profile' });
  });

  it('turns anything else into PH_INTERNAL without details', () => {
    expect([toErrorEnvelope(new TypeError('x is undefined at secret.ts:3')), toErrorEnvelope('boom'), toErrorEnvelope(Object.assign(new Error('e'), { code: 'ECONNRESET' }))])
      .toEqual([{ code: 'PH_INTERNAL', message: 'internal error' }, { code: 'PH_INTERNAL', message: 'internal error' }, { code: 'PH_INTERNAL', message: 'internal error' }]);
  });
});
