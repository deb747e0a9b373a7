import { describe, expect, it } from 'vitest';
import { cidrProblem, defaultExposureLabel, exposureLabelProblem, slugLabel, sslipDomain } from './exposure-names.js';
import { checkArguments } from './methods.js';

describe('exposure names', () => {
  it('labels: a slug of the name, app-<port> for a default name, unique with -2…', () => {
    expect([slugLabel('My Web App!'), slugLabel('--Ünïcode--'), slugLabel('***'), slugLabel('x'.repeat(80)).length]).toEqual(['my-web-app', 'unicode', '', 63]);
    expect([defaultExposureLabel('web', 3000), defaultExposureLabel('localhost:3000', 3000), defaultExposureLabel('***', 22), defaultExposureLabel('web', 1, new Set(['web', 'web-2']))])
      .toEqual(['web', 'app-3000', 'app-22', 'web-3']);
    expect([exposureLabelProblem('app-3000'), exposureLabelProblem(''), exposureLabelProblem('-a'), exposureLabelProblem('A'), exposureLabelProblem('a'.repeat(64))])
      .toEqual([null, 'a name is 1–63 characters', expect.stringContaining('only a-z'), expect.stringContaining('only a-z'), expect.stringContaining('at most 63')]);
  });

  it.each([
    ['10.0.0.0/8', true], ['203.0.113.5', true], ['0.0.0.0/0', true], ['2001:db8::/32', true], ['::1', true], ['::', true],
    ['::ffff:192.0.2.1/128', true], ['1:2:3:4:5:6:7:8', true], ['fe80::1%eth0', false], ['10.0.0.0/33', false], ['256.1.1.1', false],
    ['10.0.0/8', false], ['1:::2', false], ['1:2:3:4:5:6:7:8:9', false], ['10.0.0.0/8/1', false], ['example.com', false], ['', false], ['10.0.0.0/', false],
  ])('%s is an address or range: %s', (cidr, ok) => {
    expect(cidrProblem(cidr) === null).toBe(ok);
  });

  it('sslip.io names an IPv4 address only', () => {
    expect([sslipDomain('203.0.113.5'), sslipDomain('vps.example.com'), sslipDomain('::1')]).toEqual(['203-0-113-5.sslip.io', null, null]);
  });

  it('the method table takes a label in lower case and checks access', () => {
    expect(checkArguments('addExposure', [{ localPort: 3000, label: ' My-App ' }])).toEqual({ ok: true, args: [{ localPort: 3000, label: 'my-app' }] });
    expect(checkArguments('updateExposure', ['e-0123abcd', { label: 'no_underscore' }])).toMatchObject({ ok: false, message: expect.stringContaining('only a-z') });
    expect(checkArguments('updateExposure', ['e-0123abcd', { access: { basicAuth: { user: 'a:b', password: 'x' } } }])).toMatchObject({ ok: false, message: expect.stringContaining('no ":"') });
    expect(checkArguments('updateExposure', ['e-0123abcd', { access: { allow: ['10.0.0.0/8', 'nope'] } }])).toMatchObject({ ok: false, message: 'updateExposure: argument 1.access.allow.1: "nope" is not an IP address or range such as 203.0.113.0/24 or 2001:db8::/32' });
    expect(checkArguments('updateExposure', ['e-0123abcd', { access: { proxyProtocol: 3 } }])).toMatchObject({ ok: false });
    expect(checkArguments('updateExposure', ['e-0123abcd', { access: { basicAuth: null, allow: [], proxyProtocol: 2 } }])).toMatchObject({ ok: true });
  });
});
