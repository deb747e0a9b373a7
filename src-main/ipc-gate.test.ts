import { describe, expect, it } from 'vitest';
import { gateIpcCall, isOwnRendererUrl } from './ipc-gate.js';

const APP = 'app://porthole';
const FILE = 'file:///opt/Porthole/resources/app.asar/dist/renderer/index.html';

describe('gateIpcCall', () => {
  it('accepts a good call from our top frame, with the validated arguments', () => {
    expect(gateIpcCall('app://porthole/index.html#/connections', true, 'closeConnection', [7], APP)).toEqual({ ok: true, method: 'closeConnection', args: [7] });
    expect(gateIpcCall(`${FILE}?x=1#/overview`, true, 'listProfiles', [], FILE)).toEqual({ ok: true, method: 'listProfiles', args: [] });
    expect(gateIpcCall('app://porthole/', true, 'recentLogs', [{ level: 'warning' }], APP)).toEqual({ ok: true, method: 'recentLogs', args: [{ level: 'warning' }] });
  });

  it.each([
    ['toString', [], 'unknown method'],
    ['__proto__', [], 'inherited name'],
    ['onDidLog', [], 'an event, not a method'],
    ['shell.openExternal', ['https://evil.example'], 'not in the contract'],
    [42, [], 'not a string'],
    [undefined, [], 'missing'],
  ])('refuses method %j (%s)', (method, args, _why) => {
    const result = gateIpcCall('app://porthole/index.html', true, method, args, APP);
    expect(result).toMatchObject({ ok: false, error: { code: 'PH_API_UNKNOWN_METHOD' } });
  });

  it.each([
    ['getProfile', ['../etc/passwd']],
    ['getProfile', []],
    ['closeConnection', ['7']],
    ['listProfiles', [1]],
    ['listProfiles', 'not an array'],
    ['listProfiles', undefined],
    ['setSettings', [{ theme: 'dark', launchAtStartup: true }]],
  ])('refuses %s(%j) with PH_API_BAD_ARGUMENTS', (method, args) => {
    const result = gateIpcCall('app://porthole/index.html', true, method, args, APP);
    expect(result).toMatchObject({ ok: false, error: { code: 'PH_API_BAD_ARGUMENTS', message: expect.stringContaining(method) as unknown as string } });
  });

  it('refuses a call over the size cap with a clear message, before the schema looks at it', () => {
    const huge = '{}'.repeat(2 << 20);
    expect([
      gateIpcCall('app://porthole/', true, 'saveProfile', ['big', huge], APP),
      gateIpcCall('app://porthole/', true, 'listProfiles', [new Array(3 << 20).fill(0)], APP),
    ]).toEqual([
      { ok: false, error: { code: 'PH_API_BAD_REQUEST', message: 'saveProfile: the call is larger than 2 MiB' } },
      { ok: false, error: { code: 'PH_API_BAD_REQUEST', message: 'listProfiles: the call is larger than 2 MiB' } },
    ]);
  });

  it.each([
    ['a subframe of our own page', 'app://porthole/index.html', false, APP],
    ['another app:// host', 'app://evil/index.html', true, APP],
    ['an https page', 'https://porthole/index.html', true, APP],
    ['a lookalike host', 'app://porthole.evil.example/', true, APP],
    ['credentials in the URL', 'app://user:pw@porthole/', true, APP],
    ['another file', 'file:///tmp/evil.html', true, FILE],
    ['a file on a remote share', 'file://server/opt/Porthole/resources/app.asar/dist/renderer/index.html', true, FILE],
    ['an app:// page when we load from file', 'app://porthole/', true, FILE],
    ['no URL', '', true, APP],
    ['not a string', null, true, APP],
    ['a data: URL', 'data:text/html,<script>1</script>', true, APP],
  ])('refuses %s', (_name, url, top, allowed) => {
    expect(gateIpcCall(url, top, 'listProfiles', [], allowed)).toMatchObject({ ok: false, error: { code: 'PH_API_UNAUTHORIZED' } });
  });

  it('checks the sender before the method, so a foreign page learns nothing about the contract', () => {
    expect(gateIpcCall('https://evil.example/', true, 'noSuchMethod', [], APP)).toMatchObject({ ok: false, error: { code: 'PH_API_UNAUTHORIZED' } });
  });

  it('never trusts http(s) as our own origin, even when configured so by mistake', () => {
    expect(isOwnRendererUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(false);
  });
});
