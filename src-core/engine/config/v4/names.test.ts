/** `reverse.portals[].exposures.names` (Porthole only): JSON in → typed config or one-line error out. */
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../../common/errors.js';
import { loadConfig, type PortalNamesConfig } from '../index.js';
import { DEFAULT_ACME_STORAGE, LETS_ENCRYPT_DIRECTORY } from '../runtime.js';

function portal(names: string): string {
  return `{"reverse": {"portals": [{"tag": "portal", "domain": "d", "exposures": {"ports": "20000-20099", "names": ${names}}}]}}`;
}

function namesOf(text: string): PortalNamesConfig | undefined {
  return loadConfig([{ name: 'c.json', text }], { env: {} }).reverse.portals[0]?.exposures?.names;
}

function errorOf(text: string): string {
  try {
    loadConfig([{ name: 'c.json', text }], { env: {} });
  } catch (error) {
    return formatErrorLine(error);
  }
  return 'accepted';
}

describe('reverse.portals[].exposures.names', () => {
  it.each<[string, string, PortalNamesConfig]>([
    ['a domain alone: HTTP on 80, no HTTPS', '{"domain": "Tunnel.Example.com"}',
      { domain: 'tunnel.example.com', httpPort: 80, certificates: [], customDomains: false }],
    ['ACME defaults to Let\'s Encrypt and HTTPS on 443', '{"domain": "t.example.com", "acme": {}}',
      { domain: 't.example.com', httpPort: 80, httpsPort: 443, acme: { directory: LETS_ENCRYPT_DIRECTORY, storage: DEFAULT_ACME_STORAGE }, certificates: [], customDomains: false }],
    ['every field', '{"domain": "t.example.com", "http": 8080, "https": 8443, "customDomains": true, "acme": {"directory": "https://127.0.0.1:14000/dir", "email": "ops@example.com", "caFile": "pebble.pem", "storage": "/var/lib/porthole"}, "certificates": [{"certificateFile": "w.pem", "keyFile": "w.key"}]}',
      { domain: 't.example.com', httpPort: 8080, httpsPort: 8443, customDomains: true,
        acme: { directory: 'https://127.0.0.1:14000/dir', email: 'ops@example.com', caFile: 'pebble.pem', storage: '/var/lib/porthole' },
        certificates: [{ certificateFile: 'w.pem', keyFile: 'w.key' }] }],
    ['a wildcard DNS name from the server\'s address', '{"domain": "203-0-113-5.sslip.io", "acme": {}}',
      { domain: '203-0-113-5.sslip.io', httpPort: 80, httpsPort: 443, acme: { directory: LETS_ENCRYPT_DIRECTORY, storage: DEFAULT_ACME_STORAGE }, certificates: [], customDomains: false }],
  ])('%s', (_name, names, expected) => {
    expect(namesOf(portal(names))).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['{}', /exposures\.names\.domain: missing "domain"/],
    ['{"domain": "10.0.0.1"}', /domain "10.0.0.1" is not a host name: it is an IP address/],
    ['{"domain": "bad_name.com"}', /label "bad_name": use only/],
    ['{"domain": "t.example.com", "https": 443}', /names\.https: an HTTPS port without certificates/],
    ['{"domain": "t.example.com", "acme": {}, "https": 80}', /HTTP and HTTPS cannot share port 80/],
    ['{"domain": "t.example.com", "customDomains": true}', /customDomains needs "acme"/],
    ['{"domain": "t.example.com", "acme": {"directory": "http://x"}}', /acme\.directory: directory "http:\/\/x" is not an https:\/\/ URL/],
    ['{"domain": "t.example.com", "certificates": [{"certificateFile": "a.pem"}]}', /certificates\[0\]\.keyFile: missing "keyFile"/],
    ['{"domain": "t.example.com", "http": 0}', /names\.http: port 0/],
  ])('%s', (names, expected) => {
    expect(errorOf(portal(names))).toMatch(expected);
  });

  it('names the place of an error (file:line:column)', () => {
    expect(errorOf(portal('{"domain": "x"}'))).toMatch(/^c\.json:1:\d+: reverse\.portals\[0\]\.exposures\.names\.domain: /);
  });
});
