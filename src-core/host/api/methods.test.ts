import { describe, expect, it } from 'vitest';
import { ServiceError, toErrorEnvelope } from './errors.js';
import { checkArguments, ENGINE_METHODS, isEngineMethodName } from './methods.js';

describe('method table', () => {
  it('knows the contract\'s methods and nothing else (not even Object.prototype names)', () => {
    expect([isEngineMethodName('listProfiles'), isEngineMethodName('toString'), isEngineMethodName('__proto__'), isEngineMethodName('onDidLog'), isEngineMethodName(3)])
      .toEqual([true, false, false, false, false]);
    expect(Object.keys(ENGINE_METHODS)).toHaveLength(43);
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
    ['listInspectorEntries', ['e-0123abcd'], true],
    ['listInspectorEntries', ['web'], false],
    ['getInspectorEntry', [3], true],
    ['getInspectorEntry', [3, { reveal: true }], true],
    ['getInspectorEntry', [0], false],
    ['getInspectorEntry', [3, { reveal: 'yes' }], false],
    ['getInspectorEntry', [3, { secret: true }], false],
    ['setInspectorPaused', ['e-0123abcd', true], true],
    ['setInspectorPaused', ['e-0123abcd'], false],
    ['setInspectorSettings', ['e-0123abcd', { enabled: false, ringSize: 100_000, bodyCapBytes: 0 }], true],
    ['setInspectorSettings', ['e-0123abcd', { ringSize: 0 }], false],
    ['setInspectorSettings', ['e-0123abcd', { ringSize: 100_001 }], false],
    ['setInspectorSettings', ['e-0123abcd', { bodyCapBytes: 64 * 1024 * 1024 + 1 }], false],
    ['setInspectorSettings', ['e-0123abcd', { ringSize: 2.5 }], false],
    ['replayInspectorEntry', [3], true],
    ['replayInspectorEntry', [3, { method: 'PUT', target: '/a?b=1', headers: [['X-A', 'b']], body: '{}' }], true],
    ['replayInspectorEntry', [3, { method: 'GET /x' }], false],
    ['replayInspectorEntry', [3, { target: '/a b' }], false],
    ['replayInspectorEntry', [3, { headers: [['X-A', 'b\r\nX-Injected: 1']] }], false],
    ['replayInspectorEntry', [3, { headers: [['Bad Name', 'b']] }], false],
    ['replayInspectorEntry', [3, { body: 'x'.repeat((1 << 20) + 1) }], false],
    ['exportInspectorHar', ['e-0123abcd', { reveal: false, entryIds: [1, 2] }], true],
    ['exportInspectorHar', ['e-0123abcd', { entryIds: ['1'] }], false],
    ['exportInspectorCurl', [1, { reveal: true }], true],
    ['clearInspector', [], false],
    ['listProfiles', [], true],
    ['listProfiles', [1], false],
    ['listProfiles', 'not an array', false],
  ] as const)('%s(%j) is accepted: %s', (method, args, ok) => {
    expect(checkArguments(method, args).ok).toBe(ok);
  });

  it('says what is wrong with an inspector setting in one line', () => {
    expect(checkArguments('setInspectorSettings', ['e-0123abcd', { ringSize: 0 }])).toEqual({ ok: false, message: 'setInspectorSettings: argument 1.ringSize: the list keeps 1–100000 requests' });
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
